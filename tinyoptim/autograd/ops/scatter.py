r"""Writing at indexed positions: scatter, scatter_add, index_add/fill/copy; and the
matrix-structure ops tril, triu, diag and trace.

Every writing op takes ``key``, an advanced index into ``a`` (built by the Tensor method):
for ``scatter`` along dim 0 of a 2-d tensor it is ``(index, arange(m)[None, :])``, so
``a[key]`` is the element ``a[index[i][j]][j]`` for each ``(i, j)``; for ``index_add``
along dim 1 it is ``(slice(None), index)``. ``corner`` cuts ``src`` down to the index's
shape (torch uses only that corner of a larger ``src``).

With :math:`W` the set of written positions:

* scatter:     :math:`z = a` off :math:`W`, :math:`z[key] = src`;
  :math:`\partial z/\partial a = g` with :math:`W` zeroed, :math:`\partial z/\partial src
  = g[key]` (a gather). With repeated positions the last write wins, and each copy still
  gets the gradient of the position, as in torch.
* scatter_add: :math:`z = a`, :math:`z[key] \mathrel{+}= \alpha\,src` (repeats summed);
  :math:`\partial z/\partial a = g`, :math:`\partial z/\partial src = \alpha\,g[key]`.
* index_fill:  :math:`z[key] = v`; :math:`\partial z/\partial a = g` with :math:`W` zeroed,
  :math:`\partial z/\partial v = \sum_{p \in W} g_p` (each position once).
"""

from __future__ import annotations

from ..function import Function


def positions(xp, index, dim: int) -> tuple:
    """The key that makes ``a[key][i, j, ...] = a[i, ..., index[i, j, ...], ...]``: index
    along ``dim``, the position itself along every other axis (broadcast aranges)."""
    key = [
        xp.arange(n).reshape((1,) * axis + (n,) + (1,) * (index.ndim - axis - 1))
        for axis, n in enumerate(index.shape)
    ]
    key[dim] = index
    return tuple(key)


def check_bounds(backend, index, size: int, dim: int, error=RuntimeError, prefix="") -> None:
    """torch's error for an index outside ``[0, size)`` (one host crossing: min and max)."""
    if not index.size:
        return
    bounds = backend.to_host(backend.xp.stack([index.min(), index.max()]))
    low, high = int(bounds[0]), int(bounds[1])
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


class Scatter(Function):
    r"""z = a with z[key] = src[corner] (or a number);  dz/da: g with z[key]'s positions
    zeroed, dz/dsrc: g[key] placed in src's corner (zeros elsewhere)."""

    @staticmethod
    def forward(ctx, a, src, key=None, corner=None):
        out = a.copy()
        ctx.key, ctx.corner = key, corner
        ctx.src_shape = getattr(src, "shape", None)
        if ctx.src_shape is None:
            ctx.label = "ScatterBackward1"
            out[key] = src
        else:
            out[key] = src if corner is None else src[corner]
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_src = None
        if ctx.needs_grad[0]:
            grad_a = grad.copy()
            grad_a[ctx.key] = 0
        if ctx.needs_grad[1]:
            picked = grad[ctx.key]
            if ctx.corner is None:
                grad_src = picked
            else:
                grad_src = ctx.xp.zeros(ctx.src_shape, dtype=grad.dtype)
                grad_src[ctx.corner] = picked
        return grad_a, grad_src


class IndexCopy(Scatter):
    r"""z = a with z[..., index, ...] = source along ``dim``;  dz/da: g with those slices
    zeroed, dz/dsource: g[..., index, ...] (index_select)."""


