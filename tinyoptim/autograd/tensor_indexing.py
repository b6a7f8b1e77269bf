"""Methods of ``Tensor`` that write or pick at indexed positions (``scatter``,
``index_add``, ``masked_select``, ``nonzero``, ``select``, ``tril``, ``diag``...), and the
rearranging ones ``repeat_interleave``, ``movedim``, ``unflatten``, ``tensor_split`` and
the in-place shape methods (``squeeze_``, ``t_``...).

The writing ops build an index key into the tensor here and hand it to
``ops/scatter.py``; the in-place forms go through ``inplace.apply`` like every other.
"""

from __future__ import annotations

import math

from . import function, inplace, views
from .function import DEVICE_MISMATCH, labelled
from .ops import scatter as sc
from .ops._util import check_broadcast, normalize_dim


class IndexingOps:
    """Indexed-write, selection and rearranging methods of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    # -- scatter ----------------------------------------------------------------------------

    def scatter(self, dim: int, index, src=None, *, value=None):
        return sc.Scatter.apply(self, *_scatter_args(self, "scatter", dim, index, src, value))

    def scatter_(self, dim: int, index, src=None, *, value=None):
        src, key, corner = _scatter_args(self, "scatter", dim, index, src, value)
        return inplace.apply(self, sc.Scatter, src, key=key, corner=corner)

    def scatter_add(self, dim: int, index, src):
        return sc.ScatterAdd.apply(self, *_scatter_args(self, "scatter_add", dim, index, src))

    def scatter_add_(self, dim: int, index, src):
        src, key, corner = _scatter_args(self, "scatter_add", dim, index, src)
        return inplace.apply(self, sc.ScatterAdd, src, key=key, corner=corner)

    # -- index_add / index_fill / index_copy ----------------------------------------------

    def index_add(self, dim: int, index, source, *, alpha=1):
        key = _index_key(self, "index_add_", dim, index, source)
        return sc.IndexAdd.apply(self, source, key=key, alpha=alpha)

    def index_add_(self, dim: int, index, source, *, alpha=1):
        key = _index_key(self, "index_add_", dim, index, source)
        return inplace.apply(self, sc.IndexAdd, source, key=key, alpha=alpha)

    def index_copy(self, dim: int, index, source):
        key = _index_key(self, "index_copy_", dim, index, source)
        return sc.IndexCopy.apply(self, source, key=key)

    def index_copy_(self, dim: int, index, source):
        key = _index_key(self, "index_copy_", dim, index, source)
        return inplace.apply(self, sc.IndexCopy, source, key=key)

    def index_fill(self, dim: int, index, value):
        value, key = _fill_args(self, dim, index, value)
        return sc.IndexFill.apply(self, value, key=key)

    def index_fill_(self, dim: int, index, value):
        value, key = _fill_args(self, dim, index, value)
        return inplace.apply(self, sc.IndexFill, value, key=key)

    # -- picking --------------------------------------------------------------------------

    def masked_select(self, mask):
        if mask.dtype.name != "bool":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = check_broadcast(self.shape, mask.shape)
        source = self if self.shape == shape else self.expand(shape)
        mask = mask if mask.shape == shape else mask.expand(shape)
        return labelled(source[mask], "MaskedSelectBackward0")

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the nonzero elements: (n, ndim) int64, or a tuple of n-vectors.
        Their number depends on the values (on a GPU, finding it waits for the device)."""
        xp = self.backend.xp
        found = [i.astype("int64") for i in xp.nonzero(xp.atleast_1d(self.data))]
        make = function.Tensor._make
        if as_tuple:
            return tuple(make(i, self._device) for i in found)
        if self.ndim == 0:
            stacked = xp.zeros((found[0].shape[0], 0), dtype="int64")
        else:
            stacked = xp.stack(found, axis=1).reshape(-1, self.ndim)
        return make(stacked, self._device)

    def take_along_dim(self, indices, dim=None):
        if indices.dtype.name != "int64":
            raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but "
                               f"got {indices.dtype.scalar_name}")  # fmt: skip
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        if indices.ndim != self.ndim:
            raise RuntimeError(
                "torch.take_along_dim(): input and indices should have the same number of "
                f"dimensions, but got {self.ndim} dimensions for input, and {indices.ndim} "
                "dimensions for indices"
            )
        d = normalize_dim(dim, self.ndim)
        wanted = list(self.shape)
        wanted[d] = indices.shape[d]
        shape = check_broadcast(tuple(wanted), indices.shape)
        source = list(shape)
        source[d] = self.shape[d]
        source = self if tuple(source) == self.shape else self.expand(source)
        return source.gather(d, indices if indices.shape == shape else indices.expand(shape))

    def select(self, dim: int, index: int):
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = normalize_dim(dim, self.ndim)
        if not -self.shape[d] <= index < self.shape[d]:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self.shape)} at dimension {dim}")  # fmt: skip
        return self[(slice(None),) * d + (index,)]

    # -- matrix structure -------------------------------------------------------------------

    def tril(self, diagonal: int = 0):
        return sc.Tril.apply(_matrix(self, "tril"), diagonal=diagonal)

    def triu(self, diagonal: int = 0):
        return sc.Triu.apply(_matrix(self, "triu"), diagonal=diagonal)

    def tril_(self, diagonal: int = 0):
        return inplace.apply(_matrix(self, "tril"), sc.Tril, diagonal=diagonal)

    def triu_(self, diagonal: int = 0):
        return inplace.apply(_matrix(self, "triu"), sc.Triu, diagonal=diagonal)

    def diag(self, diagonal: int = 0):
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return sc.Diag.apply(self, diagonal=diagonal)

    def outer(self, vec2):
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
        return self.reshape(-1, 1) * vec2

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        if self.dtype.name == "bool":
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        return sc.Trace.apply(self)

    # -- rearranging --------------------------------------------------------------------------

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else normalize_dim(dim, x.ndim)
        n = x.shape[d] if x.ndim else 1
        if isinstance(repeats, int):
            if repeats < 0:
                raise RuntimeError("Repeats must be non-negative")
            _check_output_size(output_size, n * repeats)
            shape = x.shape
            wide = x.unsqueeze(d + 1).expand(shape[: d + 1] + (repeats,) + shape[d + 1 :])
            return wide.reshape(shape[:d] + (shape[d] * repeats,) + shape[d + 1 :])
        counts = self.backend.to_host(repeats.data).astype("int64")
        if counts.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.ndim == 0:
            counts = counts.reshape(1).repeat(n)
        if counts.shape[0] != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {n}"
            )
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        _check_output_size(output_size, int(counts.sum()))
        xp = self.backend.xp
        picks = xp.repeat(xp.arange(n, dtype="int64"), counts.tolist())
        return x.index_select(d, function.Tensor._make(picks, self._device))

    def movedim(self, source, destination):
        src = [source] if isinstance(source, int) else list(source)
        dst = [destination] if isinstance(destination, int) else list(destination)
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({src} dims) should "
                f"contain the same number of dims as destination ({dst} dims)"
            )
        src = [normalize_dim(s, self.ndim) for s in src]
        dst = [normalize_dim(s, self.ndim) for s in dst]
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({dims})")
        order = [-1] * self.ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(a for a in range(self.ndim) if a not in src)
        return self.permute([a if a >= 0 else next(rest) for a in order])

    moveaxis = movedim

    def unflatten(self, dim: int, sizes):
        given = [int(n) for n in sizes]
        if not given:
            raise RuntimeError("unflatten: sizes must be non-empty")
        d = normalize_dim(dim, self.ndim)
        n = self.shape[d]
        if given.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = math.prod(s for s in given if s != -1)
        sizes = list(given)
        if -1 in given and known and n % known == 0:
            sizes[given.index(-1)] = n // known
        if -1 in sizes or math.prod(sizes) != n:
            raise RuntimeError(f"unflatten: Provided sizes {given} don't multiply up to the "
                               f"size of dim {dim} ({n}) in the input tensor")  # fmt: skip
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def tensor_split(self, indices_or_sections, dim: int = 0):
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got "
                               "a tensor with 0 dims")  # fmt: skip
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d]
        if isinstance(indices_or_sections, function.Tensor):
            indices_or_sections = indices_or_sections.tolist()
        if isinstance(indices_or_sections, int):
            n = indices_or_sections
            if n <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {n}")
            counts = [size // n + (1 if i < size % n else 0) for i in range(n)]
            bounds = [sum(counts[:i]) for i in range(n + 1)]
        else:
            bounds = [0, *indices_or_sections, size]
        lead = (slice(None),) * d
        return tuple(self[lead + (slice(a, max(a, b) if b >= 0 else b),)]
                     for a, b in zip(bounds, bounds[1:]))  # fmt: skip

    # -- in-place shape changes -------------------------------------------------------------

    def squeeze_(self, dim=None):
        label = "SqueezeBackward" + ("3" if dim is None else "5" if isinstance(dim, (tuple, list))
                                     else "4")  # fmt: skip
        return _reshape_in_place(self, lambda t: t.squeeze(dim), label)

    def unsqueeze_(self, dim: int):
        return _reshape_in_place(self, lambda t: t.unsqueeze(dim), "UnsqueezeBackward1")

    def t_(self):
        return _reshape_in_place(self, lambda t: t.t(), "TBackward1")

    def transpose_(self, dim0: int, dim1: int):
        return _reshape_in_place(self, lambda t: t.transpose(dim0, dim1), "TransposeBackward1")


def _index_data(t, index, name: str):
    """``index``'s array on ``t``'s device (an index may come from the host, as in torch)."""
    if not isinstance(index, function.Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.device == t.device:
        return index.data
    if index.device.type != "cpu":
        raise RuntimeError(DEVICE_MISMATCH.format(t.device, index.device))
    return t.backend.from_host(index.numpy())


def _scatter_args(t, name, dim, index, src, value=None) -> tuple:
    """(src or the number, key, corner) for ``scatter``/``scatter_add``, with torch's errors."""
    if src is None:
        src = value
    if name == "scatter_add" and not isinstance(src, function.Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")  # fmt: skip
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    d = normalize_dim(dim, t.ndim)
    is_tensor = isinstance(src, function.Tensor)
    if index.numel() == 0:  # nothing is written
        empty = t.backend.xp.zeros((0,) * t.ndim, dtype="int64")
        corner = (slice(0, 0),) * src.ndim if is_tensor else None
        return src, sc.positions(t.backend.xp, empty, d), corner
    if index.ndim != t.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if is_tensor and src.ndim != t.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if is_tensor and src.dtype != t.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    too_big = any(n > m for a, (n, m) in enumerate(zip(index.shape, t.shape)) if a != d)
    if is_tensor and (too_big or any(n > m for n, m in zip(index.shape, src.shape))):
        raise RuntimeError(
            f"Expected index {list(index.shape)} to be no larger than self {list(t.shape)} apart "
            f"from dimension {d} and to be no larger size than src {list(src.shape)}"
        )
    if too_big:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(t.shape)} apart from dimension {d}")  # fmt: skip
    data = _index_data(t, index, name)
    if t.ndim == 0:
        sc.check_bounds(t.backend, data, 1, d)
        return src, (), (() if is_tensor else None)
    sc.check_bounds(t.backend, data, t.shape[d], d)
    key = sc.positions(t.backend.xp, data, d)
    corner = tuple(slice(0, n) for n in index.shape) if is_tensor else None
    if is_tensor and src.shape == index.shape:
        corner = None
    return src, key, corner


def _index_key(t, name: str, dim, index, source) -> tuple:
    """The key ``(:, ..., index)`` for ``index_add_``/``index_copy_``, with torch's errors."""
    copy = name == "index_copy_"
    if index.dtype.name not in ("int64", "int32") or copy and index.dtype.name != "int64":
        if copy:
            raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                               f"{index.dtype.scalar_name}")  # fmt: skip
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype.scalar_name}")  # fmt: skip
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {index.dtype.scalar_name} and size: "
                         f"{list(index.shape)}")  # fmt: skip
    if source.dtype != t.dtype:
        if copy:
            raise RuntimeError(
                "index_copy_(): self and source expected to have the same dtype, but got (self) "
                f"{t.dtype.scalar_name} and (source) {source.dtype.scalar_name}"
            )
        names = t.dtype.scalar_name, source.dtype.scalar_name
        raise RuntimeError(f"{name}(): self ({names[0]}) and source ({names[1]}) must have the "
                           "same scalar type")  # fmt: skip
    d = normalize_dim(dim, t.ndim)
    count = index.numel()
    along = source.shape[d] if source.ndim else 1
    if count != along:
        sep = " " if copy else ": "
        tail = "" if copy else f", for dim: {d}"
        error = IndexError if copy else RuntimeError
        raise error(f"{name}(): Number of indices ({count}) should be equal to "
                    f"source.size(dim){sep}({along}){tail}")  # fmt: skip
    rest = [n for a, n in enumerate(t.shape) if a != d]
    if source.ndim and [n for a, n in enumerate(source.shape) if a != d] != rest:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(t.shape)} source.shape = {list(source.shape)}"
        )
    data = _index_data(t, index, name).reshape(-1)
    prefix, error = ("index_copy_(): ", IndexError) if copy else ("", RuntimeError)
    sc.check_bounds(t.backend, data, t.shape[d] if t.ndim else 1, d, error, prefix)
    return (slice(None),) * d + (data,) if t.ndim else (data,)


