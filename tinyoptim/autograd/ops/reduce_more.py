r"""More reductions: nansum, median and nanmedian, kthvalue, mode, logcumsumexp.

The order statistics (median, kthvalue, mode) pick one element of each slice by the
stable sort order of ``ordering.sort_order`` (NaN largest, ties in index order), so
their backward sends the gradient to that element only (``Pick``); ``median()`` over all
elements spreads it evenly over the elements equal to the median, as torch's
``evenly_distribute_backward`` does.
"""

from __future__ import annotations

from ..function import Function
from ._util import floating, normalize_dim
from .ordering import sort_order
from .reduce import _axes, _keep


class Nansum(Function):
    r"""z = \sum_i a_i over the axes, NaNs counted as 0;  dz/da_i = 1 (0 at NaNs)."""

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        xp = ctx.xp
        ctx.axes, ctx.shape = _axes(dim, a.ndim), a.shape
        if a.dtype.kind != "f":
            return a.sum(axis=ctx.axes, keepdims=keepdim)
        ctx.nan = xp.isnan(a)
        return xp.where(ctx.nan, 0, a).sum(axis=ctx.axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        full = xp.broadcast_to(_keep(grad, ctx.axes, ctx.shape), ctx.shape)
        return xp.where(ctx.nan, 0, full) if hasattr(ctx, "nan") else full.copy()


def rank_along(xp, a, dim: int, ranks):
    """``(values, indices)``: the element of rank ``ranks`` (0-based, an int64 array of
    the shape of ``a`` with ``dim`` of size 1) of each slice of ``a`` along ``dim`` in the
    stable, NaN-largest order; ``dim`` kept as size 1."""
    order = sort_order(xp, a, dim)
    indices = xp.take_along_axis(order, ranks, axis=dim)
    return xp.take_along_axis(a, indices, axis=dim), indices


def median_ranks(xp, a, dim: int, ignore_nan: bool):
    """The rank of each slice's median: the lower middle of the non-NaN values; with a NaN
    in the slice, the first NaN (``median``) or, all NaN, rank 0 (``nanmedian``)."""
    n = a.shape[dim]
    valid = (~xp.isnan(a)).sum(axis=dim, keepdims=True) if a.dtype.kind == "f" else None
    if valid is None:
        return xp.full([1 if i == dim else s for i, s in enumerate(a.shape)], (n - 1) // 2)
    if ignore_nan:
        return xp.maximum(valid - 1, 0) // 2
    return xp.where(valid < n, valid, (n - 1) // 2)


class Pick(Function):
    r"""z = a at ``indices`` along ``dim`` (indices with ``dim`` of size 1); the gradient
    goes to the picked positions only."""

    @staticmethod
    def forward(ctx, a, indices, dim=0, keepdim=False):
        ctx.dim, ctx.index, ctx.shape = dim, indices, a.shape
        out = ctx.xp.take_along_axis(a, indices, axis=dim)
        return out if keepdim else out.squeeze(axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        full = xp.zeros(ctx.shape, dtype=grad.dtype)
        xp.put_along_axis(full, ctx.index, grad.reshape(ctx.index.shape), axis=ctx.dim)
        return full


class EvenlyAt(Function):
    r"""z = v, a value of ``a`` found elsewhere (``median()``);  dz/da_i = 1/m for the m
    elements equal to v (NaN: the NaNs), 0 for the others."""

    @staticmethod
    def forward(ctx, a, value):
        ctx.save_for_backward(a, value)
        return value.copy()

    @staticmethod
    def backward(ctx, grad):
        a, value = ctx.saved
        xp = ctx.xp
        hit = (a == value) | (xp.isnan(a) & xp.isnan(value))
        return xp.where(hit, grad / hit.sum(), 0).astype(grad.dtype, copy=False)


def check_kth(k: int, size: int, dim: int) -> None:
    if not 1 <= k <= max(size, 1):
        raise IndexError(f"kthvalue(): selected number k out of range for dimension {dim}")


def mode_along(xp, a, dim: int):
    """``(values, indices)`` of the most frequent value of each slice along ``dim`` (the
    smallest among equally frequent ones; its last index, as torch's CPU kernel), with
    ``dim`` kept as size 1."""
    moved = xp.moveaxis(a, dim, -1)
    lead, n = moved.shape[:-1], moved.shape[-1]
    flat = moved.reshape(-1, n)
    order = sort_order(xp, flat, 1)
    ordered = xp.take_along_axis(flat, order, axis=1)
    starts = xp.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run = xp.cumsum(starts, axis=1) - 1  # each position's run number
    first = xp.argsort(~starts, axis=1, kind="stable")  # run starts, in order
    count = xp.arange(n) - xp.take_along_axis(first, run, axis=1) + 1  # run length so far
    best = xp.argmax(count, axis=1)[:, None]  # first to reach the top count: smallest value
    values = xp.take_along_axis(ordered, best, axis=1)
    indices = xp.take_along_axis(order, best, axis=1)
    shape = lead + (1,)
    return (
        xp.moveaxis(values.reshape(shape), -1, dim),
        xp.moveaxis(indices.reshape(shape), -1, dim),
    )


class Logcumsumexp(Function):
    r"""z_i = \ln \sum_{j <= i} e^{a_j} along ``dim``;
    dz/da_j = \sum_{i >= j} g_i e^{a_j - z_i}, summed in log space for positive and
    negative g apart (as torch's logcumsumexp_backward), so nothing overflows."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=0):
        xp = ctx.xp
        a = floating(a)  # torch: integer inputs give the default float dtype
        ctx.axis = normalize_dim(dim, a.ndim) if a.ndim else None
        if ctx.axis is None or a.size == 0:
            out = a.copy()
        else:
            out = xp.logaddexp.accumulate(a, axis=ctx.axis)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        if ctx.axis is None or a.size == 0:
            return grad
        xp, axis = ctx.xp, ctx.axis

        def reversed_lcse(x):
            return xp.flip(xp.logaddexp.accumulate(xp.flip(x, axis), axis=axis), axis)

        tiny = xp.where(grad == 0, 1, xp.abs(grad))
        log_pos = xp.where(grad > 0, xp.log(tiny), -xp.inf)
        log_neg = xp.where(grad < 0, xp.log(tiny), -xp.inf)
        pos = xp.exp(reversed_lcse(log_pos - out) + a)
        neg = xp.exp(reversed_lcse(log_neg - out) + a)
        return (pos - neg).astype(grad.dtype, copy=False)
