"""The strict test device: NumPy math behind a wrapper that behaves like CuPy.

A CuPy array refuses to turn into a NumPy array behind your back
(``TypeError: Implicit conversion to a NumPy array is not allowed``). Code that only
ever ran on NumPy never finds out it relies on that. ``StrictArray`` wraps a NumPy array
and refuses every implicit exit to the host: ``__array__``, mixing with plain ndarrays,
``float()``, ``int()``, ``bool()``, ``operator.index`` and ``tolist()``, on 0-d results
too. Math goes through ``StrictBackend.xp``, a namespace that unwraps, calls NumPy and
wraps again. The only way out is ``StrictBackend.to_host``, used by the explicit
crossings (``Tensor.numpy()``, ``.item()``, ``.tolist()``, ``.cpu()`` and printing).

It is deliberately a wrapper and not an ndarray subclass: a subclass would let
``numpy.asarray``, ``numpy.dot`` and ``x + ndarray`` through silently.
"""

from __future__ import annotations

import types

import numpy
import scipy.special

from .numpy_backend import SPECIAL, _span

IMPLICIT = (
    "Implicit conversion of a strict-device array to host memory is not allowed: "
    "use Tensor.numpy(), .item(), .tolist() or .cpu() to cross explicitly"
)


def _unwrap(value):
    """The NumPy array inside a StrictArray; refuse plain ndarrays (host data)."""
    if type(value) is StrictArray:
        return value._a
    if isinstance(value, numpy.ndarray):
        raise TypeError(
            "a strict-device array cannot be mixed with a host NumPy array; "
            "move the host data with tinyoptim.tensor(..., device='strict') first"
        )
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _wrap(value):
    if isinstance(value, numpy.ndarray):
        return StrictArray(value)
    if isinstance(value, numpy.generic):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap_kwargs(kwargs):
    return {k: _unwrap(v) for k, v in kwargs.items()}


def _refuse(self, *args, **kwargs):
    raise TypeError(IMPLICIT)


def _binary(name):
    def op(self, other):
        return _wrap(getattr(self._a, name)(_unwrap(other)))

    op.__name__ = name
    return op


def _method(name):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap_kwargs(kwargs)))

    method.__name__ = name
    return method


class StrictArray:
    """A NumPy array that refuses implicit conversion to the host, as a CuPy array does."""

    __slots__ = ("_a",)
    __array_priority__ = 1000

    def __init__(self, array: numpy.ndarray):
        self._a = array

    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: StrictArray(self._a.T))
    base = property(lambda self: None if self._a.base is None else StrictArray(self._a.base))

    __array__ = _refuse
    __float__ = __int__ = __bool__ = __index__ = __complex__ = _refuse
    tolist = item = tobytes = _refuse

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        return _wrap(getattr(ufunc, method)(*_unwrap(inputs), **_unwrap_kwargs(kwargs)))

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(
            f"numpy.{func.__name__} was called on a strict-device array; "
            "array math must go through the backend's xp namespace"
        )

    def __repr__(self) -> str:
        return f"StrictArray({self._a!r})"

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (StrictArray(row) for row in self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __neg__(self):
        return StrictArray(-self._a)

    def __pos__(self):
        return StrictArray(+self._a)

    def __abs__(self):
        return StrictArray(abs(self._a))

    def __invert__(self):
        return StrictArray(~self._a)


for _name in (
    "add sub mul truediv floordiv mod pow matmul and or xor lt le gt ge eq ne "
    "radd rsub rmul rtruediv rfloordiv rmod rpow rmatmul rand ror rxor"
).split():
    setattr(StrictArray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in "iadd isub imul itruediv ipow iand ior".split():

    def _inplace(self, other, _name=f"__{_name}__"):
        getattr(self._a, _name)(_unwrap(other))
        return self

    setattr(StrictArray, f"__{_name}__", _inplace)
for _name in (
    "reshape transpose astype copy sum mean max min prod var std argmax argmin any all "
    "fill ravel squeeze swapaxes view clip cumsum dot nonzero take"
).split():
    setattr(StrictArray, _name, _method(_name))
StrictArray.__hash__ = None  # arrays are not hashable, as in NumPy


class _StrictUfunc:
    """A NumPy ufunc that takes and returns StrictArrays (``xp.add``, ``xp.add.at``...)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap(args), **_unwrap_kwargs(kwargs)))

    def __getattr__(self, method):
        return _StrictFunction(getattr(self._ufunc, method))


class _StrictFunction:
    def __init__(self, fn):
        self._fn = fn
        self.__name__ = getattr(fn, "__name__", "function")

    def __call__(self, *args, **kwargs):
        return _wrap(self._fn(*_unwrap(args), **_unwrap_kwargs(kwargs)))


class StrictNamespace:
    """NumPy's namespace, one level removed: functions take and return StrictArrays."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if isinstance(value, numpy.ufunc):
            wrapped = _StrictUfunc(value)
        elif isinstance(value, types.ModuleType):
            wrapped = StrictNamespace(value)
        elif callable(value) and not isinstance(value, type):
            wrapped = _StrictFunction(value)
        else:  # dtypes, constants, numpy.newaxis
            wrapped = value
        setattr(self, name, wrapped)
        return wrapped


class StrictBackend:
    """The strict test device: NumPy arrays behind ``StrictArray``."""

    name = "strict"
    xp = StrictNamespace(numpy)

    def asarray(self, data, dtype=None):
        return StrictArray(numpy.array(_unwrap(data), dtype=dtype, copy=True))

    def ensure_array(self, value):
        return value if type(value) is StrictArray else _wrap(_unwrap(value))

    def is_array(self, value) -> bool:
        return type(value) is StrictArray

    def from_host(self, array: numpy.ndarray) -> StrictArray:
        return StrictArray(numpy.array(array, copy=True))

    def to_host(self, array: StrictArray) -> numpy.ndarray:
        return array._a.copy()  # a copy, as a device-to-host transfer would be

    def scatter_add(self, target, indices, values) -> None:
        numpy.add.at(target._a, _unwrap(indices), _unwrap(values))

    def kernel(self, name: str):
        """No fused kernels: the strict device always runs the NumPy kernels."""
        return None

    def op_kernels(self):
        """No compiled op kernels either: the ops run their NumPy code."""
        return None

    def is_contiguous(self, array: StrictArray) -> bool:
        return bool(array._a.flags.c_contiguous)

    def flat_view(self, array: StrictArray):
        a = array._a
        return StrictArray(a.reshape(-1)) if a.flags.c_contiguous else None

    def span(self, arrays):
        found = _span([a._a for a in arrays], lambda a: a.__array_interface__["data"][0])
        return None if found is None else StrictArray(found)

    def erf(self, x: StrictArray) -> StrictArray:
        return StrictArray(scipy.special.erf(x._a))

    def special(self, name: str, x: StrictArray) -> StrictArray:
        """The special function torch calls ``name``, from SciPy (``numpy_backend.SPECIAL``)."""
        return StrictArray(SPECIAL[name](x._a))

    def synchronize(self) -> None:
        """Nothing to wait for."""
