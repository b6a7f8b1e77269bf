r"""Checkpoints: ``save`` and ``load`` nested state as a safetensors file.

A checkpoint is an ordinary safetensors file. Its tensors are the arrays of the saved
object, each named by its path (``"state.0.exp_avg"``), so a flat dict of tensors such as
a model ``state_dict`` keeps its own names, and torch reads it with
``safetensors.torch.load_file``. The rest of the object (dicts, lists, tuples, numbers,
strings) is a JSON manifest stored in the file's metadata under ``"tinyoptim"``; its
format is in ``_manifest.py``.

Loading never unpickles and never evaluates anything. It reads the header itself (an
8-byte little-endian length, then JSON) and checks it before any array is read: the
header length and every tensor's byte range against the file's size, the dtypes, the
nesting depth, and that the manifest describes exactly the file's tensors. Anything wrong
raises one ``ValueError`` naming the file, and a load allocates little beyond the file's
size. A safetensors file without a manifest loads as a dict of CPU tensors.

Saving is atomic: the file is written under a temporary name in the same folder,
fsynced, and renamed over ``path``, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets

import numpy
import safetensors
import safetensors.numpy

from . import _manifest
from .backends import Device, get_backend, resolve

MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
_ITEMSIZE = {code: numpy.dtype(name).itemsize for code, name in _manifest.DTYPES.items()}


def save(obj, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path`` as a safetensors checkpoint, atomically.

    ``obj`` nests dicts (str or int keys), lists and tuples of tensors, NumPy arrays,
    ints, floats, bools, None and strings: model, optimizer and scheduler state_dicts,
    and ``tinyoptim.get_rng_state()``. NumPy scalars are saved as Python numbers.

    Do not step an optimizer in another thread while its state is being saved: ``save``
    reads each tensor when it reaches it (all of them before it writes a byte), so a step
    running meanwhile can leave a file that mixes values from before and after it. To
    checkpoint while another thread trains, save from the training thread between steps
    (a step post-hook will do), or take a snapshot there, ``copy.deepcopy(opt.state_dict())``,
    and save that from any thread.

    >>> import os, tempfile, tinyoptim
    >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.safetensors")
    >>> tinyoptim.save({"step": 3, "betas": (0.9, 0.999), "w": tinyoptim.ones(2)}, path)
    >>> tinyoptim.load(path)
    {'step': 3, 'betas': (0.9, 0.999), 'w': tensor([1., 1.])}
    """
    path = os.fspath(path)
    text, arrays = _manifest.to_json(obj)
    _write_atomically(path, arrays, {_manifest.FORMAT: text})


def load(path: str | os.PathLike, map_location=None):
    """Read a checkpoint written by ``save`` (or any safetensors file).

    Tensors come back on the device they were saved from, unless ``map_location`` (a
    device, its name, or a dict from saved device names to new ones) says otherwise.
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is
    not a valid checkpoint.
    """
    path = os.fspath(path)
    place = _placement(map_location)
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        try:
            header, length = _read_header(file, size)
            tensors = _tensor_table(header, size - 8 - length)
            root = _manifest_root(header, tensors)
        except ValueError as error:
            raise ValueError(f"cannot load {path!r}: {error}") from None
    arrays = _read_arrays(path, tensors)
    return _manifest.build(root, arrays, place)


def _write_atomically(path: str, arrays: dict, metadata: dict) -> None:
    """Write to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # Serialised in memory rather than by safetensors.numpy.save_file, which would write
    # through a temporary file of its own that a crash would leave behind unnamed.
    content = safetensors.numpy.save(arrays, metadata=metadata)
    try:
        with open(temp, "xb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # the rename itself is durable once the folder is synced
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _read_header(file, size: int) -> tuple[dict, int]:
    """The parsed JSON header and its length in bytes, checked against the file's size."""
    if size == 0:
        raise ValueError("the file is empty")
    start = file.read(8)
    length = int.from_bytes(start, "little") if len(start) == 8 else None
    if length is None or length > size - 8:
        if start[:1] == b"\x80":
            raise ValueError(
                "it is a pickle; checkpoints are safetensors files and are never unpickled"
            )
        if start[:4] == b"PK\x03\x04":
            raise ValueError("it is a zip archive (torch.save?), not a safetensors file")
        if length is None:
            raise ValueError(f"the file has {size} bytes, fewer than the 8 of a header length")
        raise ValueError(
            f"the header length {length} is larger than the rest of the file "
            f"({size - 8} bytes): the file is truncated or not a safetensors file"
        )
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"the header length {length} exceeds {MAX_HEADER_BYTES} bytes")
    raw = file.read(length)
    if len(raw) != length:
        raise ValueError("the file changed while it was being read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the header is not UTF-8 text") from None
    header = _manifest.parse_json(text, "header") if text.startswith("{") else None
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    return header, length


