"""Methods of ``Tensor`` that rearrange or pick elements, or make tensors like this one:
``view_as``, ``chunk``, ``split``, ``unbind``, ``narrow``, ``gather``, ``index_select``,
``repeat``, ``mm``/``bmm``/``dot``, ``norm``, ``new_zeros`` and friends.

Pieces of a tensor (``chunk``, ``split``, ``unbind``, ``narrow``) are slices, so they are
views, as torch's are.
"""

from __future__ import annotations

import math
import warnings

from ..backends import as_dtype
from .function import labelled
from .ops import index, reduce, shape

_TYPE_NAMES = {"Float": "float32", "Double": "float64", "Half": "float16", "Long": "int64",
               "Int": "int32", "Bool": "bool", "Byte": "uint8"}  # fmt: skip


class StructureOps:
    """Structural op methods of ``Tensor``, which inherits them (no state of its own)."""

    __slots__ = ()

    # -- size and layout ------------------------------------------------------------------

    def size(self, dim: int | None = None):
        if dim is None:
            return self.shape
        return self.shape[_dim_of_sized(dim, self.ndim)]

    def numel(self) -> int:
        return int(self.data.size)

    def nelement(self) -> int:
        return self.numel()

    def dim(self) -> int:
        return self.data.ndim

    def ndimension(self) -> int:
        return self.data.ndim

    def element_size(self) -> int:
        return self.data.itemsize

    @property
    def itemsize(self) -> int:
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        return self.data.itemsize * self.numel()

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    def get_device(self) -> int:
        """The GPU's index for a CUDA tensor, -1 for any other (torch's convention)."""
        return self.device.index if self.device.type == "cuda" else -1

    def is_contiguous(self) -> bool:
        """Whether the elements lie in memory in row-major order, without gaps."""
        return self.backend.is_contiguous(self.data)

    def contiguous(self):
        """This tensor when it is contiguous, else a contiguous copy (in the graph)."""
        return self if self.is_contiguous() else self.clone()

    # -- dtype conversions -----------------------------------------------------------------

    def float(self):
        return self.to(as_dtype("float32"))

    def double(self):
        return self.to(as_dtype("float64"))

    def half(self):
        return self.to(as_dtype("float16"))

    def long(self):
        return self.to(as_dtype("int64"))

    def int(self):
        return self.to(as_dtype("int32"))

    def bool(self):
        return self.to(as_dtype("bool"))

    def type(self, dtype=None):
        """Without ``dtype``, the tensor type's name (``'tinyoptim.FloatTensor'``, or
        ``'tinyoptim.cuda.FloatTensor'`` on a GPU); with one, this tensor in that dtype,
        given as a dtype or as such a name."""
        if dtype is None:
            place = "cuda." if self.device.type == "cuda" else ""
            return f"tinyoptim.{place}{self.dtype.scalar_name}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype = _TYPE_NAMES.get(dtype.rsplit(".", 1)[-1][: -len("Tensor")], dtype)
        return self.to(as_dtype(dtype))

    # -- shaped like another tensor -----------------------------------------------------

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def type_as(self, other):
        return self.to(other.dtype)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new("ones", size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new("empty", size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from . import factories

        return factories.full(
            size,
            fill_value,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False):
        from . import factories

        return factories.tensor(
            data,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    def _new(self, make: str, size, dtype, device, requires_grad):
        from . import factories

        size = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        return getattr(factories, make)(
            *size,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    # -- pieces (views) -----------------------------------------------------------------

    def narrow(self, dim: int, start: int, length: int):
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        axis = _dim(dim, self.ndim)
        size = self.shape[axis]
        if not -size <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})"
            )
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size})."
            )
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim: int = 0):
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        given, dim = dim, _dim(dim, self.ndim)
        size = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step < 0:
                raise RuntimeError(
                    f"split expects split_size be non-negative, but got split_size={step}"
                )
            if step == 0 and size != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {size}")  # fmt: skip
            sizes = [min(step, size - start) for start in range(0, size, step or 1)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if any(n < 0 for n in sizes):
                raise RuntimeError(
                    "split_with_sizes expects split_sizes have only non-negative entries, but "
                    f"got split_sizes={sizes}"
                )
            if sum(sizes) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                    f"tensor's size at dimension {given}), but got split_sizes={sizes}"
                )
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        pieces = tuple(self.narrow(dim, start, n) for start, n in zip(starts, sizes))
        label = (
            "SplitBackward0"
            if isinstance(split_size_or_sections, int)
            else ("SplitWithSizesBackward0")
        )
        return tuple(labelled(piece, label) for piece in pieces)

    def chunk(self, chunks: int, dim: int = 0):
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        size = self.shape[_dim(dim, self.ndim)]
        if size == 0:  # torch gives `chunks` empty pieces
            return tuple(self.narrow(dim, 0, 0) for _ in range(chunks))
        return self.split(math.ceil(size / chunks), dim)

    def unbind(self, dim: int = 0):
        dim = _dim_of_sized(dim, self.ndim)
        return tuple(
            labelled(self[(slice(None),) * dim + (i,)], "UnbindBackward0")
            for i in range(self.shape[dim])
        )

    # -- picking and tiling ---------------------------------------------------------------

    def gather(self, dim: int, index_tensor):
        if index_tensor.dtype.name not in ("int64", "int32"):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        if index_tensor.ndim != self.ndim:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as input tensor"
            )
        return index.Gather.apply(self, index_tensor.data, dim=_dim(dim, self.ndim))

    def index_select(self, dim: int, index_tensor):
        if index_tensor.dtype.name not in ("int64", "int32"):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if index_tensor.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        size = self.shape[_dim(dim, self.ndim)]
        if index_tensor.numel() and not (
            0 <= index_tensor.min().item() and index_tensor.max().item() < size
        ):
            raise IndexError("index out of range in self")
        picked = self[(slice(None),) * _dim(dim, self.ndim) + (index_tensor.reshape(-1),)]
        return labelled(picked, "IndexSelectBackward0")

    def repeat(self, *sizes):
        sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if any(n < 0 for n in sizes):
            lead = (1,) * (len(sizes) - self.ndim) + self.shape
            dims = [n * m for n, m in zip(sizes, lead)]
            negative = next(n for n in dims if n < 0)
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {negative}: {dims}"
            )
        return shape.Repeat.apply(self, repeats=tuple(sizes))

    # -- products and norms ---------------------------------------------------------------

    def mm(self, mat2):
        if self.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if mat2.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return self @ mat2

    def bmm(self, mat2):
        if self.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if mat2.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if mat2.dtype != self.dtype:
            raise RuntimeError(
                f"expected scalar type {self.dtype.scalar_name} but found {mat2.dtype.scalar_name}"
            )
        if mat2.shape[:2] != (self.shape[0], self.shape[2]):
            raise RuntimeError(
                "Expected size for first two dimensions of batch2 tensor to be: "
                f"[{self.shape[0]}, {self.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
            )
        return labelled(self @ mat2, "BmmBackward0")

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors"
            )
        return self @ other

    @property
    def mT(self):
        if self.ndim == 0:
            warnings.warn(
                "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these "
                "cases.",
                UserWarning,
                stacklevel=2,
            )
            return self
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. Got "
                f"{self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def swapaxes(self, axis0: int, axis1: int):
        return self.transpose(axis0, axis1)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """The vector p-norm over ``dim`` (all elements by default); ``'fro'`` is p = 2."""
        order = 2.0 if p in ("fro", None) else float(p)
        x = self if dtype is None else self.to(dtype)
        if not x.dtype.is_floating_point:
            raise RuntimeError(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                f"Got {x.dtype.scalar_name}"
            )
        return reduce.Norm.apply(x, p=order, dim=dim, keepdim=keepdim)


def _dim_of_sized(dim: int, ndim: int) -> int:
    """``_dim`` for the ops that need a real axis: a 0-d tensor has none."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _dim(dim, ndim)


def _dim(dim: int, ndim: int) -> int:
    from .ops._util import normalize_dim

    return normalize_dim(dim, ndim)
