"""``Function``: one differentiable op, with static ``forward`` and ``backward`` on arrays.

``Mul.apply(a, b)`` runs ``Mul.forward(ctx, a.data, b.data)`` and, when a gradient is
needed, keeps ``ctx`` as the new tensor's ``grad_fn``: the graph node that ``backward``
later calls with the upstream gradient. ``ctx`` is an instance of the op's class, so it
carries what forward saved, which inputs need a gradient, and the array namespace.
Arguments that are not tensors (Python scalars, axes) pass through to ``forward`` as they
are and get no gradient.
"""

from __future__ import annotations

from ..backends import as_dtype
from . import anomaly
from .grad_mode import is_grad_enabled

# The Tensor class, set by tensor.py once it is defined (tensor.py imports the ops, which
# import this module, so the import cannot go the other way at load time).
Tensor = None

DEVICE_MISMATCH = (
    "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"
)
FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
MODIFIED_INPLACE = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [{dtype} {shape}], which is {what} of {op}, is at version {now}; expected "
    "version {then} instead. Hint: enable anomaly detection to find the operation that "
    "failed to compute its gradient, with tinyoptim.autograd.detect_anomaly()."
)


class Function:
    """Base class of every op. Subclasses define static ``forward`` and ``backward``."""

    out_device = None  # an op whose output lives on another device sets this in forward

    # set on each node (the ctx) by apply()
    inputs: tuple
    needs_grad: tuple
    saved: tuple
    backend: object
    xp: object

    @staticmethod
    def forward(ctx, *args, **options):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **options):
        """Run the op on tensors (and plain values); record it when grad is needed."""
        device = None
        raw, needs_grad, inputs = [], [], []
        for arg in args:
            if isinstance(arg, Tensor):
                if device is None:
                    device = arg._device
                elif arg._device is not device and arg._device != device:
                    raise RuntimeError(DEVICE_MISMATCH.format(device, arg._device))
                raw.append(arg.data)
                needs_grad.append(arg._requires_grad)
                inputs.append(arg)
            else:
                raw.append(arg)
                needs_grad.append(False)
                inputs.append(None)
        if device is None:
            raise TypeError(f"{cls.__name__}.apply() needs at least one tinyoptim.Tensor argument")
        requires_grad = True in needs_grad and is_grad_enabled()

        ctx = object.__new__(cls)
        ctx.backend = backend = device.backend
        ctx.xp = backend.xp
        ctx.saved = ()
        ctx.needs_grad = tuple(needs_grad)
        out = cls.forward(ctx, *raw, **options)
        if ctx.out_device is not None:  # set by ops that move data (ToCopy)
            device = ctx.out_device
        result = Tensor._make(device.backend.ensure_array(out), device, requires_grad)
        if requires_grad:
            ctx.inputs = inputs
            ctx._versions = _saved_versions(ctx, args, result) if ctx.saved else ()
            ctx._retained = None
            if anomaly.is_anomaly_enabled():
                ctx._created_at = anomaly.creation_site()
            result.grad_fn = ctx
        return result

    # -- used by forward -------------------------------------------------------------

    def save_for_backward(self, *arrays) -> None:
        """Keep the arrays backward needs (freed after backward unless retain_graph)."""
        self.saved = arrays

    # -- used by the engine ------------------------------------------------------------

    @classmethod
    def name(cls) -> str:
        """The node's name as torch prints it, e.g. ``MulBackward0``."""
        return f"{cls.__name__}Backward0"

    def parents(self):
        """The nodes that produced this node's inputs."""
        return [t.grad_fn for t, need in zip(self.inputs, self.needs_grad) if need and t.grad_fn]

    def check_saved(self) -> None:
        """Raise torch's errors if saved values were freed or modified in place since."""
        if self.saved is None:
            raise RuntimeError(FREED_GRAPH)
        for counter, then, what, dtype, shape in self._versions:
            if counter.value != then:
                raise RuntimeError(
                    MODIFIED_INPLACE.format(
                        dtype=as_dtype(dtype),
                        shape=list(shape),
                        what=what,
                        op=self.name(),
                        now=counter.value,
                        then=then,
                    )
                )

    def release(self) -> None:
        """Free the saved arrays once backward has used them."""
        if self.saved:
            self.saved = None

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


def _saved_versions(ctx, args, result) -> list:
    """The version counters of the tensors whose data forward saved, and their versions now."""
    found = []
    for array in ctx.saved:
        if array is result.data:
            found.append((result._version_counter, 0, "output 0", array.dtype, array.shape))
            continue
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor) and arg.data is array:
                counter = arg._version_counter
                found.append((counter, counter.value, f"input {i}", array.dtype, array.shape))
                break
    return found
