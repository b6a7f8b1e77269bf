"""Indexing: ``a[key]`` and ``a[key] = v`` with slices, integers, integer arrays and masks.

Basic indexing (ints, slices, None, Ellipsis) selects each element at most once, so its
gradient is written back with plain assignment. Advanced indexing (integer arrays) may
pick an element twice, so its gradient is scattered with repeated indices summed.
"""

from __future__ import annotations

from ..function import Function
from ._util import shape_of, unbroadcast


def as_key(key, like):
    """An index for ``like.data``: tensors and host arrays in it move to ``like``'s device."""
    from ..tensor import Tensor

    if isinstance(key, tuple):
        return tuple(as_key(k, like) for k in key)
    if isinstance(key, Tensor):
        if key.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return key.data if key.device == like.device else like.backend.from_host(key.numpy())
    if isinstance(key, list) or hasattr(key, "__array__"):
        return like.backend.asarray(key)
    return key


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _check_bounds(a, key, backend) -> None:
    """torch's IndexError for an index past the end of its axis or a mask of the wrong shape.

    An integer array is checked on its device and only the verdict crosses to the host
    (torch raises here too), so the error is torch's rather than NumPy's.
    """
    parts = key if isinstance(key, tuple) else (key,)
    axis = 0
    for part in parts:
        if part is Ellipsis:
            axis = a.ndim - sum(
                p is not None and p is not Ellipsis for p in parts[parts.index(part) + 1 :]
            )
            continue
        if part is None:
            continue
        if getattr(part, "dtype", None) is not None and part.dtype.kind == "b":
            _check_mask(a, part, axis)
            axis += part.ndim
            continue
        if getattr(part, "dtype", None) is not None and axis < a.ndim:
            size = a.shape[axis]
            outside = (part < -size) | (part >= size)
            if backend.to_host(outside.any()).item():
                bad = backend.to_host(part[outside][:1]).item()
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {axis} with size {size}"
                )
        if isinstance(part, int) and not isinstance(part, bool):
            if axis >= a.ndim:
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            size = a.shape[axis]
            if not -size <= part < size:
                raise IndexError(
                    f"index {part} is out of bounds for dimension {axis} with size {size}"
                )
        axis += 1


def _check_mask(a, mask, axis: int) -> None:
    indexed = a.shape[axis : axis + mask.ndim]
    for i, n in enumerate(mask.shape):
        if i >= len(indexed) or n != indexed[i]:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {i} does not match the shape "
                f"of the indexed tensor {list(a.shape)} at index {axis + i}"
            )


def _check_value_shape(value_shape: tuple, target: tuple) -> None:
    """torch's error when the value of ``a[key] = value`` does not broadcast to ``a[key]``."""
    while len(value_shape) > len(target) and value_shape[0] == 1:
        value_shape = value_shape[1:]
    offset = len(target) - len(value_shape)
    for i, n in enumerate(value_shape):
        if offset + i < 0 or n not in (1, target[offset + i]):
            dim = max(offset + i, 0)
            expected = target[dim] if target else 1
            raise RuntimeError(
                f"The expanded size of the tensor ({expected}) must match the existing size "
                f"({n}) at non-singleton dimension {dim}.  Target sizes: {list(target)}.  "
                f"Tensor sizes: {list(value_shape)}"
            )


class GetItem(Function):
    r"""z = a[key];  dz/da: the gradient placed back at the selected positions."""

    @staticmethod
    def forward(ctx, a, key=None):
        _check_bounds(a, key, ctx.backend)
        ctx.key, ctx.shape, ctx.dtype = key, a.shape, a.dtype
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        full = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.key):
            full[ctx.key] = grad
        else:
            ctx.backend.scatter_add(full, ctx.key, grad)
        return full


class SetItem(Function):
    r"""z = a with z[key] = v;  dz/da: the gradient with z[key] zeroed, dz/dv = g[key]."""

    @staticmethod
    def forward(ctx, a, value, key=None):
        _check_bounds(a, key, ctx.backend)
        ctx.key, ctx.value_shape = key, shape_of(value)
        out = a.copy()
        _check_value_shape(ctx.value_shape, out[key].shape)
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_v = None
        if ctx.needs_grad[0]:
            grad_a = grad.copy()
            grad_a[ctx.key] = 0
        if ctx.needs_grad[1]:
            grad_v = unbroadcast(grad[ctx.key], ctx.value_shape)
        return grad_a, grad_v
