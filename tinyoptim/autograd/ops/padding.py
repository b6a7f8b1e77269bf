r"""Padding the last dims of an array: with a constant, or by reflecting, replicating or
wrapping the input around (``F.pad``'s modes), each with its exact adjoint.

``pad`` is torch's flat tuple (left, right) per dim, the last dim first; a negative entry
crops. Along a padded dim of length n, output i reads input j = i - left, and a j outside
[0, n) is sent back inside by the mode:

.. math::
    \text{reflect: } j \mapsto -j \;(j < 0),\; 2(n-1) - j \;(j \ge n); \qquad
    \text{replicate: } j \mapsto \min(\max(j, 0), n - 1); \qquad
    \text{circular: } j \mapsto a + (i - \max(\text{left}, 0)) \bmod m

where circular first crops (a = max(-left, 0) cells on the left, m cells kept), as torch's
copies do. So a non-constant pad is a gather along each padded dim, ``take``, and its
gradient the scatter-add of the upstream gradient back along the same indices, dim by dim
in reverse. A constant pad is a copy into a filled array, and its gradient the slice that
the input went to.
"""

from __future__ import annotations

from ..function import Function


def padded_dims(ndim: int, pad) -> list:
    """``[(axis, left, right), ...]`` for torch's flat ``pad``, the last dim first."""
    return [(ndim - 1 - k, pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]


class ConstantPad(Function):
    r"""y = x surrounded by ``value`` (cropped where a pad is negative);  dy/dx = 1 on the
    cells x went to."""

    label = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pad=(), value=0.0):
        shape, source, target = list(x.shape), [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for axis, left, right in padded_dims(x.ndim, pad):
            n = x.shape[axis]
            shape[axis] = max(n + left + right, 0)
            source[axis] = kept = slice(max(-left, 0), n - max(-right, 0))  # crops
            target[axis] = slice(max(left, 0), max(left, 0) + len(range(n)[kept]))
        y = ctx.xp.full(shape, value, dtype=x.dtype)
        y[tuple(target)] = x[tuple(source)]
        ctx.x_shape, ctx.source, ctx.target = x.shape, tuple(source), tuple(target)
        return y

    @staticmethod
    def backward(ctx, grad):
        grad_x = ctx.xp.zeros(ctx.x_shape, dtype=grad.dtype)
        grad_x[ctx.source] = grad[ctx.target]
        return grad_x


class Pad(Function):
    r"""y = x gathered along each padded dim by the mode's index map (module docstring);
    dy/dx: each upstream cell added back to the input cell it read."""

    @staticmethod
    def forward(ctx, x, pad=(), mode="reflect"):
        xp = ctx.xp
        ctx.label = {
            "reflect": "ReflectionPad{}DBackward0",
            "replicate": "ReplicationPad{}DBackward0",
            "circular": "CopySlices",  # torch wraps around by copying slices
        }[mode].format(len(pad) // 2)
        ctx.gathers = []
        y = x
        for axis, left, right in padded_dims(x.ndim, pad):
            index = _source_index(xp, mode, x.shape[axis], left, right)
            ctx.gathers.append((axis, index, y.shape[axis]))
            y = xp.take(y, index, axis=axis)
        return y

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        for axis, index, length in reversed(ctx.gathers):
            moved = xp.moveaxis(grad, axis, 0)
            summed = xp.zeros((length,) + moved.shape[1:], dtype=grad.dtype)
            ctx.backend.scatter_add(summed, index, xp.ascontiguousarray(moved))
            grad = xp.moveaxis(summed, 0, axis)
        return grad


def _source_index(xp, mode: str, n: int, left: int, right: int):
    """For each output cell along a dim of length n: the input cell it reads (int64)."""
    out = xp.arange(max(n + left + right, 0), dtype=xp.int64)
    if mode == "circular":
        start, kept = max(-left, 0), max(n - max(-left, 0) - max(-right, 0), 1)
        return start + (out - max(left, 0)) % kept
    j = out - left
    if mode == "replicate":
        return xp.clip(j, 0, n - 1)
    j = xp.abs(j)  # reflect: -j below 0, then 2(n - 1) - j above n - 1
    return xp.where(j > n - 1, 2 * (n - 1) - j, j)
