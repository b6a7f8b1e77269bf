"""Host data coming in: Python scalars, nested lists, NumPy arrays and DLPack objects."""

from __future__ import annotations

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
    """Array values as torch prints them: 4 decimals, or ``1.`` when all are integers."""
    floatmode = "maxprec"
    if array.dtype.kind == "f":
        finite = array[numpy.isfinite(array)]
        if finite.size and (finite != numpy.round(finite)).any():
            floatmode = "fixed"
    return numpy.array2string(
        array,
        separator=", ",
        precision=4,
        floatmode=floatmode,
        prefix=prefix,
        threshold=1000,
        edgeitems=3,
    )
