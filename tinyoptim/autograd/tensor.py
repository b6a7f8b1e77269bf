"""``Tensor``: an n-dimensional array that remembers how it was computed.

A tensor holds ``data`` (an array of its device's backend: NumPy, CuPy or strict),
``requires_grad``, ``grad``, ``grad_fn`` (the graph node that made it) and a version
counter that in-place ops bump. It does no arithmetic itself: its differentiable methods
(``tensor_ops.py``, which it inherits) are one line each, applying an op from
``autograd/ops/``.
"""

from __future__ import annotations

import warnings
import weakref

from ..backends import as_dtype, get_backend, get_default_dtype, resolve
from . import engine, function, grad_mode, hooks, tensor_ops
from .ops import elementwise as ew
from .tensor_ops import TensorOps
from .tensor_ops import _operand as _operand  # for autograd.functional

NUMPY_REQUIRES_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)
ONE_ELEMENT = "only one element tensors can be converted to Python scalars"
SCALAR_WITH_GRAD = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
    "behavior.\nConsider using tensor.detach() first."
)
ONLY_FLOAT_GRAD = "only Tensors of floating point and complex dtype can require gradients"
T_NOT_2D = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
    "deprecated and it will throw an error in a future release. Consider `x.mT` to "
    "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
    "reverse the dimensions of a tensor."
)
T_ON_0D = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a "
    "computed variable in a subgraph that doesn't require differentiation use "
    "var_no_grad = var.detach()."
)


_STATE_SLOTS = ("data", "grad_fn", "_requires_grad", "_device", "_counter")


