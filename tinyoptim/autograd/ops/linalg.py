"""Matrix products: ``MatMul`` with torch's rules for 1-d operands and batch broadcasting,
and ``Linear`` (x W^T + b as one op, as ``nn.functional.linear``)."""

from __future__ import annotations

import math

from ...backends import as_dtype
from ..function import Function
from ._util import check_broadcast, unbroadcast

# torch's node for a @ b by the operands' dimensions (batched products end in a view)
_MATMUL_LABELS = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
_MATMUL_LABELS[1, 2] = "SqueezeBackward4"


class MatMul(Function):
    r"""z = a @ b (batched, broadcasting);  dz/da = g b^T,  dz/db = a^T g.

    A 1-d ``a`` acts as a row vector and a 1-d ``b`` as a column, and the added axis is
    removed from the result, as in torch.
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        _check_operands(a, b)
        # Each operand is needed only for the other's gradient (torch saves no more).
        ctx.save_for_backward(a if ctx.needs_grad[1] else None, b if ctx.needs_grad[0] else None)
        ctx.shapes = a.shape, b.shape
        ctx.label = _MATMUL_LABELS.get((a.ndim, b.ndim), "UnsafeViewBackward0")
        ctx.column_major = _column_major(a), _column_major(b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        a_shape, b_shape = ctx.shapes
        a_column_major, b_column_major = ctx.column_major
        xp = ctx.xp
        g = grad
        if len(b_shape) == 1:  # first, so that a 0-d grad (vector @ vector) gains an axis
            g = xp.expand_dims(g, -1)
        if len(a_shape) == 1:
            g = xp.expand_dims(g, -2)
        grad_a = grad_b = None
        if ctx.needs_grad[0]:
            if a_column_major and b.ndim == 2:
                grad_a = (b @ g.T).T  # g b^T, laid out as a is (see _column_major)
            else:
                b2 = b[:, None] if b.ndim == 1 else b  # a column vector
                a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
                grad_a = unbroadcast(g @ xp.swapaxes(b2, -1, -2), a2_shape).reshape(a_shape)
        if ctx.needs_grad[1]:
            if b_column_major and a.ndim == 2:
                grad_b = (g.T @ a).T  # a^T g, laid out as b is
            else:
                a2 = a[None, :] if a.ndim == 1 else a  # a row vector
                b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
                grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ g, b2_shape).reshape(b_shape)
        return grad_a, grad_b


class Linear(Function):
    r"""z = x W^T + b, with W of shape (out, in) and x of shape (..., in);
    dz/dx = g W,  dz/dW = g^T x (batch axes folded into rows),  dz/db = \sum_{rows} g.

    ``nn.functional.linear`` as one op rather than a transpose, a product and a sum: BLAS
    reads W^T as a transposed view, the bias is added into the product's own buffer, and
    dW comes out in W's layout, ready to be added into ``W.grad``.
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        _check_operands(x, weight.T)
        if x.ndim == 2:  # torch's node: addmm, or mm without a bias; a view otherwise
            ctx.label = "AddmmBackward0" if bias is not None else "MmBackward0"
        else:
            ctx.label = "ViewBackward0"
        ctx.save_for_backward(
            x if ctx.needs_grad[1] else None, weight if ctx.needs_grad[0] else None
        )
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ weight if ctx.needs_grad[0] else None
        grad_w = rows.T @ x.reshape(-1, x.shape[-1]) if ctx.needs_grad[1] else None
        grad_b = rows.sum(axis=0) if ctx.needs_grad[2] else None
        return grad_x, grad_w, grad_b


def _check_operands(a, b) -> None:
    """torch's errors for operands that ``a @ b`` refuses."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.dtype != b.dtype:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(
                "dot : expected both vectors to have same dtype, but found "
                f"{as_dtype(a.dtype).scalar_name} and {as_dtype(b.dtype).scalar_name}"
            )
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {as_dtype(a.dtype).c_name} "
            f"!= {as_dtype(b.dtype).c_name}"
        )
    if b.ndim > 2:  # torch's batched route checks the batch dims first
        check_broadcast(a.shape[:-2], b.shape[:-2])
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise _shape_error(a, b)


def _column_major(m) -> bool:
    """True when ``m`` is a matrix stored column by column, as ``w.T`` of a row-major ``w``
    is. Its gradient is then computed transposed, so that it too is column-major and the
    transpose's backward hands ``w`` a row-major gradient (no strided copy or sum)."""
    if m.ndim != 2:
        return False
    rows, cols = m.shape
    return rows > 1 and cols > 1 and m.strides == (m.itemsize, rows * m.itemsize)


def _shape_error(a, b) -> RuntimeError:
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
            f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
            "respectively"
        )
    if b.ndim == 1:  # a matrix (a's leading axes folded into rows) times a vector
        rows = math.prod(a.shape[:-1])
        return RuntimeError(
            f"size mismatch, got input ({rows}), mat ({rows}x{a.shape[-1]}), vec ({b.shape[0]})"
        )
    if b.ndim > 2:  # a batched product over the broadcast batch axes
        batch = math.prod(check_broadcast(a.shape[:-2], b.shape[:-2]))
        return RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, "
            f"{a.shape[-1]}] but got: [{batch}, {b.shape[-2]}]."
        )
    rows_a = a.reshape(-1, a.shape[-1]).shape if a.ndim > 1 else (1, a.shape[0])
    cols_b = b.shape[-2:]
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({rows_a[0]}x{rows_a[1]} and "
        f"{cols_b[0]}x{cols_b[1]})"
    )
