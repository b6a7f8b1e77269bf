"""Reductions: sum, mean, max/min, var, logsumexp, over all axes or ``dim`` (int or tuple).

The backward of a reduction broadcasts the upstream gradient back over the reduced axes,
so each re-inserts those axes first when ``keepdim`` dropped them.
"""

from __future__ import annotations

import math

from ...backends import as_dtype
from ..function import Function
from ._util import floating, normalize_dim, normalize_dims


def _axes(dim, ndim):
    """Axes for NumPy (None = all) from torch's ``dim``."""
    return None if ndim == 0 else normalize_dims(dim, ndim)


def _keep(grad, axes, shape):
    """``grad`` with the reduced axes back as size 1, ready to broadcast over ``shape``."""
    return grad.reshape(tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape)))


def _mean(a, axes, keepdims: bool):
    """NumPy's mean, and NaN over nothing without its "Mean of empty slice" warning (torch
    warns of nothing)."""
    if _count(a.shape, axes):
        return a.mean(axis=axes, keepdims=keepdims)
    return a.sum(axis=axes, keepdims=keepdims) / 0  # inside quiet_math: NaN, silently


def _count(shape, axes) -> int:
    n = 1
    for i, size in enumerate(shape):
        if axes is None or i in axes:
            n *= size
    return n


