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


def _check_bounds(a, key) -> None:
    """torch's IndexError for an integer index past the end of its axis."""
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
        if isinstance(part, int) and not isinstance(part, bool):
            if axis >= a.ndim:
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            size = a.shape[axis]
            if not -size <= part < size:
                raise IndexError(
                    f"index {part} is out of bounds for dimension {axis} with size {size}"
                )
        axis += 1


class GetItem(Function):
    r"""z = a[key];  dz/da: the gradient placed back at the selected positions."""

    @staticmethod
    def forward(ctx, a, key=None):
        _check_bounds(a, key)
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
        _check_bounds(a, key)
        ctx.key, ctx.value_shape = key, shape_of(value)
        out = a.copy()
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
