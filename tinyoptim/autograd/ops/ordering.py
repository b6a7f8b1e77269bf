"""Ordering ops: sort and topk, cumulative sums and products, prod, flip and roll.

``sort`` and ``topk`` pick elements by an order computed first (``sort_order``,
``topk_order``: stable, NaN largest, ties in index order), so their backward puts the
gradient back where each value came from. The cumulative ops accumulate as torch's CPU
kernel does (float32 in float64, float16 in float32), so their values match torch's
bit for bit; integer and bool inputs give int64, as in torch.
"""

from __future__ import annotations

from ..function import Function
from ._util import normalize_dim

# The dtype torch's CPU kernels accumulate cumulative sums and products in.
_WIDER = {"float32": "float64", "float16": "float32"}


def _result_dtype(dtype):
    """int64 for integer and bool inputs (torch's ``cumsum``/``prod``), else ``dtype``."""
    return "int64" if dtype.kind in "iub" else dtype


def _cumulate(xp, name: str, a, axis: int, dtype):
    """``cumsum``/``cumprod`` of ``a`` along ``axis`` in ``dtype``, accumulated wider."""
    wide = _WIDER.get(str(dtype), dtype)
    return getattr(xp, name)(a, axis=axis, dtype=wide).astype(dtype, copy=False)


def _reversed_cumsum(xp, a, axis: int):
    r"""r_i = \sum_{j >= i} a_j along ``axis``."""
    return xp.flip(_cumulate(xp, "cumsum", xp.flip(a, axis), axis, a.dtype), axis)


def _axis(dim: int, ndim: int):
    """``dim`` as an axis (checked against torch's range), or None for a 0-d array."""
    axis = normalize_dim(dim, ndim)
    return axis if ndim else None


def _along(axis: int, part: slice) -> tuple:
    """An index taking ``part`` of ``axis`` and all of every other axis."""
    return (slice(None),) * axis + (part,)


def _exclusive_cumprod(xp, a, axis: int):
    r"""e_k = \prod_{j < k} a_j along ``axis`` (1 for the first), with no division."""
    ones = xp.ones_like(a[_along(axis, slice(0, 1))])
    shifted = xp.concatenate([ones, a[_along(axis, slice(0, -1))]], axis=axis)
    return _cumulate(xp, "cumprod", shifted, axis, a.dtype)


def _others_product(xp, a, axis: int):
    r"""p_k = \prod_{j \ne k} a_j along ``axis``: the exclusive products from the left
    and from the right multiplied (exact when ``a`` holds zeros)."""
    right = xp.flip(_exclusive_cumprod(xp, xp.flip(a, axis), axis), axis)
    return _exclusive_cumprod(xp, a, axis) * right


# -- sort and topk ------------------------------------------------------------------------


def sort_order(xp, a, dim: int, descending: bool = False):
    """The int64 indices that sort ``a`` along ``dim``: stable (ties keep their index
    order, descending too) with NaN largest, as torch's CPU sort orders them."""
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0:
        return xp.zeros((), dtype="int64")
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable").astype("int64", copy=False)
    # ascending over the reversed slice, reversed back: descending, equal values (and
    # NaNs, now first) still in index order
    backwards = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable").astype("int64")
    return xp.flip(a.shape[axis] - 1 - backwards, axis).copy()


