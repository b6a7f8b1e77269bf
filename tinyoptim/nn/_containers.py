"""Containers by key: ``ModuleDict``, ``ParameterList`` and ``ParameterDict``, as torch's.

Each entry is an attribute of the container, so the registries of ``Module`` hold them and
the names in ``named_parameters()`` and ``state_dict()`` are torch's: ``"0"``, ``"1"`` for
a ``ParameterList``, the keys for the dicts (``"params.left"`` one level up). The parameter
containers turn a plain tensor into a ``Parameter``; other objects are kept as plain
attributes, as in torch. Their repr lists the entries as torch prints them.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ..autograd.tensor import Tensor
from .module import Module
from .parameter import Parameter


def _pairs(items, owner: str, ordered: tuple, kind: str | None = None):
    """The ``(key, value)`` pairs of ``update``'s argument, with torch's checks and order:
    the types in ``ordered`` in their own order, another mapping in sorted key order, any
    other iterable as pairs. ``kind`` is the name torch's first error gives the owner."""
    if not isinstance(items, Iterable):
        raise TypeError(
            f"{kind or owner}.update should be called with an iterable of key/value pairs, "
            "but got " + type(items).__name__
        )
    if isinstance(items, ordered):
        return list(items.items())
    if isinstance(items, Mapping):
        return sorted(items.items())
    pairs = []
    for j, pair in enumerate(items):
        if not isinstance(pair, Iterable):
            raise TypeError(
                f"{owner} update sequence element #{j} should be Iterable; is" + type(pair).__name__
            )
        if len(pair) != 2:
            raise ValueError(
                f"{owner} update sequence element #{j} has length {len(pair)}; 2 is required"
            )
        pairs.append((pair[0], pair[1]))
    return pairs


class ModuleDict(Module):
    """Modules by string key, in insertion order, registered on the owner."""

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add (or replace) the modules of a mapping or of an iterable of pairs, in order."""
        for key, module in _pairs(modules, "ModuleDict", (OrderedDict, ModuleDict, Mapping)):
            self[key] = module


def _entry_lines(items, describe) -> str:
    """torch's ``extra_repr`` of the parameter containers: one ``(key): ...`` line each,
    a tensor's type as ``describe`` gives it (torch's list shows the dtype, its dict the
    tensor type), its device unless the CPU."""
    lines = []
    for key, value in items:
        if isinstance(value, Tensor):
            size = "x".join(str(n) for n in value.shape)
            where = "" if value.device.type == "cpu" else f" ({value.device})"
            kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
            lines.append(f"  ({key}): {kind} containing: [{describe(value)} of size {size}{where}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(value).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list of parameters registered as ``"0"``, ``"1"``, ...; a tensor put in becomes a
    ``Parameter``, anything else is kept as it is."""

    def __init__(self, values=None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx) -> str:
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        return str(idx + len(self) if idx < 0 else idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = type(self)()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx: int, param) -> None:
        name = self._get_abs_string_index(idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, name, param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        """Add ``value`` at the end; return self."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        """Append each of ``values`` (an iterable, not a tensor); return self."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                + type(values).__name__
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return _entry_lines(enumerate(self), lambda p: p.dtype)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """Parameters by string key, in insertion order; a tensor put in becomes a
    ``Parameter``, anything else is kept as it is."""

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys: dict = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}'). Open an issue on github if you need "
                "non-string keys."
            )
        return key

    def __getitem__(self, key: str):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same values."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        """``self[key]``, set to ``default`` first if absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every entry."""
        for key in self._keys.copy():
            del self[key]

    def pop(self, key: str):
        """Remove the entry under ``key`` and return its value."""
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Remove the last entry added and return ``(key, value)``."""
        key, _ = self._keys.popitem()
        self._keys[key] = None
        value = self[key]
        del self[key]
        return key, value

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None) -> ParameterDict:
        """A new ParameterDict with ``default`` under each of ``keys``."""
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        """Add (or replace) the entries of a mapping (a plain dict's in sorted key order, as
        torch's) or of an iterable of pairs."""
        ordered = (OrderedDict, ParameterDict)
        for key, value in _pairs(parameters, "ParameterDict", ordered, "ParametersDict"):
            self[key] = value

    def extra_repr(self) -> str:
        return _entry_lines(self.items(), lambda p: p.type())

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other: ParameterDict):
        self.update(other)
        return self
