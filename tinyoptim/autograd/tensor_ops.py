"""The methods of ``Tensor`` that apply ops, one line each: arithmetic and math functions,
comparisons, reductions, shapes, indexing and the in-place forms.

``Tensor`` (in ``tensor.py``) inherits them from ``TensorOps``; each is written out so that
a search for ``def exp`` lands on it, and the math is one jump away in ``autograd/ops/``.
"""

from __future__ import annotations

from collections import namedtuple

from . import inplace, views
from .function import DEVICE_MISMATCH, labelled
from .ops import activation, index, linalg, reduce, selection, shape, softmax
from .ops import elementwise as ew
from .ops._util import check_broadcast
from .tensor_indexing import IndexingOps
from .tensor_inplace import InplaceOps, _bound
from .tensor_math import MathOps
from .tensor_ordering import OrderingOps
from .tensor_pointwise import PointwiseOps
from .tensor_structure import StructureOps

# The Tensor class, set by tensor.py once it is defined (tensor.py imports this module for
# Tensor's base class, so the import cannot go the other way at load time).
Tensor = None


def _return_type(name: str):
    """The (values, indices) pair ``max(dim)``/``min(dim)`` return, printed as torch's."""

    def __repr__(self) -> str:
        return f"tinyoptim.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(
        name, (namedtuple(name, ["values", "indices"]),), {"__slots__": (), "__repr__": __repr__}
    )


Max, Min = _return_type("max"), _return_type("min")


