"""Host data coming in: Python scalars, nested lists, NumPy arrays and DLPack objects."""

from __future__ import annotations

import math

import numpy

from .dtype import as_dtype, get_default_dtype


def host_array(data, dtype=None) -> numpy.ndarray:
    """A NumPy array from Python data, with torch's dtype inference.

    Python floats become the default dtype (float32), ints int64, bools bool. A NumPy
    array or scalar (``numpy.float64(1.5)``) keeps its dtype unless ``dtype`` is given.
    """
    if dtype is not None:
        return _from_data(data, as_dtype(dtype).np)
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        array = numpy.array(data)
    else:
        array = _from_data(data, None)
        if array.dtype.kind == "f":
            array = array.astype(get_default_dtype().np)
        elif array.dtype.kind in "iu":
            array = array.astype(numpy.int64)
        elif array.size == 0 and array.dtype.kind not in "b":
            array = array.astype(get_default_dtype().np)
    if array.dtype.kind == "O":
        raise RuntimeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of type {array.dtype} to a tensor")
    as_dtype(array.dtype)  # raises for unsupported types such as uint16
    return array


def _from_data(data, dtype) -> numpy.ndarray:
    """``numpy.array(data, dtype)``, with torch's error for a ragged nested list."""
    try:
        return numpy.array(data, dtype=dtype)
    except ValueError:
        message = _ragged(data, 0)
        if message is None:
            raise
        raise ValueError(message) from None


def _ragged(data, dim: int) -> str | None:
    """torch's message for the first nested sequence whose length differs from its sibling's."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    lengths = [len(item) if isinstance(item, (list, tuple)) else None for item in data]
    for item, length in zip(data, lengths):
        if length != lengths[0]:
            return (
                f"expected sequence of length {lengths[0]} at dim {dim + 1} (got {length})"
                if length is not None and lengths[0] is not None
                else f"expected a sequence at dim {dim + 1} in every entry (got {item!r})"
            )
    for item in data:
        message = _ragged(item, dim + 1)
        if message is not None:
            return message
    return None


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def shares_host_memory(array) -> numpy.ndarray:
    """``array`` itself, checked to be a NumPy array (``tinyoptim.from_numpy``)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    as_dtype(array.dtype)
    return array


def from_dlpack(obj):
    """(array, device type) from any object with ``__dlpack__``, without copying."""
    kind, index = obj.__dlpack_device__()
    if int(kind) == 1:  # kDLCPU
        return numpy.from_dlpack(obj), "cpu"
    from .cupy_backend import import_cupy

    return import_cupy().from_dlpack(obj), f"cuda:{index}"


def format_array(array: numpy.ndarray, prefix: str) -> str:
    """Array values as torch prints them (``torch/_tensor_str.py``'s rules): one width for
    all; floats with 4 decimals, as integers (``2.``) when all are, or in scientific
    notation when their magnitudes span more than 1000x or pass 1e8 (or, for non-integers,
    fall below 1e-4); 80 columns, and the 3 edge items of each axis beyond 1000 values."""
    shown = _edges(array) if array.size > _THRESHOLD else array
    text = numpy.array2string(
        array,
        separator=", ",
        prefix=prefix,
        threshold=_THRESHOLD,
        edgeitems=_EDGE_ITEMS,
        max_line_width=80,
        formatter={"all": _element_format(shown)},
    )
    return text.replace(", ..., ", ",  ..., ")  # torch's elided items read " ..."


_THRESHOLD, _EDGE_ITEMS = 1000, 3


def _edges(array: numpy.ndarray) -> numpy.ndarray:
    """The values a summarised print shows: the first and last 3 along each long axis."""
    for axis, size in enumerate(array.shape):
        if size > 2 * _EDGE_ITEMS:
            keep = list(range(_EDGE_ITEMS)) + list(range(size - _EDGE_ITEMS, size))
            array = numpy.take(array, keep, axis=axis)
    return array


def _element_format(values: numpy.ndarray):
    """The function that formats one element, padded to the common width."""
    flat = values.ravel().tolist()  # at most 1000 values: those printed
    if values.dtype.kind != "f":
        width = max((len(str(v)) for v in flat), default=1)
        return lambda v: str(v).rjust(width)
    shown = [v for v in flat if math.isfinite(v) and v != 0]
    sci = False
    integral = all(v == math.ceil(v) for v in shown)
    width = 1
    if shown:
        low, high = min(abs(v) for v in shown), max(abs(v) for v in shown)
        sci = high / low > 1000.0 or high > 1e8 or (not integral and low < 1e-4)
        if sci:
            width = max(len(f"{v:.4e}") for v in shown)
        elif integral:
            width = max(len(f"{v:.0f}") + 1 for v in shown)
        else:
            width = max(len(f"{v:.4f}") for v in shown)

    def element(v) -> str:
        v = float(v)
        if sci:
            text = f"{v:{width}.4e}"
        elif integral:
            text = f"{v:.0f}" + ("." if math.isfinite(v) else "")
        else:
            text = f"{v:.4f}"
        return text.rjust(width)

    return element
