"""``Function``: one differentiable op, with static ``forward`` and ``backward`` on arrays.

``Mul.apply(a, b)`` runs ``Mul.forward(ctx, a.data, b.data)`` and, when a gradient is
needed, keeps ``ctx`` as the new tensor's ``grad_fn``: the graph node that ``backward``
later calls with the upstream gradient. ``ctx`` is an instance of the op's class, so it
carries what forward saved, which inputs need a gradient, and the array namespace.
Arguments that are not tensors (Python scalars, axes) pass through to ``forward`` as they
are and get no gradient.
"""

from __future__ import annotations

import itertools
import re

from ..backends import as_dtype, quiet_math
from . import anomaly, grad_mode

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
    "operation: [{dtype} {shape}]{which} is at version {now}; expected "
    "version {then} instead. Hint: enable anomaly detection to find the operation that "
    "failed to compute its gradient, with tinyoptim.autograd.set_detect_anomaly(True, "
    "check_nan=False)."
)


class Function:
    """Base class of every op. Subclasses define static ``forward`` and ``backward``."""

    out_device = None  # an op whose output lives on another device sets this in forward
    # True for ops whose forward may meet a zero divisor, a log of 0 or an overflow: it runs
    # without NumPy's RuntimeWarnings, as torch computes through inf and NaN silently
    quiet = False
    # True when backward always returns new arrays that nothing else holds: the engine may
    # then keep such an array as a leaf's ``.grad`` instead of copying it.
    fresh_grads = False

    # Defaults that most nodes keep: reading a class attribute costs nothing per op.
    saved: tuple | None = ()  # what forward saved; None once backward has freed it
    # per saved input or output, four entries in a row (one flat list, the fewest objects):
    # its version counter, its version then, the input's index (-1: the output) and the
    # position in ``saved``
    _versions: list = ()
    _retained = None  # a weak reference to the output, set by Tensor.retain_grad()
    _tensor_hooks = None  # the output's hooks (Tensor.register_hook), run on its gradient
    _hook_device = None

    # set on each node (the ctx) by apply()
    inputs: list  # the input tensors, None for the other arguments
    needs_grad: tuple
    sequence: int
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
        ctx = object.__new__(cls)
        device = first = None
        raw, needs_grad, fns = [], [], []
        mixed = False  # whether some arguments are not tensors
        for arg in args:
            if isinstance(arg, Tensor):
                if arg._device is not device:  # devices are interned: usually the same object
                    if device is not None and arg._device != device:
                        raise RuntimeError(DEVICE_MISMATCH.format(device, arg._device))
                    device, first = arg._device, arg.data
                raw.append(arg.data)
                needs_grad.append(arg._requires_grad)
                fns.append(arg.grad_fn)
            else:
                raw.append(arg)
                needs_grad.append(False)
                fns.append(None)
                mixed = True
        if device is None:
            raise TypeError(f"{cls.__name__}.apply() needs at least one tinyoptim.Tensor argument")

        ctx.backend = backend = device._backend or device.backend
        ctx.xp = backend.xp
        ctx.needs_grad = needs_grad = tuple(needs_grad)
        if cls.quiet:
            with quiet_math():
                out = cls.forward(ctx, *raw, **options)
        else:
            out = cls.forward(ctx, *raw, **options)
        if ctx.out_device is not None:  # set by ops that move data (ToCopy)
            device = ctx.out_device
            backend = device.backend
        if type(out) is not type(first):  # a NumPy scalar from a reduction, say
            out = backend.ensure_array(out)
        if not (True in needs_grad and grad_mode.current.enabled):
            return Tensor._make(out, device)
        result = Tensor._make(out, device, True)
        # the inputs (None for the other arguments), and the nodes that made them, now: a
        # later in-place op gives an input another grad_fn, but this op's gradient still
        # flows to the value it read, as in torch
        ctx.inputs = [a if isinstance(a, Tensor) else None for a in args] if mixed else args
        ctx.input_fns = fns
        ctx.sequence = next(_sequence)
        if ctx.saved:
            ctx._versions = _saved_versions(ctx.saved, ctx.inputs, raw, result)
        if anomaly._enabled[0]:
            ctx._created_at = anomaly.creation_site()
        result.grad_fn = ctx
        return result

    # -- used by forward -------------------------------------------------------------

    def save_for_backward(self, *arrays) -> None:
        """Keep the arrays backward needs (freed after backward unless retain_graph)."""
        self.saved = arrays

    # -- used by the engine ------------------------------------------------------------

    label = None  # torch's node name where it is not <class name>Backward0

    def name(self) -> str:
        """The node's name as torch prints it, e.g. ``MulBackward0``. An op whose torch
        node depends on its arguments sets ``ctx.label`` (``sum(dim=0)``: ``SumBackward1``)."""
        return self.label or f"{type(self).__name__}Backward0"

    def parents(self):
        """The nodes that produced this node's inputs (to walk the graph)."""
        return [fn for fn, need in zip(self.input_fns, self.needs_grad) if need and fn]

    def check_saved(self) -> None:
        """Raise torch's errors if saved values were freed or modified in place since."""
        if self.saved is None:
            raise RuntimeError(FREED_GRAPH)
        versions = self._versions
        for i in range(0, len(versions), 4):
            counter, then, index, position = versions[i : i + 4]
            if counter.value != then:
                array = self.saved[position]
                raise RuntimeError(
                    MODIFIED_INPLACE.format(
                        dtype=f"tinyoptim.{as_dtype(array.dtype).scalar_name}Tensor",
                        shape=list(array.shape),
                        which=self._maker_of_saved(index),
                        now=counter.value,
                        then=then,
                    )
                )

    def _maker_of_saved(self, index: int) -> str:
        """torch's clause naming the node that made a modified saved tensor: this node for
        its own output, an input's current node (none for a leaf), without "Backward0"."""
        maker = self if index < 0 else self.inputs[index].grad_fn
        if maker is None:
            return ""
        return f", which is output 0 of {re.sub(r'Backward[0-9]*$', '', maker.name())},"

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


def labelled(t, label: str):
    """``t``, its node named as torch names the node of the method that made it (a method
    built from other ops, such as ``lerp``, or an op torch names by its arguments)."""
    if t.grad_fn is not None:
        t.grad_fn.label = label
    return t


# Numbers nodes in the order they are made. A node is always made after the nodes of its
# inputs, so walking nodes from the highest number down is a topological order.
_sequence = itertools.count()


def _saved_versions(saved, inputs, raw, result) -> list:
    """For each saved array that is an input's or the output's data: its version counter,
    the version now, which input it is (-1 for the output) and its position in ``saved``,
    flat (``Function._versions``)."""
    found = []
    for position, array in enumerate(saved):
        if array is None:  # ops save None for what a gradient that is not needed would use
            continue
        if array is result.data:
            found += (result._version_counter, 0, -1, position)
            continue
        for index, value in enumerate(raw):  # raw[i] is inputs[i].data for a tensor
            if value is array:
                if inputs[index] is not None:
                    counter = inputs[index]._version_counter
                    found += (counter, counter.value, index, position)
                break
    return found