class TensorOps(InplaceOps, PointwiseOps, StructureOps, OrderingOps, IndexingOps, MathOps):
    """The op methods of ``Tensor``, which inherits them (no state of its own); the in-place
    ones are in ``tensor_inplace.py``, more elementwise ones in ``tensor_pointwise.py``,
    more structural ones in ``tensor_structure.py``, sorting, scans and products in
    ``tensor_ordering.py``, scatters, masks and triangles in ``tensor_indexing.py``, and
    special functions and robust reductions in ``tensor_math.py``."""

    __slots__ = ()

    # -- elementwise math ----------------------------------------------------------------

    def __add__(self, other):
        return ew.Add.apply(self, _operand(other, self))

    def __radd__(self, other):
        return ew.Add.apply(_operand(other, self), self)

    def __sub__(self, other):
        return ew.Sub.apply(self, _operand(other, self))

    def __rsub__(self, other):
        return ew.Sub.apply(_operand(other, self), self)

    def __mul__(self, other):
        return ew.Mul.apply(self, _operand(other, self))

    def __rmul__(self, other):
        return ew.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other):
        return ew.Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other):
        return ew.Div.apply(_operand(other, self), self)

    def __pow__(self, other):
        return ew.Pow.apply(self, _operand(other, self))

    def __rpow__(self, other):
        return ew.Pow.apply(_operand(other, self), self)

    def __matmul__(self, other):
        return linalg.MatMul.apply(self, _operand(other, self))

    def __rmatmul__(self, other):
        return linalg.MatMul.apply(_operand(other, self), self)

    def __neg__(self):
        return ew.Neg.apply(self)

    def __abs__(self):
        return ew.Abs.apply(self)

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """self / other; ``rounding_mode="trunc"`` rounds the quotient toward zero and
        ``"floor"`` down, in the operands' dtype (integers stay integers)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            quotient = self / other
            if quotient.dtype == self.dtype or isinstance(other, float):
                return quotient.trunc()
            if isinstance(other, Tensor) and other.dtype.is_floating_point:
                return quotient.trunc()
            # integer operands: |a| // |b| with the quotient's sign, exactly
            sign = other.sign() if isinstance(other, Tensor) else (other > 0) - (other < 0)
            return (abs(self) // abs(other)) * (self.sign() * sign)
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )

    def __floordiv__(self, other):
        return ew.FloorDivide.apply(self, _operand(other, self))

    def __rfloordiv__(self, other):
        return ew.FloorDivide.apply(_operand(other, self), self)

    def __mod__(self, other):
        return ew.Remainder.apply(self, _operand(other, self))

    def __rmod__(self, other):
        return ew.Remainder.apply(_operand(other, self), self)

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return self % other

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    def neg(self):
        return ew.Neg.apply(self)

    def abs(self):
        return ew.Abs.apply(self)

    def exp(self):
        return ew.Exp.apply(self)

    def log(self):
        return ew.Log.apply(self)

    def sqrt(self):
        return ew.Sqrt.apply(self)

    def sin(self):
        return ew.Sin.apply(self)

    def cos(self):
        return ew.Cos.apply(self)

    def tanh(self):
        return activation.Tanh.apply(self)

    def sigmoid(self):
        return activation.Sigmoid.apply(self)

    def relu(self):
        return activation.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if any(isinstance(b, Tensor) and b.requires_grad for b in (min, max)):
            return selection.ClampTensors.apply(self, min, max)  # the bounds get gradients
        return selection.Clamp.apply(self, min=_bound(min), max=_bound(max))

    clip = clamp

    def maximum(self, other):
        return selection.Maximum.apply(self, _operand(other, self))

    def minimum(self, other):
        return selection.Minimum.apply(self, _operand(other, self))

    def where(self, condition, other):
        return selection.Where.apply(condition, self, _operand(other, self))

    # -- comparisons: boolean tensors, no grad ----------------------------------------------

    def _compare(self, other, name: str) -> Tensor:
        if other is None:  # x == None is False, as for torch, by Python's identity fallback
            return NotImplemented
        other = _operand(other, self)
        if isinstance(other, Tensor):
            _same_device(self, other)
            check_broadcast(self.shape, other.shape)
            other = other.data
        return Tensor._make(getattr(self.data, name)(other), self._device)

    def __lt__(self, other):
        return self._compare(other, "__lt__")

    def __le__(self, other):
        return self._compare(other, "__le__")

    def __gt__(self, other):
        return self._compare(other, "__gt__")

    def __ge__(self, other):
        return self._compare(other, "__ge__")

    def __eq__(self, other):
        return self._compare(other, "__eq__")

    def __ne__(self, other):
        return self._compare(other, "__ne__")

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__
    __hash__ = object.__hash__

    def __invert__(self):
        return Tensor._make(~self.data, self._device)

    def __and__(self, other):
        return self._compare(other, "__and__")

    def __or__(self, other):
        return self._compare(other, "__or__")

    def __xor__(self, other):
        return self._compare(other, "__xor__")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # symmetric

    # -- reductions ----------------------------------------------------------------------

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self.to(dtype)  # torch casts first
        return reduce.Sum.apply(source, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return reduce.Mean.apply(source, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False):
        """The largest value, or with ``dim`` the (values, indices) along it."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return labelled(reduce.Amax.apply(self), "MaxBackward1")
        indices = self.argmax(dim, keepdim)
        values = reduce.Pick.apply(self, indices.data, dim=dim, keepdim=keepdim)
        return Max(labelled(values, "MaxBackward0"), indices)

    def min(self, dim=None, keepdim: bool = False):
        """The smallest value, or with ``dim`` the (values, indices) along it."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return labelled(reduce.Amin.apply(self), "MinBackward1")
        indices = self.argmin(dim, keepdim)
        values = reduce.Pick.apply(self, indices.data, dim=dim, keepdim=keepdim)
        return Min(labelled(values, "MinBackward0"), indices)

    def amax(self, dim=None, keepdim: bool = False):
        return reduce.Amax.apply(self, dim=dim, keepdim=keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        return reduce.Amin.apply(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._make(reduce.arg_extreme(self, "argmax", dim, keepdim), self._device)

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._make(reduce.arg_extreme(self, "argmin", dim, keepdim), self._device)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        if isinstance(dim, bool):  # torch's overload var(unbiased)
            dim, unbiased = None, dim
        correction = reduce.correction_of(unbiased, correction)
        return reduce.Var.apply(self, dim=dim, correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        if isinstance(dim, bool):  # torch's overload std(unbiased)
            dim, unbiased = None, dim
        correction = reduce.correction_of(unbiased, correction)
        return reduce.Std.apply(self, dim=dim, correction=correction, keepdim=keepdim)

    def logsumexp(self, dim, keepdim: bool = False):
        return reduce.LogSumExp.apply(self, dim=dim, keepdim=keepdim)

    def softmax(self, dim: int):
        return softmax.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int):
        return softmax.LogSoftmax.apply(self, dim=dim)

    # -- shapes --------------------------------------------------------------------------

    def reshape(self, *shape):
        return _reshape(self, shape)

    def view(self, *shape):
        result = _reshape(self, shape)
        if result._view is None and result.data.size:  # NumPy had to copy
            raise RuntimeError(views.VIEW_NOT_COMPATIBLE)
        return result

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int):
        return shape.Transpose.apply(self, dim0=dim0, dim1=dim1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return labelled(self.transpose(0, 1 if self.ndim == 2 else 0), "TBackward0")

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return shape.Permute.apply(self, dims=tuple(dims))

    def squeeze(self, dim=None):
        return shape.Squeeze.apply(self, dim=dim)

    def unsqueeze(self, dim: int):
        return shape.Unsqueeze.apply(self, dim=dim)

    def expand(self, *sizes):
        sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        return shape.Expand.apply(self, sizes=tuple(sizes))

    def __getitem__(self, key):
        return index.GetItem.apply(self, key=index.as_key(key, self))

    def __setitem__(self, key, value) -> None:
        inplace.setitem(self, key, value)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))


def _reshape(t: Tensor, shape_args) -> Tensor:
    if len(shape_args) == 1 and isinstance(shape_args[0], (tuple, list)):
        shape_args = shape_args[0]
    return shape.Reshape.apply(t, shape=tuple(int(s) for s in shape_args))


def _same_device(a: Tensor, b: Tensor) -> None:
    if a._device != b._device:
        raise RuntimeError(DEVICE_MISMATCH.format(a._device, b._device))


def _operand(other, like: Tensor):
    """A Tensor or a Python scalar: host arrays become CPU tensors (never moved silently)."""
    if isinstance(other, (Tensor, int, float, bool)):
        if type(other) in (int, float, bool) or isinstance(other, Tensor):
            return other
        return float(other) if isinstance(other, float) else int(other)  # numpy.float64: a number
    from .factories import tensor

    if hasattr(other, "__array__") or isinstance(other, (list, tuple)):
        return tensor(other, dtype=None, device="cpu")
    if like.backend.is_array(other):
        return Tensor._make(other, like._device)
    raise TypeError(f"unsupported operand type for Tensor: {type(other).__name__}")