def _tensor_table(header: dict, data_size: int) -> dict:
    """``{name: (dtype code, shape)}``, once the byte ranges are known to tile the data."""
    tensors, ranges = {}, []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"the header entry of tensor {name!r} is malformed")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(code, str) or code not in _manifest.DTYPES:
            raise ValueError(
                f"tensor {name!r} has dtype {code!r}, which is not one of "
                f"{sorted(_manifest.DTYPES)}"
            )
        if not _int_list(shape) or min(shape, default=0) < 0 or len(shape) > 64:
            raise ValueError(f"tensor {name!r} has an invalid shape {shape!r}")
        if not _int_list(offsets) or len(offsets) != 2 or not 0 <= offsets[0] <= offsets[1]:
            raise ValueError(f"tensor {name!r} has invalid data offsets {offsets!r}")
        if offsets[1] > data_size:
            raise ValueError(
                f"tensor {name!r} ends at byte {offsets[1]} of a {data_size}-byte data "
                "section: the file is truncated"
            )
        nbytes = math.prod(shape) * _ITEMSIZE[code]
        if offsets[1] - offsets[0] != nbytes:
            raise ValueError(
                f"tensor {name!r} of shape {shape} and dtype {code} needs {nbytes} bytes, "
                f"but its data offsets span {offsets[1] - offsets[0]}"
            )
        tensors[name] = (code, tuple(shape))
        ranges.append((offsets[0], offsets[1], name))
    position = 0
    for begin, end, name in sorted(ranges):
        if begin != position:
            raise ValueError(f"the data of tensor {name!r} overlaps another or leaves a gap")
        position = end
    if position != data_size:
        raise ValueError(f"{data_size - position} bytes after the last tensor belong to none")
    return tensors


def _int_list(value) -> bool:
    return isinstance(value, list) and all(type(n) is int for n in value)


def _manifest_root(header: dict, tensors: dict):
    """The checked root node of the manifest; without one, a dict of all the tensors."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("the header's __metadata__ is not a map of strings")
    if _manifest.FORMAT not in metadata:
        return _manifest.plain_root(tensors)
    codes = {name: code for name, (code, _) in tensors.items()}
    return _manifest.from_json(metadata[_manifest.FORMAT], codes)


def _read_arrays(path: str, tensors: dict) -> dict:
    """The file's arrays, read by safetensors (memory-mapped, one copy each)."""
    try:
        arrays = safetensors.numpy.load_file(path)
    except safetensors.SafetensorError as error:
        raise ValueError(f"cannot load {path!r}: safetensors cannot read it ({error})") from None
    for name, (code, shape) in tensors.items():
        array = arrays.get(name)
        if array is None or array.dtype != _manifest.DTYPES[code] or array.shape != shape:
            raise ValueError(f"cannot load {path!r}: the file changed while it was being read")
    return arrays


def _placement(map_location):
    """A function from a saved device name to the device to load onto."""
    if map_location is None:
        return resolve
    if isinstance(map_location, (str, Device)):
        target = resolve(map_location)
        get_backend(target)  # fail before reading when the device is unusable
        return lambda saved: target
    if isinstance(map_location, dict):
        table = {resolve(old): resolve(new) for old, new in map_location.items()}
        return lambda saved: table.get(resolve(saved), resolve(saved))
    raise TypeError(
        "map_location should be a device, a device name or a dict of device names, "
        f"got {type(map_location).__name__}"
    )