def topk_order(xp, a, k: int, dim: int, largest: bool = True):
    """The indices of the ``k`` largest (or smallest) elements of ``a`` along ``dim``,
    in sorted order, with torch's error for ``k`` outside ``[0, size]``."""
    axis = normalize_dim(dim, a.ndim)
    if not 0 <= k <= (a.shape[axis] if a.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if a.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if a.ndim == 0:  # k is 0 or 1: torch returns the element either way
        return xp.zeros((), dtype="int64")
    order = sort_order(xp, a, axis, descending=largest)
    return order[_along(axis, slice(0, k))].copy()


class Sort(Function):
    r"""z_i = a_{p_i} along ``dim``, p the sorting permutation (``sort_order``);
    dz/da: the gradient put back where each value came from, (dL/da)_{p_i} = g_i.

    ``stable`` only names the node: the sort is always stable (torch's ``SortBackward1``
    is the node of the overload that takes it)."""

    @staticmethod
    def forward(ctx, a, order, dim=-1, stable=None):
        if stable is not None:
            ctx.label = "SortBackward1"
        ctx.shape = a.shape
        if a.ndim == 0:
            ctx.axis = None
            return a.copy()
        ctx.axis, ctx.order = normalize_dim(dim, a.ndim), order
        return ctx.xp.take_along_axis(a, order, axis=ctx.axis)

    @staticmethod
    def backward(ctx, grad):
        if ctx.axis is None:
            return grad
        full = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        ctx.xp.put_along_axis(full, ctx.order, grad, axis=ctx.axis)
        return full


class Topk(Sort):
    r"""z_i = a_{p_i} for the first k of the sorting permutation p (largest or smallest
    first); dz/da: g_i at the picked positions p_i, 0 elsewhere."""

    @staticmethod
    def forward(ctx, a, order, dim=-1):
        return Sort.forward(ctx, a, order, dim=dim)


# -- cumulative sums and products -----------------------------------------------------------


class Cumsum(Function):
    r"""z_i = \sum_{j \le i} a_j along ``dim``;
    dz/da: (dL/da)_j = \sum_{i \ge j} g_i, the gradient summed from the end."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=0):
        ctx.axis = _axis(dim, a.ndim)
        if ctx.axis is None:
            return a.astype(_result_dtype(a.dtype))  # a copy
        return _cumulate(ctx.xp, "cumsum", a, ctx.axis, _result_dtype(a.dtype))

    @staticmethod
    def backward(ctx, grad):
        if ctx.axis is None or grad.shape[ctx.axis] <= 1:
            return grad
        return _reversed_cumsum(ctx.xp, grad, ctx.axis)


class Cumprod(Function):
    r"""z_i = \prod_{j \le i} a_j along ``dim``;
    dz/da_k = \sum_{i \ge k} g_i \prod_{j \le i, j \ne k} a_j.

    torch's O(n) formula, with s the first zero of the slice and t the next one:
    before s, (dL/da)_k = (\sum_{k \le i < s} g_i z_i) / a_k;
    at s, (dL/da)_s = (\prod_{j < s} a_j) \sum_{s \le i \le t} g_i \prod_{s < j \le i} a_j
    (the terms past t hold two zeros);
    after s, 0 (every product holds a_s = 0)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=0):
        ctx.axis = _axis(dim, a.ndim)
        if ctx.axis is None:
            return a.astype(_result_dtype(a.dtype))
        out = _cumulate(ctx.xp, "cumprod", a, ctx.axis, _result_dtype(a.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        axis = ctx.axis
        if axis is None or grad.shape[axis] <= 1:
            return grad
        xp = ctx.xp
        a, out = ctx.saved
        zero = a == 0
        zeros_so_far = _cumulate(xp, "cumsum", zero, axis, "int64")
        before = zeros_so_far == 0
        weighted = xp.where(before, out * grad, 0)
        divided = _reversed_cumsum(xp, weighted, axis) / xp.where(before, a, 1)
        at_zero = _at_first_zero(xp, a, grad, zero, zeros_so_far, axis)
        return xp.where(before, divided, at_zero)


def _at_first_zero(xp, a, grad, zero, zeros_so_far, axis: int):
    r"""Cumprod's (dL/da)_s at the first zero s of each slice, 0 elsewhere:
    (\prod_{j < s} a_j) \sum_{s \le i \le t} g_i \prod_{s < j \le i} a_j, t the next zero."""
    first = zero & (zeros_so_far == 1)
    upto_first = (zeros_so_far == 0) | first
    reach = (zeros_so_far == 1) | (zero & (zeros_so_far == 2))  # from s through t
    after = _cumulate(xp, "cumprod", xp.where(upto_first, 1, a), axis, a.dtype)
    inner = xp.where(reach, grad * after, 0).sum(axis=axis, keepdims=True)
    prefix = xp.where(first, _exclusive_cumprod(xp, a, axis), 0).sum(axis=axis, keepdims=True)
    return xp.where(first, prefix * inner, 0).astype(a.dtype, copy=False)


# -- products -------------------------------------------------------------------------------


class Prod(Function):
    r"""z = \prod_i a_i over all elements, or along ``dim``;
    dz/da_k = \prod_{i \ne k} a_i.

    As torch: when the tensor holds no zero that is g z / a_k; otherwise the product of
    the exclusive cumulative products from the left and the right (no division, exact
    with one zero; with two or more in a slice every gradient there is 0)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, dim=None, keepdim=False):
        if dim is not None:
            ctx.label = "ProdBackward1"  # torch's overload with a dim
        ctx.axis = None if dim is None else _axis(dim, a.ndim)
        ctx.keepdim, dtype = keepdim, _result_dtype(a.dtype)
        if a.ndim == 0:
            ctx.save_for_backward(a, None)
            return a.astype(dtype)
        out = a.prod(axis=ctx.axis, keepdims=keepdim, dtype=dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        xp = ctx.xp
        if a.ndim == 0:
            return grad
        if a.size == 0:
            return xp.zeros(a.shape, dtype=grad.dtype)
        if ctx.axis is None:
            return _prod_all_backward(xp, a, out, grad)
        if not ctx.keepdim:
            grad, out = xp.expand_dims(grad, ctx.axis), xp.expand_dims(out, ctx.axis)
        zero = a == 0
        divided = grad * (out / xp.where(zero, 1, a))
        exact = grad * _others_product(xp, a, ctx.axis)
        return xp.where(zero.any(), exact, divided)


def _prod_all_backward(xp, a, out, grad):
    r"""dz/da_k for z = \prod_i a_i over every element: z / a_k without zeros, the exact
    product of the others with one zero, and 0 everywhere with two or more."""
    zeros = (a == 0).sum()
    divided = grad * (out / xp.where(a == 0, 1, a))
    exact = grad * _others_product(xp, a.reshape(-1), 0).reshape(a.shape)
    return xp.where(zeros > 1, 0, xp.where(zeros == 1, exact, divided)).astype(a.dtype)


# -- flip and roll --------------------------------------------------------------------------


class Flip(Function):
    r"""z = a reversed along each axis in ``dims``;  dz/da: g reversed along them too."""

    @staticmethod
    def forward(ctx, a, dims=()):
        ctx.axes = tuple(dims) if a.ndim else ()
        return ctx.xp.flip(a, axis=ctx.axes).copy() if ctx.axes else a.copy()

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.flip(grad, axis=ctx.axes) if ctx.axes else grad


class Roll(Function):
    r"""z = a shifted cyclically by ``shifts[i]`` along ``dims[i]`` (over the flattened
    tensor when ``dims`` is None), z_{(j + s) mod n} = a_j;
    dz/da: g rolled back by -shifts."""

    @staticmethod
    def forward(ctx, a, shifts=(), dims=None):
        ctx.shifts, ctx.dims = tuple(shifts), None if dims is None else tuple(dims)
        shift = ctx.shifts[0] if dims is None else ctx.shifts
        return ctx.xp.roll(a, shift, axis=ctx.dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts)
        return ctx.xp.roll(grad, back[0] if ctx.dims is None else back, axis=ctx.dims)
