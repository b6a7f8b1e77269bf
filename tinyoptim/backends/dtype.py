"""tinyoptim's dtypes: small named objects that map to NumPy/CuPy dtypes.

``tinyoptim.float32`` is to tinyoptim what ``torch.float32`` is to torch. Every backend
array library (NumPy, CuPy, the strict wrapper) understands the ``np`` dtype behind it.
"""

from __future__ import annotations

import numpy


class DType:
    """A tensor element type, e.g. ``tinyoptim.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize", "c_name", "scalar_name")
    _sealed = False  # set once the module's dtypes exist: there are no others, as in torch

    def __new__(cls, *args, **kwargs):
        if cls._sealed:
            raise TypeError("cannot create 'tinyoptim.dtype' instances")
        return super().__new__(cls)

    def __init__(self, name: str):
        self.name = name
        self.np = numpy.dtype(name)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize
        self.c_name = _C_NAMES[name]  # as torch's C++ messages name it: "double", "long int"
        self.scalar_name = _SCALAR_NAMES[name]  # torch's ScalarType: "Double", "Long"

    def __repr__(self) -> str:
        return f"tinyoptim.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int"}
_C_NAMES.update(int32="int", bool="bool", uint8="unsigned char")
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
_SCALAR_NAMES.update(int32="Int", bool="Bool", uint8="Byte")

float32 = DType("float32")
float64 = DType("float64")
float16 = DType("float16")
int64 = DType("int64")
int32 = DType("int32")
bool_ = DType("bool")
uint8 = DType("uint8")

DType._sealed = True
_BY_NP = {d.np: d for d in (float32, float64, float16, int64, int32, bool_, uint8)}
_BY_NAME = {d.name: d for d in _BY_NP.values()}
_BY_NAME.update(float="float32", double="float64", half="float16", long="int64", int="int32")


def as_dtype(dtype) -> DType:
    """Turn a tinyoptim dtype, a NumPy dtype or a dtype name into a ``DType``."""
    if isinstance(dtype, DType):
        return dtype
    if isinstance(dtype, str):
        found = _BY_NAME.get(dtype)
        if isinstance(found, str):
            found = _BY_NAME[found]
        if found is None:
            raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_BY_NAME)}")
        return found
    if dtype is bool:
        return bool_
    try:
        return _BY_NP[numpy.dtype(dtype)]
    except (TypeError, KeyError):
        raise TypeError(
            f"unsupported dtype {dtype!r}; tinyoptim supports float32, float64, float16, "
            "int64, int32, bool (and uint8 for data)"
        ) from None


_global_default = [float32]


def get_default_dtype() -> DType:
    """The floating dtype that factories and Python floats use (float32 unless set)."""
    return _global_default[0]


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype, as ``torch.set_default_dtype`` does."""
    dtype = as_dtype(dtype)
    if dtype not in (float32, float64, float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {dtype}")
    _global_default[0] = dtype
