"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds ``data`` (an array of its device's backend: NumPy, CuPy or strict),
``requires_grad``, ``grad``, ``grad_fn`` (the graph node that made it) and a version
counter that in-place ops bump. It does no arithmetic itself: each differentiable method
is one line that applies an op from ``autograd/ops/``, so a search for ``def exp`` lands
here and the math is one jump away.
"""

from __future__ import annotations

import weakref
from collections import namedtuple

from ..backends import as_dtype, get_backend, resolve
from . import engine, function, inplace
from .ops import elementwise as ew
from .ops import index, linalg, reduce, shape, softmax

MinMax = namedtuple("MinMax", ["values", "indices"])

NUMPY_REQUIRES_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)
ONLY_FLOAT_GRAD = "only Tensors of floating point and complex dtype can require gradients"
NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a "
    "computed variable in a subgraph that doesn't require differentiation use "
    "var_no_grad = var.detach()."
)


class _Version:
    """A version counter, shared by a tensor and its detached aliases."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation."""

    __slots__ = (
        "data",
        "grad_fn",
        "_grad",
        "_requires_grad",
        "_device",
        "_version_counter",
        "_retains_grad",
        "__weakref__",
        "__dict__",
    )
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__

    @classmethod
    def _make(cls, data, device, requires_grad: bool = False) -> Tensor:
        """Wrap a backend array without copying (internal constructor)."""
        t = object.__new__(cls)
        t.data = data
        t.grad_fn = None
        t._grad = None
        t._requires_grad = requires_grad
        t._device = device
        t._version_counter = _Version()
        t._retains_grad = False
        return t

    def __init__(self, data, *, device=None, dtype=None, requires_grad: bool = False):
        from .factories import tensor

        made = tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        for name in ("data", "grad_fn", "_grad", "_requires_grad", "_device"):
            setattr(self, name, getattr(made, name))
        self._version_counter = _Version()
        self._retains_grad = False

    # -- attributes ----------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return as_dtype(self.data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def backend(self):
        return get_backend(self._device)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(NON_LEAF_REQUIRES_GRAD)
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(ONLY_FLOAT_GRAD)
        self._requires_grad = bool(value)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not (isinstance(value, Tensor) or getattr(value, "is_sparse", False)):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got {type(value).__name__}"
                )
            if tuple(value.shape) != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def element_size(self) -> int:
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    # -- autograd --------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph: bool | None = None, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        engine.backward([self], None if gradient is None else [gradient], retain_graph, inputs)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (in-place changes show in both)."""
        t = Tensor._make(self.data, self._device)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self.grad_fn._retained = weakref.ref(self)
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    # -- crossings to the host and between devices ---------------------------------------

    def numpy(self):
        """A host NumPy array (shares memory on the CPU, a copy from other devices)."""
        if self._requires_grad:
            raise RuntimeError(NUMPY_REQUIRES_GRAD)
        return self.backend.to_host(self.data)

    def item(self):
        """The single value as a Python number (an explicit host crossing)."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.backend.to_host(self.data).item()

    def tolist(self):
        return self.backend.to_host(self.data).tolist()

    def __array__(self, dtype=None, copy=None):
        if self._device.type != "cpu":
            raise TypeError(
                f"can't convert {self._device} device type tensor to numpy. "
                "Use Tensor.cpu() to copy the tensor to host memory first."
            )
        array = self.data if dtype is None else self.data.astype(dtype)
        return array.copy() if copy else array

    def __dlpack__(self, *args, **kwargs):
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.data.__dlpack_device__()

    def to(self, *args, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        device, dtype = _parse_to(self, *args, **kwargs)
        if device == self._device and dtype == self.dtype:
            return self
        return ew.ToCopy.apply(self, device=device, dtype=dtype)

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def float(self) -> Tensor:
        return self.to(as_dtype("float32"))

    def double(self) -> Tensor:
        return self.to(as_dtype("float64"))

    def half(self) -> Tensor:
        return self.to(as_dtype("float16"))

    def long(self) -> Tensor:
        return self.to(as_dtype("int64"))

    def int(self) -> Tensor:
        return self.to(as_dtype("int32"))

    def bool(self) -> Tensor:
        return self.to(as_dtype("bool"))

    def clone(self) -> Tensor:
        return ew.Clone.apply(self)

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

    def div(self, other):
        return self / other

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
        return ew.Tanh.apply(self)

    def sigmoid(self):
        return ew.Sigmoid.apply(self)

    def relu(self):
        return ew.Relu.apply(self)

    def clamp(self, min=None, max=None):
        return ew.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def maximum(self, other):
        return ew.Maximum.apply(self, _operand(other, self))

    def minimum(self, other):
        return ew.Minimum.apply(self, _operand(other, self))

    def where(self, condition, other):
        return ew.Where.apply(condition, self, _operand(other, self))

    # -- comparisons: boolean tensors, no grad ----------------------------------------------

    def _compare(self, other, name: str) -> Tensor:
        other = _operand(other, self)
        if isinstance(other, Tensor):
            _same_device(self, other)
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

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    # -- reductions ----------------------------------------------------------------------

    def sum(self, dim=None, keepdim: bool = False):
        return reduce.Sum.apply(self, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        return reduce.Mean.apply(self, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False):
        """The largest value, or with ``dim`` the (values, indices) along it."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return reduce.Amax.apply(self)
        indices = self.argmax(dim, keepdim)
        return MinMax(reduce.Pick.apply(self, indices.data, dim=dim, keepdim=keepdim), indices)

    def min(self, dim=None, keepdim: bool = False):
        """The smallest value, or with ``dim`` the (values, indices) along it."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return reduce.Amin.apply(self)
        indices = self.argmin(dim, keepdim)
        return MinMax(reduce.Pick.apply(self, indices.data, dim=dim, keepdim=keepdim), indices)

    def amax(self, dim=None, keepdim: bool = False):
        return reduce.Amax.apply(self, dim=dim, keepdim=keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        return reduce.Amin.apply(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._make(reduce.arg_extreme(self, "argmax", dim, keepdim), self._device)

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._make(reduce.arg_extreme(self, "argmin", dim, keepdim), self._device)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        correction = reduce.correction_of(unbiased, correction)
        return reduce.Var.apply(self, dim=dim, correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def logsumexp(self, dim, keepdim: bool = False):
        return reduce.LogSumExp.apply(self, dim=dim, keepdim=keepdim)

    def softmax(self, dim: int):
        return softmax.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int):
        return softmax.LogSoftmax.apply(self, dim=dim)

    # -- shapes --------------------------------------------------------------------------

    def reshape(self, *shape):
        return shape_op_reshape(self, shape)

    def view(self, *shape):
        return shape_op_reshape(self, shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int):
        return shape.Transpose.apply(self, dim0=dim0, dim1=dim1)

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

    # -- in place (each bumps the version counter) ----------------------------------------

    def zero_(self):
        return inplace.fill(self, 0)

    def fill_(self, value):
        return inplace.fill(self, value)

    def copy_(self, src):
        return inplace.copy(self, src)

    def add_(self, other, alpha=1):
        return inplace.apply(self, ew.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return inplace.apply(self, ew.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return inplace.apply(self, ew.Mul, other)

    def div_(self, other):
        return inplace.apply(self, ew.Div, other)

    def clamp_(self, min=None, max=None):
        return inplace.apply(self, ew.Clamp, min=min, max=max)

    clip_ = clamp_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # -- printing (an explicit host crossing) ---------------------------------------------

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)


function.Tensor = Tensor


def shape_op_reshape(t: Tensor, shape_args) -> Tensor:
    if len(shape_args) == 1 and isinstance(shape_args[0], (tuple, list)):
        shape_args = shape_args[0]
    return shape.Reshape.apply(t, shape=tuple(int(s) for s in shape_args))


def _same_device(a: Tensor, b: Tensor) -> None:
    if a._device != b._device:
        from .function import DEVICE_MISMATCH

        raise RuntimeError(DEVICE_MISMATCH.format(a._device, b._device))


def _operand(other, like: Tensor):
    """A Tensor or a Python scalar: host arrays become CPU tensors (never moved silently)."""
    if isinstance(other, (Tensor, int, float, bool)):
        return other
    from .factories import tensor

    if hasattr(other, "__array__") or isinstance(other, (list, tuple)):
        return tensor(other, dtype=None, device="cpu")
    if like.backend.is_array(other):
        return Tensor._make(other, like._device)
    raise TypeError(f"unsupported operand type for Tensor: {type(other).__name__}")


def _parse_to(t: Tensor, *args, **kwargs):
    from ..backends import DType

    device, dtype = t._device, t.dtype
    for arg in list(args) + list(kwargs.values()):
        if isinstance(arg, Tensor):
            device, dtype = arg._device, arg.dtype
        elif isinstance(arg, DType) or (
            not isinstance(arg, str) and arg is not None and _is_dtype(arg)
        ):
            dtype = as_dtype(arg)
        elif arg is not None and not isinstance(arg, bool):
            device = resolve(arg)
    return device, dtype


def _is_dtype(value) -> bool:
    try:
        as_dtype(value)
        return True
    except TypeError:
        return False
