"""Softmax and log-softmax along one axis, computed stably (the maximum subtracted)."""

from __future__ import annotations

from ..function import Function
from ._util import normalize_dim


class Softmax(Function):
    r"""z_i = e^{a_i} / \sum_j e^{a_j};  dz/da \cdot g = z (g - \sum_j g_j z_j)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=-1):
        _check_float(a, "softmax")
        xp = ctx.xp
        ctx.dim = dim = normalize_dim(dim, a.ndim) if a.ndim else None
        if a.size == 0:  # nothing to normalise (and no maximum to shift by)
            ctx.save_for_backward(a.copy())
            return a.copy()
        e = xp.exp(a - a.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return out * (grad - (grad * out).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    r"""z_i = a_i - \log \sum_j e^{a_j};  dz/da \cdot g = g - e^{z} \sum_j g_j."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=-1):
        _check_float(a, "log_softmax")
        xp = ctx.xp
        ctx.dim = dim = normalize_dim(dim, a.ndim) if a.ndim else None
        if a.size == 0:  # nothing to normalise (and no maximum to shift by)
            ctx.save_for_backward(a.copy())
            return a.copy()
        shifted = a - a.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad - ctx.xp.exp(out) * grad.sum(axis=ctx.dim, keepdims=True)


def _check_float(a, name: str) -> None:
    if a.dtype.kind not in "fc":
        raise NotImplementedError(
            f"{name} is not implemented for {a.dtype} tensors: convert the input with .float()"
        )
