"""Collation, as ``torch.utils.data``: a list of samples in, one batch out.

``default_collate`` works on the type of the batch's first element, by torch's rules:

* a tinyoptim ``Tensor``: the samples stacked along a new dimension 0;
* a NumPy array: each turned into a tensor (its dtype kept), then stacked; arrays of
  strings or objects are refused (``TypeError``);
* a NumPy scalar (number, bool): one 1-d tensor of their dtype;
* a Python ``float``: a float64 tensor; an ``int``: int64 (``bool``: bool);
* ``str`` and ``bytes``: the batch itself, unchanged (a list, or a tuple when it came
  out of a tuple of samples);
* a mapping, namedtuple or other sequence: collated field by field, keeping the
  container type where it can be rebuilt (a tuple becomes a list, as in torch); samples
  whose sequences differ in length raise ``RuntimeError("each element in list of batch
  should be of equal size")``.

``default_convert`` (the loader's collate function when ``batch_size=None``) only turns
NumPy arrays and scalars into tensors, inside the same containers. New tensors are made
on the default device by ``tinyoptim.tensor``, which copies: torch's ``as_tensor`` shares a
NumPy array's memory, tinyoptim's conversion does not.

NumPy is recognised by its types' names (``numpy.ndarray`` and subclasses such as
``memmap``; ``numpy.number``, ``numpy.bool_``, ``numpy.object_`` scalars), so this module
never imports it. ``collate(batch, collate_fn_map=...)`` takes torch's registry of
per-type functions, so a custom ``collate_fn`` can extend the defaults as in torch.
"""

from __future__ import annotations

import collections.abc
import copy
import re

from ...autograd import factories
from ...autograd.functional import stack
from ...autograd.tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


class _NumpyKind(type):
    """A metaclass whose classes match, in ``isinstance``, NumPy objects by type name."""

    def __instancecheck__(cls, obj) -> bool:
        return any(c.__module__ == "numpy" and c.__name__ in cls.names for c in type(obj).__mro__)


class _NumpyArray(metaclass=_NumpyKind):
    """``numpy.ndarray`` and its subclasses (``numpy.memmap``...)."""

    names = ("ndarray",)


class _NumpyScalar(metaclass=_NumpyKind):
    """NumPy's number, bool and object scalars (not its string scalars)."""

    names = ("number", "bool_", "bool", "object_")


def _as_tensor(data) -> Tensor:
    """A tensor of a NumPy array or scalar, keeping its dtype (``torch.as_tensor``)."""
    return factories.tensor(data)


def default_convert(data):
    """Turn NumPy arrays and scalars in ``data`` into tensors; keep everything else."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (_NumpyArray, _NumpyScalar)):
        if isinstance(data, _NumpyArray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data  # arrays of strings or objects
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate ``batch``: a function of ``collate_fn_map`` for the first element's type
    (exact type first, then ``isinstance`` in the map's order), else field by field for
    mappings, namedtuples and sequences, else ``TypeError``."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        fields = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            return elem_type(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(
            *(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch))
        )
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, column in enumerate(columns):
                    clone[i] = column
                return clone
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors: stacked along a new dimension 0 (``stack``'s checks and messages)."""
    return stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays: refused for strings and objects, else as tensors of their dtype."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    if all(b.dtype == elem.dtype and b.shape == elem.shape for b in batch):
        return factories.tensor(list(batch), dtype=elem.dtype)  # one copy, stacked on the host
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars: one 1-d tensor; mixed dtypes promote as ``stack`` does."""
    elem = batch[0]
    if all(b.dtype == elem.dtype for b in batch):
        return factories.tensor(list(batch), dtype=elem.dtype)
    return stack([_as_tensor(b) for b in batch], 0)


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats: a float64 tensor, whatever the default dtype."""
    return factories.tensor(list(batch), dtype="float64")


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints: int64 (bools: bool), by ``tinyoptim.tensor``'s inference."""
    return factories.tensor(list(batch))


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes: the batch as it is."""
    return batch


default_collate_fn_map: dict = {
    Tensor: collate_tensor_fn,
    _NumpyArray: collate_numpy_array_fn,
    _NumpyScalar: collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch by the rules in this module's docstring.

    >>> default_collate([0, 1, 2, 3])
    tensor([0, 1, 2, 3])
    >>> default_collate(["a", "b", "c"])
    ['a', 'b', 'c']
    >>> default_collate([(0, 1.5), (2, 3.5)])
    [tensor([0, 2]), tensor([1.5000, 3.5000], dtype=tinyoptim.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
