r"""The checkpoint manifest: a nested Python object as JSON text plus named arrays.

``tinyoptim.save`` stores everything that is not an array as this JSON, in the metadata of
a safetensors file (see ``serialization.py``)::

    {"format": "tinyoptim", "version": 1, "root": NODE}

    NODE = null | true | false | int | float | string
         | {"type": "float", "value": "nan" | "inf" | "-inf"}
         | {"type": "list" | "tuple", "items": [NODE, ...]}
         | {"type": "dict" | "OrderedDict" | "Counter", "items": [[string | int, NODE], ...]}
         | {"type": "tensor", "key": NAME, "device": "cpu", "requires_grad": false}
         | {"type": "ndarray", "key": NAME}

Tags keep what JSON alone would lose: tuples, int keys, key order, non-finite floats,
tensors against NumPy arrays, and the dict types of the standard library that state
dicts hold (MultiStepLR keeps its milestones in a ``Counter``). Reading is strict: the
depth is measured before the JSON is parsed, and every node is checked before any array
is read.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, OrderedDict

import numpy

from .autograd import Tensor
from .autograd.factories import from_numpy
from .backends import Device

FORMAT, VERSION = "tinyoptim", 1
MAX_DEPTH = 256  # JSON nesting levels
# safetensors' names of the dtypes tinyoptim has; a checkpoint holds no other dtype.
DTYPES = {
    "F16": "float16",
    "F32": "float32",
    "F64": "float64",
    "I32": "int32",
    "I64": "int64",
    "BOOL": "bool",
    "U8": "uint8",
}
_DICTS = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}  # type name -> type
_FIELDS = {
    "float": {"type", "value"},
    "list": {"type", "items"},
    "tuple": {"type", "items"},
    "dict": {"type", "items"},
    "OrderedDict": {"type", "items"},
    "Counter": {"type", "items"},
    "tensor": {"type", "key", "device", "requires_grad"},
    "ndarray": {"type", "key"},
}


def to_json(obj) -> tuple[str, dict]:
    """``obj`` as (manifest text, {name: contiguous host array})."""
    arrays: dict = {}
    root = _encode(obj, (), arrays)
    text = json.dumps(
        {"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False, separators=(",", ":")
    )
    depth = json_depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(
            f"cannot save an object whose manifest nests {depth} levels deep; "
            f"checkpoints allow at most {MAX_DEPTH}"
        )
    return text, arrays


def from_json(text: str, tensors: dict):
    """The checked root node of a manifest that describes exactly the arrays in ``tensors``.

    ``tensors`` maps each array name in the file to its safetensors dtype code.
    """
    manifest = parse_json(text, "manifest")
    if not isinstance(manifest, dict) or set(manifest) != {"format", "version", "root"}:
        raise ValueError("the manifest is not a tinyoptim manifest")
    if manifest["format"] != FORMAT or manifest["version"] != VERSION:
        raise ValueError(
            f"the manifest has format {manifest['format']!r} version {manifest['version']!r}; "
            f"this tinyoptim reads {FORMAT!r} version {VERSION}"
        )
    root, used = manifest["root"], []
    _check(root, tensors, used, "root")
    if len(used) != len(set(used)):
        twice = next(key for key in used if used.count(key) > 1)
        raise ValueError(f"the manifest uses tensor {twice!r} more than once")
    if len(used) != len(tensors):
        extra = next(name for name in tensors if name not in set(used))
        raise ValueError(f"the file holds tensor {extra!r}, which the manifest does not describe")
    return root


def plain_root(names) -> dict:
    """The root node of a safetensors file without a manifest: a dict of CPU tensors."""
    tensor = {"type": "tensor", "device": "cpu", "requires_grad": False}
    return {"type": "dict", "items": [[name, {**tensor, "key": name}] for name in names]}


def build(node, arrays: dict, place):
    """The object a checked node describes; ``place(saved device name)`` gives the device."""
    if not isinstance(node, dict):
        return node
    kind = node["type"]
    if kind == "float":
        return float(node["value"])
    if kind in ("list", "tuple"):
        items = [build(item, arrays, place) for item in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind in _DICTS:
        pairs = ((key, build(item, arrays, place)) for key, item in node["items"])
        return _DICTS[kind](dict(pairs))  # Counter(pairs) would count the pairs
    array = arrays[node["key"]]
    if kind == "ndarray":
        return array
    tensor = from_numpy(array).to(place(node["device"]))
    return tensor.requires_grad_(True) if node["requires_grad"] else tensor


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply ``text`` nests brackets, strings aside, without parsing it."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(text: str, what: str):
    """``json.loads(text)``, refusing more than ``MAX_DEPTH`` levels and raising ValueError."""
    # json.loads recurses once per level: measure the depth first, so that a hostile
    # file cannot reach Python's recursion limit.
    depth = json_depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(
            f"the {what} nests {depth} levels deep, deeper than the limit of {MAX_DEPTH}"
        )
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"the {what} is not valid JSON ({error})") from None


# -- writing -----------------------------------------------------------------------------


def _encode(value, path: tuple, arrays: dict):
    """The node of ``value``; its arrays are added to ``arrays``."""
    if len(path) > MAX_DEPTH:
        raise ValueError(
            f"cannot save an object nested deeper than {MAX_DEPTH} levels "
            f"(does it contain itself?) at {_where(path)}"
        )
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"type": "float", "value": repr(value)}
    if isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
        return _encode(value.item(), path, arrays)
    if isinstance(value, Tensor):
        host = value.backend.to_host(value.detach().data)
        node = {"type": "tensor", "key": _add_array(arrays, path, host)}
        return {**node, "device": str(value.device), "requires_grad": value.requires_grad}
    if isinstance(value, numpy.ndarray):
        return {"type": "ndarray", "key": _add_array(arrays, path, value)}
    if type(value) in (list, tuple):
        items = [_encode(item, (*path, i), arrays) for i, item in enumerate(value)]
        return {"type": type(value).__name__, "items": items}
    if type(value) in _DICTS.values():
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"cannot save a dict key of type {type(key).__name__} at {_where(path)}: "
                    "checkpoint keys are str or int"
                )
            key = str(key) if isinstance(key, str) else int(key)
            items.append([key, _encode(item, (*path, key), arrays)])
        return {"type": type(value).__name__, "items": items}
    raise TypeError(
        f"cannot save an object of type {type(value).__name__} at {_where(path)}: checkpoints "
        "hold tensors, NumPy arrays, dicts, lists, tuples, ints, floats, bools, None and str"
    )


def _add_array(arrays: dict, path: tuple, array: numpy.ndarray) -> str:
    """Store ``array`` under a fresh name made from its path, and return the name."""
    if array.dtype.name not in DTYPES.values():
        raise TypeError(
            f"cannot save an array of dtype {array.dtype} at {_where(path)}: checkpoints "
            f"hold {', '.join(DTYPES.values())}"
        )
    base = ".".join(str(part) for part in path) or "tensor"
    try:
        base.encode("utf-8")
    except UnicodeEncodeError:  # a key with a lone surrogate cannot name a tensor
        base = "tensor"
    name, n = base, 0
    while name in arrays or name == "__metadata__":
        n += 1
        name = f"{base}#{n}"
    # safetensors copies raw memory, so a strided view must be made contiguous first
    # (not with ascontiguousarray, which turns a 0-d array into shape (1,)).
    arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return name


def _where(path: tuple) -> str:
    return "obj" + "".join(f"[{part!r}]" for part in path)


# -- reading -----------------------------------------------------------------------------


def _check(node, tensors: dict, used: list, where: str) -> None:
    """Raise ValueError unless ``node`` is well formed; collect the tensor names it uses."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return
    kind = node.get("type") if isinstance(node, dict) else None
    if not isinstance(kind, str) or kind not in _FIELDS or set(node) != _FIELDS[kind]:
        raise ValueError(f"the manifest entry at {where} is malformed")
    if kind == "float" and node["value"] not in ("nan", "inf", "-inf"):
        raise ValueError(f"the manifest entry at {where} is not a non-finite float")
    if kind in ("list", "tuple"):
        if not isinstance(node["items"], list):
            raise ValueError(f"the manifest entry at {where} has no list of items")
        for i, item in enumerate(node["items"]):
            _check(item, tensors, used, f"{where}[{i}]")
    elif kind in _DICTS:
        pairs = node["items"]
        if not isinstance(pairs, list) or not all(_is_pair(pair) for pair in pairs):
            raise ValueError(f"the manifest entry at {where} has no list of key-value pairs")
        if len({(type(key), key) for key, _ in pairs}) != len(pairs):
            raise ValueError(f"the manifest entry at {where} repeats a key")
        for key, item in pairs:
            _check(item, tensors, used, f"{where}[{key!r}]")
    elif kind in ("tensor", "ndarray"):
        key = node["key"]
        if not isinstance(key, str) or key not in tensors:
            raise ValueError(f"the manifest names tensor {key!r}, which is not in the file")
        used.append(key)
        if kind == "tensor":
            _check_tensor(node, tensors[key], where)


def _is_pair(pair) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and (isinstance(pair[0], str) or type(pair[0]) is int)
    )


def _check_tensor(node: dict, dtype: str, where: str) -> None:
    try:
        Device(node["device"])
    except (TypeError, RuntimeError):
        raise ValueError(
            f"the tensor at {where} has an unknown device {node['device']!r}"
        ) from None
    requires_grad = node["requires_grad"]
    if not isinstance(requires_grad, bool) or (requires_grad and not dtype.startswith("F")):
        raise ValueError(f"the tensor at {where} has an invalid requires_grad {requires_grad!r}")
