"""Host data coming in: Python scalars, nested lists, NumPy arrays and DLPack objects."""

from __future__ import annotations

import numpy

from .dtype import as_dtype, get_default_dtype


def host_array(data, dtype=None) -> numpy.ndarray:
    """A NumPy array from Python data, with torch's dtype inference.

    Python floats become the default dtype (float32), ints int64, bools bool. A NumPy
    array keeps its dtype unless ``dtype`` is given.
    """
    if dtype is not None:
        return numpy.array(data, dtype=as_dtype(dtype).np)
    if isinstance(data, numpy.ndarray):
        array = numpy.array(data)
    else:
        array = numpy.array(data)
        if array.dtype.kind == "f":
            array = array.astype(get_default_dtype().np)
        elif array.dtype.kind in "iu":
            array = array.astype(numpy.int64)
        elif array.size == 0 and array.dtype.kind not in "b":
            array = array.astype(get_default_dtype().np)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of type {array.dtype} to a tensor")
    as_dtype(array.dtype)  # raises for unsupported types such as uint16
    return array


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