class _Version:
    """A version counter, shared by a tensor and its detached aliases."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor(TensorOps):
    """A multi-dimensional array with reverse-mode automatic differentiation."""

    __slots__ = (
        "data",
        "grad_fn",
        "_requires_grad",
        "_device",
        "_counter",
        "__weakref__",
        "__dict__",
    )
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__
    # Most tensors (every op's output) never get a grad: these defaults cost nothing to make.
    _grad = None
    _retains_grad = False
    _view = None  # a views.ViewInfo when the array is a view of another tensor's

    @classmethod
    def _make(cls, data, device, requires_grad: bool = False) -> Tensor:
        """Wrap a backend array without copying (internal constructor)."""
        t = object.__new__(cls)
        t.data = data
        t.grad_fn = None
        t._requires_grad = requires_grad
        t._device = device
        t._counter = None
        return t

    def __init__(self, *args, device=None, dtype=None, requires_grad: bool = False):
        """torch's legacy constructor: ``Tensor(data)`` copies ``data`` in the default float
        dtype (``Tensor([1, 2])`` is float), ``Tensor(2, 3)`` is a new (2, 3) tensor and
        ``Tensor()`` an empty one. ``tinyoptim.tensor`` is the function to prefer."""
        from .factories import empty, tensor

        dtype = get_default_dtype() if dtype is None else dtype
        sizes = all(isinstance(a, int) and not isinstance(a, bool) for a in args)
        if sizes:
            made = empty(*(args or (0,)), dtype=dtype, device=device, requires_grad=requires_grad)
        elif len(args) == 1 and not isinstance(args[0], (int, float, bool)):
            made = tensor(args[0], dtype=dtype, device=device, requires_grad=requires_grad)
        else:
            got = type(args[0]).__name__ if len(args) == 1 else "several arguments"
            raise TypeError(f"new(): data must be a sequence (got {got})")
        for name in ("data", "grad_fn", "_requires_grad", "_device"):
            setattr(self, name, getattr(made, name))
        self._counter = None

    @property
    def _version_counter(self) -> _Version:
        """The version counter, made when first needed (most tensors never need one)."""
        counter = self._counter
        if counter is None:
            counter = self._counter = _Version()
        return counter

    @_version_counter.setter
    def _version_counter(self, counter: _Version) -> None:
        self._counter = counter

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
    def _base(self):
        """The tensor whose array this one views, or None (torch's ``_base``)."""
        return None if self._view is None else self._view.base

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                NON_LEAF_REQUIRES_GRAD if not value else NON_LEAF_REQUIRES_GRAD.split(" If")[0]
            )
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(ONLY_FLOAT_GRAD)
        self._requires_grad = bool(value)

    @property
    def grad(self):
        grad = self._grad
        if grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not (isinstance(value, Tensor) or getattr(value, "is_sparse", False)):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if tuple(value.shape) != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size"
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.c_name}' to a "
                    f"tensor with grad_dtype '{self.dtype.scalar_name}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype)."
                )
        self._grad = value

    @property
    def T(self) -> Tensor:
        if self.ndim != 2:
            warnings.warn(T_ON_0D if self.ndim == 0 else T_NOT_2D, UserWarning, stacklevel=2)
        return self.permute(*reversed(range(self.ndim)))

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    # -- autograd --------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (not ``create_graph``)."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def __getstate__(self):
        """For pickle and deepcopy: the slots and attributes, less the view links (weak
        references do not pickle; a copied view is a tensor of its own)."""
        extra = {k: v for k, v in self.__dict__.items() if k not in ("_view", "_views")}
        slots = {name: getattr(self, name) for name in _STATE_SLOTS}
        return extra, slots

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
        if requires_grad and self.grad_fn is not None:
            return self  # a non-leaf already requires grad: nothing to change, as in torch
        if self.grad_fn is not None:
            raise RuntimeError(NON_LEAF_REQUIRES_GRAD)
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self.grad_fn._retained = weakref.ref(self)
            self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient whenever one is computed; a
        tensor it returns replaces the gradient. Returns a handle whose ``remove()``
        unregisters it."""
        return hooks.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` each time backward has added into this leaf's ``.grad``."""
        return hooks.register_post_accumulate_hook(self, hook)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    # -- crossings to the host and between devices ---------------------------------------

    def numpy(self):
        """A host NumPy array (shares memory on the CPU, a copy from other devices)."""
        if self._requires_grad and grad_mode.current.enabled:  # torch allows it under no_grad
            raise RuntimeError(NUMPY_REQUIRES_GRAD)
        return self.backend.to_host(self.data)

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its value (``f"{loss:.3f}"``); others as ``object`` does."""
        if self.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def item(self):
        """The single value as a Python number (an explicit host crossing)."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.backend.to_host(self.data).item()

    def tolist(self):
        return self.backend.to_host(self.data).tolist()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self.data.size != 1:
            raise ValueError(ONE_ELEMENT)
        if self._requires_grad and grad_mode.current.enabled:
            warnings.warn(SCALAR_WITH_GRAD, UserWarning, stacklevel=2)
        return float(self.item())

    def __int__(self) -> int:
        if self.data.size != 1:
            raise ValueError(ONE_ELEMENT)
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError(NUMPY_REQUIRES_GRAD)
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
        if device == self._device and dtype == self.dtype and not kwargs.get("copy"):
            return self
        source = self if dtype.is_floating_point else self.detach()  # no integer gradients
        return ew.ToCopy.apply(source, device=device, dtype=dtype)

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def clone(self) -> Tensor:
        return ew.Clone.apply(self)

    # -- printing (an explicit host crossing) ---------------------------------------------

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)


function.Tensor = tensor_ops.Tensor = Tensor


def _parse_to(t: Tensor, *args, **kwargs):
    """The device and dtype that ``t.to(*args, **kwargs)`` asks for (``t``'s own if not)."""
    device, dtype = _requested(args, kwargs)
    return (t._device if device is None else device), (t.dtype if dtype is None else dtype)


def requested_dtype(*args, **kwargs):
    """The dtype that ``to(*args, **kwargs)`` asks for, or None (``Module.to`` checks it)."""
    return _requested(args, kwargs)[1]


def _requested(args, kwargs):
    from ..backends import DType

    device = dtype = None
    for arg in list(args) + list(kwargs.values()):
        if isinstance(arg, Tensor):
            device, dtype = arg._device, arg.dtype
        elif isinstance(arg, DType) or (
            not isinstance(arg, (str, int)) and arg is not None and _is_dtype(arg)
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
