"""Making tensors: ``tensor``, ``zeros``, ``randn``, ``arange``... with torch's signatures.

Random factories draw on the host from the one generator (``tinyoptim.manual_seed``) and
then move the numbers to the device, so every device starts from the same values.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..backends import as_dtype, get_default_dtype, random, resolve
from ..backends.host import from_dlpack as _array_from_dlpack
from ..backends.host import host_array, shares_host_memory
from .tensor import Tensor


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not hasattr(n, "__index__"):
            raise TypeError(
                f"size must be a tuple of ints, but got an element of type "
                f"{type(n).__name__}: {n!r}"
            )
    size = tuple(int(n) for n in size)
    if any(n < 0 for n in size):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(size)}: {list(size)}"
        )
    return size


def _finish(host, dtype, device, requires_grad: bool) -> Tensor:
    device = resolve(device)
    backend = device.backend
    data = (
        backend.from_host(host)
        if dtype is None
        else backend.from_host(host.astype(dtype.np, copy=False))
    )
    t = Tensor._make(data, device)
    return _requiring_grad(t) if requires_grad else t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a scalar, nested list, array or tensor)."""
    dtype = None if dtype is None else as_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT, UserWarning, stacklevel=2)
        moved = data.detach().to(resolve(device) if device is not None else data.device)
        moved = moved.to(dtype) if dtype is not None else moved
        out = Tensor._make(
            moved.data.copy() if moved.data is data.data else moved.data, moved.device
        )
        return _requiring_grad(out) if requires_grad else out
    device = resolve(device)
    backend = device.backend
    if backend.is_array(data):
        out = Tensor._make(backend.asarray(data, dtype=None if dtype is None else dtype.np), device)
        return _requiring_grad(out) if requires_grad else out
    return _finish(host_array(data, dtype), None, device, requires_grad)


def _requiring_grad(t: Tensor) -> Tensor:
    """A new tensor made to require grad, with the factories' wording of torch's refusal."""
    if not t.dtype.is_floating_point:
        raise RuntimeError(FACTORY_FLOAT_GRAD)
    t._requires_grad = True
    return t


COPY_CONSTRUCT = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "tinyoptim.tensor(sourceTensor)."
)
FACTORY_FLOAT_GRAD = "Only Tensors of floating point and complex dtype can require gradients"


def _filled(size, value, dtype, device, requires_grad) -> Tensor:
    device = resolve(device)
    dtype = as_dtype(dtype) if dtype is not None else _infer_fill_dtype(value)
    data = device.backend.xp.full(_size(size), value, dtype=dtype.np)
    t = Tensor._make(data, device)
    return _requiring_grad(t) if requires_grad else t


def _infer_fill_dtype(value):
    value = _python_number(value)
    if isinstance(value, bool):
        return as_dtype("bool")
    if isinstance(value, int):
        return as_dtype("int64")
    return get_default_dtype()


def _python_number(value):
    """A NumPy scalar or a 0-d tensor as the Python number torch reads it as (an integer
    stays an integer: ``arange(np.int64(3))`` counts in int64); anything else as it is."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, numbers.Number) and not isinstance(value, (int, float)):
        value = value.item() if hasattr(value, "item") else value
    return value


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 0, dtype or get_default_dtype(), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 1, dtype or get_default_dtype(), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Like ``zeros``: tinyoptim never hands out uninitialised memory."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(
        (size,) if isinstance(size, int) else tuple(size), fill_value, dtype, device, requires_grad
    )


def zeros_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def ones_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return ones(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def empty_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    t: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return full(
        t.shape,
        fill_value,
        dtype=dtype or t.dtype,
        device=device or t.device,
        requires_grad=requires_grad,
    )


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform draws from [0, 1)."""
    dtype = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(random.uniform(_size(size), dtype), None, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws."""
    dtype = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(random.normal(_size(size), dtype), None, device, requires_grad)


def randint(
    low, high=None, size=None, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` also works)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: high and size")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dtype = as_dtype(dtype) if dtype is not None else as_dtype("int64")
    return _finish(random.integers(low, high, _size((size,)), dtype), None, device, requires_grad)


def arange(
    start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``."""
    start, end, step = (_python_number(v) for v in (start, end, step))
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = as_dtype("int64") if integral else get_default_dtype()
    dtype = as_dtype(dtype)
    count = max(math.ceil((end - start) / step), 0)
    values = [start + i * step for i in range(count)] if count < 1024 else None
    if values is None:
        return _arange_large(start, step, count, dtype, device, requires_grad)
    return _finish(host_array(values, dtype), None, device, requires_grad)


def _arange_large(start, step, count, dtype, device, requires_grad) -> Tensor:
    device = resolve(device)
    xp = device.backend.xp
    data = (xp.arange(count, dtype="float64") * step + start).astype(dtype.np)
    t = Tensor._make(data, device)
    return _requiring_grad(t) if requires_grad else t


def linspace(
    start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = as_dtype(dtype) if dtype is not None else get_default_dtype()
    device = resolve(device)
    data = device.backend.xp.linspace(start, end, steps, dtype="float64").astype(dtype.np)
    t = Tensor._make(data, device)
    return _requiring_grad(t) if requires_grad else t


def eye(
    n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (``n`` × ``m``)."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dtype = as_dtype(dtype) if dtype is not None else get_default_dtype()
    device = resolve(device)
    t = Tensor._make(device.backend.xp.eye(n, m, dtype=dtype.np), device)
    return _requiring_grad(t) if requires_grad else t


def from_numpy(array) -> Tensor:
    """A CPU tensor that shares memory with a NumPy array."""
    return Tensor._make(shares_host_memory(array), resolve("cpu"))


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, torch)."""
    if isinstance(obj, Tensor):
        return obj.detach()
    array, device = _array_from_dlpack(obj)
    return Tensor._make(array, resolve(device))


def randperm(n: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = as_dtype(dtype) if dtype is not None else as_dtype("int64")
    return _finish(random.permutation(n, dtype), None, device, requires_grad)