class Sum(Function):
    r"""z = \sum_i a_i over the axes;  dz/da_i = 1."""

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        if dim is not None:
            ctx.label = "SumBackward1"  # torch's overload with a dim
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        return a.sum(axis=ctx.axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = _keep(grad, ctx.axes, ctx.shape)
        return ctx.xp.broadcast_to(grad, ctx.shape).copy()


class Mean(Function):
    r"""z = \frac{1}{n} \sum_i a_i over the axes;  dz/da_i = 1/n."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        if dim is not None:
            ctx.label = "MeanBackward1"  # torch's overload with a dim
        if a.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {as_dtype(a.dtype).scalar_name}"
            )
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        return _mean(a, ctx.axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = _keep(grad, ctx.axes, ctx.shape) / _count(ctx.shape, ctx.axes)
        return ctx.xp.broadcast_to(grad, ctx.shape).copy()


class Amax(Function):
    r"""z = \max_i a_i over the axes;  the gradient is shared evenly among the maxima."""

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        if a.size == 0:
            raise RuntimeError(
                "max(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        out = a.max(axis=ctx.axes, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        hit = a == _keep(out, ctx.axes, ctx.shape)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        share = _keep(grad, ctx.axes, ctx.shape) / count
        return ctx.xp.where(hit, share, ctx.xp.zeros((), dtype=share.dtype))


class Amin(Function):
    r"""z = \min_i a_i over the axes;  the gradient is shared evenly among the minima."""

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        if a.size == 0:
            raise RuntimeError(
                "min(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        out = a.min(axis=ctx.axes, keepdims=keepdim)
        ctx.save_for_backward(a, out)
        return out

    backward = staticmethod(Amax.backward)


class Pick(Function):
    r"""z = a[..., index, ...] along ``dim`` (the values of ``max(dim)``/``min(dim)``);
    the gradient goes to the picked position only."""

    @staticmethod
    def forward(ctx, a, indices, dim=0, keepdim=False):
        xp = ctx.xp
        ctx.dim = dim = normalize_dim(dim, a.ndim) if a.ndim else None
        ctx.shape = a.shape
        if dim is None:
            return a.copy()
        ctx.index = index = indices if keepdim else xp.expand_dims(indices, dim)
        out = xp.take_along_axis(a, index, axis=dim)
        return out if keepdim else out.squeeze(axis=dim)

    @staticmethod
    def backward(ctx, grad):
        if ctx.dim is None:
            return grad
        xp = ctx.xp
        full = xp.zeros(ctx.shape, dtype=grad.dtype)
        xp.put_along_axis(full, ctx.index, grad.reshape(ctx.index.shape), axis=ctx.dim)
        return full


def arg_extreme(t, name: str, dim, keepdim: bool):
    """``argmax``/``argmin`` of a tensor as an int64 backend array (no gradient)."""
    data = t.data
    if dim is None:
        out = getattr(data, name)()
        return out.reshape((1,) * data.ndim) if keepdim else out
    dim = normalize_dim(dim, data.ndim)
    if data.ndim == 0:
        return t.backend.xp.zeros((), dtype="int64")
    if data.shape[dim] == 0:
        raise IndexError(f"{name[3:]}(): Expected reduction dim {dim} to have non-zero size.")
    out = getattr(data, name)(axis=dim)
    return t.backend.xp.expand_dims(out, dim) if keepdim else out


def correction_of(unbiased, correction) -> float:
    """torch's variance correction from the legacy ``unbiased`` flag or ``correction``."""
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("var(): cannot pass both unbiased and correction")
        return correction
    return 1 if unbiased is None or unbiased else 0


class Var(Function):
    r"""z = \frac{1}{n - c} \sum_i (a_i - \bar a)^2;  dz/da_i = \frac{2}{n - c} (a_i - \bar a)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=None, correction=1, keepdim=False):
        if a.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        centered = a - _mean(a, ctx.axes, True)
        ctx.save_for_backward(centered)
        ctx.denominator = max(_count(a.shape, ctx.axes) - correction, 0)
        return (centered * centered).sum(axis=ctx.axes, keepdims=keepdim) / ctx.denominator

    @staticmethod
    def backward(ctx, grad):
        (centered,) = ctx.saved
        grad = _keep(grad, ctx.axes, ctx.shape)
        return grad * centered * (2 / ctx.denominator) if ctx.denominator else grad * centered / 0


class Std(Function):
    r"""z = \sqrt{\operatorname{var}(a)};  dz/da_i = \frac{a_i - \bar a}{(n - c) z}, and 0
    where z = 0 (torch's choice: the derivative of \sqrt{} at 0 is infinite)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=None, correction=1, keepdim=False):
        out = ctx.xp.sqrt(Var.forward(ctx, a, dim=dim, correction=correction, keepdim=True))
        ctx.saved = (*ctx.saved, out)
        if keepdim:
            return out
        kept = [n for i, n in enumerate(a.shape) if not (ctx.axes is None or i in ctx.axes)]
        return out.reshape(tuple(kept))

    @staticmethod
    def backward(ctx, grad):
        centered, out = ctx.saved
        grad = _keep(grad, ctx.axes, ctx.shape)
        safe = ctx.xp.where(out == 0, 1, out) * ctx.denominator
        return ctx.xp.where(out == 0, 0, grad / safe) * centered


class LogSumExp(Function):
    r"""z = \log \sum_i e^{a_i};  dz/da_i = e^{a_i - z} (the softmax)."""

    quiet = True

    label = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        xp = ctx.xp
        a = floating(a)
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        peak = a.max(axis=ctx.axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        out = xp.log(xp.exp(a - peak).sum(axis=ctx.axes, keepdims=True)) + peak
        ctx.save_for_backward(a, out)
        return (
            out
            if keepdim
            else out.reshape(
                tuple(
                    n for i, n in enumerate(a.shape) if ctx.axes is not None and i not in ctx.axes
                )
            )
        )

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        return _keep(grad, ctx.axes, ctx.shape) * ctx.xp.exp(a - out)


class Norm(Function):
    r"""z = (\sum_i |a_i|^p)^{1/p} over the axes (p = ±inf: the max or min of |a_i|, p = 0:
    the count of nonzero a_i);
    dz/da_i = sign(a_i) |a_i|^{p-1} / z^{p-1}, and 0 where z = 0, as torch's.
    For p = 1 that is sign(a_i); for p = inf the gradient is shared evenly among the
    largest |a_i|."""

    quiet = True

    label = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, p=2.0, dim=None, keepdim=False):
        xp = ctx.xp
        ctx.axes, ctx.shape, ctx.p = _axes(dim, a.ndim), a.shape, p
        size = abs(a)
        if p == math.inf:
            out = size.max(axis=ctx.axes, keepdims=True)
        elif p == -math.inf:
            out = size.min(axis=ctx.axes, keepdims=True)
        elif p == 0:  # the count of nonzero elements
            out = (size != 0).sum(axis=ctx.axes, keepdims=True).astype(a.dtype)
        elif p == 2:
            out = xp.sqrt((size * size).sum(axis=ctx.axes, keepdims=True))
        elif p == 1:
            out = size.sum(axis=ctx.axes, keepdims=True)
        else:
            out = (size**p).sum(axis=ctx.axes, keepdims=True) ** (1 / p)
        ctx.save_for_backward(a, out)
        return out if keepdim else out.reshape(_reduced(a.shape, ctx.axes))

    @staticmethod
    def backward(ctx, grad):
        xp, p = ctx.xp, ctx.p
        a, out = ctx.saved
        grad = _keep(grad, ctx.axes, ctx.shape)
        sign, zero = xp.sign(a), xp.zeros((), dtype=a.dtype)
        if p == 0:
            return xp.zeros_like(a)
        if p == 1:
            return sign * grad
        if p in (math.inf, -math.inf):
            hit = abs(a) == out
            count = hit.sum(axis=ctx.axes, keepdims=True)
            return xp.where(hit, sign * (grad / count), zero)
        safe = xp.where(out == 0, 1, out)
        scale = a / safe if p == 2 else sign * (abs(a) / safe) ** (p - 1)
        return xp.where((out == 0) | (a == 0), zero, scale * grad)


def _reduced(shape, axes) -> tuple:
    return tuple(n for i, n in enumerate(shape) if not (axes is None or i in axes))