def _fill_args(t, dim, index, value) -> tuple:
    """(value, key) for ``index_fill_``, with torch's errors."""
    if index.dtype.name != "int64":
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise IndexError("Index has to be a vector/scalar")
    if isinstance(value, function.Tensor) and value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")  # fmt: skip
    d = normalize_dim(dim, t.ndim)
    size = t.shape[d] if t.ndim else 1
    data = _index_data(t, index, "index_fill_").reshape(-1)
    if data.size:  # negative indices count from the end, as in torch
        data = t.backend.xp.where(data < 0, data + size, data)
        sc.check_bounds(t.backend, data, size, d, IndexError)
    return value, (slice(None),) * d + (data,)


def _matrix(t, name: str):
    if t.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return t


def _check_output_size(output_size, total: int) -> None:
    if output_size is not None and output_size != total:
        raise RuntimeError("allocated size does not match required size")


def _reshape_in_place(t, make, label: str):
    """``t`` given the shape of ``make(t)`` (a view op) in place: its array, view info and
    node become the view's, and its version moves on, as torch's ``squeeze_`` and friends."""
    inplace._check_leaf(t)
    old = views.stand_in(t)  # the op reads t as it is now; t changes below
    out = make(old)
    info = t._view
    if info is not None and out._view is not None:
        t._view = views.ViewInfo(info.base, info.steps + out._view.steps[-1:], info.no_grad)
    t.data = out.data
    t._version_counter.value += 1
    if out.grad_fn is not None:
        views.take_node(t, out.grad_fn)
        labelled(t, label)
    return t
