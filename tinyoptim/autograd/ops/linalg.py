"""Matrix product with torch's rules for 1-d operands and batch broadcasting."""

from __future__ import annotations

from ..function import Function
from ._util import unbroadcast


def _shape_error(a, b) -> RuntimeError:
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
            f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
            "respectively"
        )
    rows_a = a.reshape(-1, a.shape[-1]).shape if a.ndim > 1 else (1, a.shape[0])
    cols_b = b.shape[-2:] if b.ndim > 1 else (b.shape[0], 1)
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({rows_a[0]}x{rows_a[1]} and "
        f"{cols_b[0]}x{cols_b[1]})"
    )


class MatMul(Function):
    r"""z = a @ b (batched, broadcasting);  dz/da = g b^T,  dz/db = a^T g.

    A 1-d ``a`` acts as a row vector and a 1-d ``b`` as a column, and the added axis is
    removed from the result, as in torch.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D"
            )
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
            )
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise _shape_error(a, b)
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        xp = ctx.xp
        a2 = a[None, :] if a.ndim == 1 else a  # row vector
        b2 = b[:, None] if b.ndim == 1 else b  # column vector
        g = grad
        if b.ndim == 1:  # first, so that a 0-d grad (vector @ vector) gains an axis
            g = xp.expand_dims(g, -1)
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        grad_a = grad_b = None
        if ctx.needs_grad[0]:
            grad_a = unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_grad[1]:
            grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return grad_a, grad_b
