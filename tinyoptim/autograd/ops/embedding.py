r"""Embedding lookup: rows of a weight matrix picked by integer indices.

``y[..., :] = W[idx[...], :]``. The gradient of a row is the sum of the upstream rows that
picked it, a scatter-add with repeated indices summed. With ``sparse=True`` the gradient
stays row-sparse (a ``SparseGrad`` holding only the rows looked up), as
``nn.Embedding(sparse=True)`` gives in torch. The row ``padding_idx`` gets no gradient.
With ``scale_grad_by_freq`` each upstream row is first multiplied by 1/c, c the number of
times its index occurs in the input (torch's multiplication by the reciprocal).
"""

from __future__ import annotations

from ..function import Function
from ..sparse import SparseGrad

INDEX_OUT_OF_RANGE = "index out of range in self"


class Embedding(Function):
    r"""y = W[idx];  dW_r = \sum_{k: idx_k = r} dy_k (times 1/|\{k: idx_k = r\}| with
    ``scale_grad_by_freq``), zero for r = ``padding_idx``."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False, sparse=False):
        if indices.dtype.kind not in "iu":
            raise RuntimeError(
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                f"types: Long, Int; but got {indices.dtype} instead"
            )
        rows = weight.shape[0]
        outside = ((indices < 0) | (indices >= rows)).any()
        if ctx.backend.to_host(outside).item():  # explicit crossing: torch raises here too
            raise IndexError(INDEX_OUT_OF_RANGE)
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx, ctx.sparse = weight.shape, padding_idx, sparse
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        xp = ctx.xp
        flat = indices.reshape(-1)
        rows = grad.reshape(-1, ctx.weight_shape[1])
        if ctx.scale_grad_by_freq:
            if ctx.sparse:
                raise RuntimeError(
                    "embedding_backward: scale_grad_by_freq not supported with sparse gradients"
                )
            counts = xp.zeros(ctx.weight_shape[0], dtype=grad.dtype)
            ctx.backend.scatter_add(counts, flat, xp.ones(flat.shape, dtype=grad.dtype))
            rows = rows * (1.0 / counts[flat])[:, None]
        if ctx.sparse:
            if ctx.padding_idx is not None:
                keep = flat != ctx.padding_idx
                flat, rows = flat[keep], rows[keep]
            # copies: the gradient must not alias the indices or the upstream gradient
            device = ctx.inputs[0].device
            return SparseGrad(flat.copy(), rows.copy(), ctx.weight_shape, device), None
        if ctx.padding_idx is not None:
            rows = rows * (flat != ctx.padding_idx)[:, None]
        dense = xp.zeros(ctx.weight_shape, dtype=grad.dtype)
        ctx.backend.scatter_add(dense, flat, rows)
        return dense, None