class ScatterAdd(Function):
    r"""z = a with alpha * src[corner] added at key (repeats summed);  dz/da: g,
    dz/dsrc: alpha * g[key] in src's corner."""

    @staticmethod
    def forward(ctx, a, src, key=None, corner=None, alpha=1):
        out = a.copy()
        ctx.key, ctx.corner, ctx.src_shape, ctx.alpha = key, corner, src.shape, alpha
        values = src if corner is None else src[corner]
        if alpha != 1:
            values = values * alpha
            if values.dtype != out.dtype:  # an integer tensor with an integral alpha
                values = values.astype(out.dtype)
        ctx.backend.scatter_add(out, key, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_src = None
        if ctx.needs_grad[1]:
            picked = grad[ctx.key]
            if ctx.alpha != 1:
                picked = picked * ctx.alpha
            if ctx.corner is None:
                grad_src = picked
            else:
                grad_src = ctx.xp.zeros(ctx.src_shape, dtype=grad.dtype)
                grad_src[ctx.corner] = picked
        return (grad if ctx.needs_grad[0] else None), grad_src


class IndexAdd(ScatterAdd):
    r"""z = a with alpha * source added at index along ``dim`` (repeats summed);
    dz/da: g, dz/dsource: alpha * g[..., index, ...]."""


class IndexFill(Function):
    r"""z = a with z[key] = v (a number or a 0-d tensor);  dz/da: g with those positions
    zeroed, dz/dv: the sum of g over the filled positions, each counted once."""

    @staticmethod
    def forward(ctx, a, value, key=None):
        out = a.copy()
        ctx.key = key
        if getattr(value, "shape", None) is not None:
            ctx.label = "IndexFillBackward1"
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        kept = grad.copy()
        kept[ctx.key] = 0
        grad_value = (grad - kept).sum() if ctx.needs_grad[1] else None
        return (kept if ctx.needs_grad[0] else None), grad_value


class Tril(Function):
    r"""z = a with the elements above diagonal ``k`` of the last two axes zeroed;
    dz/da: g masked the same way."""

    @staticmethod
    def forward(ctx, a, diagonal=0):
        ctx.diagonal = diagonal
        return ctx.xp.tril(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.tril(grad, ctx.diagonal)


class Triu(Function):
    r"""z = a with the elements below diagonal ``k`` of the last two axes zeroed;
    dz/da: g masked the same way."""

    @staticmethod
    def forward(ctx, a, diagonal=0):
        ctx.diagonal = diagonal
        return ctx.xp.triu(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.triu(grad, ctx.diagonal)


def _diagonal_key(xp, shape: tuple, k: int) -> tuple:
    """The (rows, cols) of diagonal ``k`` of a matrix of ``shape``."""
    rows, cols = shape
    n = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
    steps = xp.arange(n)
    return steps + max(-k, 0), steps + max(k, 0)


class Diag(Function):
    r"""1-d a: z = the square matrix with a on diagonal k (dz/da: that diagonal of g);
    2-d a: z = diagonal k of a (dz/da: zeros with g on that diagonal)."""

    @staticmethod
    def forward(ctx, a, diagonal=0):
        ctx.shape, ctx.diagonal = a.shape, diagonal
        if a.ndim == 1:
            ctx.label = "DiagEmbedBackward0"
            n = a.shape[0] + abs(diagonal)
            out = ctx.xp.zeros((n, n), dtype=a.dtype)
            out[_diagonal_key(ctx.xp, (n, n), diagonal)] = a
            return out
        ctx.label = "DiagonalBackward0_copy"
        return a[_diagonal_key(ctx.xp, a.shape, diagonal)]

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.shape) == 1:
            return grad[_diagonal_key(ctx.xp, grad.shape, ctx.diagonal)]
        full = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        full[_diagonal_key(ctx.xp, ctx.shape, ctx.diagonal)] = grad
        return full


class Trace(Function):
    r"""z = sum_i a[i, i];  dz/da: zeros with g on the main diagonal."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        total = a[_diagonal_key(ctx.xp, a.shape, 0)].sum()
        if a.dtype.kind in "iu":  # torch sums integers in int64
            total = total.astype("int64")
        return total

    @staticmethod
    def backward(ctx, grad):
        full = ctx.xp.zeros(ctx.shape, dtype=grad.dtype)
        full[_diagonal_key(ctx.xp, ctx.shape, 0)] = grad
        return full
