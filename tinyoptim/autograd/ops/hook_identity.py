r"""Identity ops whose backward hands the gradients of several tensors to one callback.

``gather(tensors, on_grads)`` returns an alias of each tensor that requires grad (the
others come back as they are): the same array and version counter, a new node. In
backward, ``on_grads`` is called **once** with the gradients of all of them together and
may replace them; what it returns flows on to ``tensors``. ``nn.Module``'s full backward
hooks are built on it, as torch builds them on ``BackwardHookFunction``.

A ``Function`` here has one output, so the many-output identity of torch is two kinds of
node joined by an empty placeholder tensor, the *token*:

.. code-block:: text

    tensors ──► Gather ──► token ──► Alias_i ──► alias_i     (one Alias per tensor)

:math:`\partial\, alias_i / \partial\, tensor_i = I`. Each Alias's backward parks the
gradient it receives in the shared ``Gradients`` and sends an empty gradient to the
token. Gather is made before every Alias, so the engine (which runs the latest-made node
first) runs it after all of them: its backward passes the parked gradients to
``on_grads`` and returns the result as the gradients of ``tensors``. An alias that got
no gradient shows as None, or as zeros with ``materialize=True`` (what a torch custom
Function's backward sees); so do the tensors that do not require grad.
"""

from __future__ import annotations

import weakref

from ..function import Function
from ..hooks import replacement_data

LABEL = "BackwardHookFunctionBackward"  # torch's name for the node of every alias

MODIFIED = (
    "Output {} of BackwardHookFunction is a view and {}. This view was created inside a "
    "custom Function (or because an input was returned as-is) and the autograd logic to "
    "handle view+inplace would override the custom backward associated with the custom "
    "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this "
    "by cloning the output of the custom Function."
)
MODIFIED_HERE = "is being modified inplace"
MODIFIED_ELSEWHERE = "its base or another view of its base has been modified inplace"


class Gradients:
    """What the nodes of one ``gather`` share: the gradients parked by the aliases, the
    callback, and each alias's version counter as it was made (for ``modified``)."""

    def __init__(self, on_grads, count: int, materialize: bool):
        self.on_grads, self.materialize = on_grads, materialize
        self.grads = [None] * count  # per tensor, this backward pass
        self.slots = []  # per Gather input: its position among the tensors
        self.templates = {}  # position -> (shape, dtype, device) of a tensor not wrapped
        self.aliases = []  # (position, weak alias, counter, version then)

    def modified(self):
        """torch's error, for the first alias changed in place since it was made; or None."""
        for position, ref, counter, then in self.aliases:
            if counter.value != then:
                alias = ref()
                how = MODIFIED_HERE
                if alias is not None and getattr(alias.grad_fn, "gradients", None) is self:
                    how = MODIFIED_ELSEWHERE  # changed under no_grad, or through another alias
                return RuntimeError(MODIFIED.format(position, how))
        return None

    def release(self, ctx):
        """Gather's backward: ``on_grads`` on every tensor's gradient, as tensors; return
        the arrays for Gather's inputs (the wrapped tensors)."""
        from ..tensor import Tensor

        grads, self.grads = self.grads, [None] * len(self.grads)
        inputs = dict(zip(self.slots, ctx.inputs))
        given = []
        for position, grad in enumerate(grads):
            if position in inputs:
                source = inputs[position]
                if grad is None and self.materialize:
                    grad = ctx.xp.zeros_like(source.data)
                given.append(None if grad is None else Tensor._make(grad, source.device))
            elif self.materialize:
                shape, dtype, device = self.templates[position]
                given.append(Tensor._make(device.backend.xp.zeros(shape, dtype=dtype), device))
            else:
                given.append(None)
        result = self.on_grads(tuple(given))
        if result is None:
            result = given
        out = []
        for position, source in zip(self.slots, ctx.inputs):
            grad = result[position]
            out.append(None if grad is None else replacement_data("hook", grad, source))
        return tuple(out)


class Gather(Function):
    """The node behind the token: runs after every alias; calls back with all gradients."""

    label = LABEL

    @staticmethod
    def forward(ctx, *arrays, gradients=None):
        ctx.gradients = gradients
        return ctx.xp.zeros((0,), dtype="float32")

    @staticmethod
    def backward(ctx, grad):
        return ctx.gradients.release(ctx)


class Alias(Function):
    """One tensor passed through unchanged (``array`` is its own array, not a copy)."""

    label = LABEL

    @staticmethod
    def forward(ctx, token, array, gradients=None, position=0):
        ctx.gradients, ctx.position = gradients, position
        return array

    @staticmethod
    def backward(ctx, grad):
        ctx.gradients.grads[ctx.position] = grad
        return ctx.xp.zeros((0,), dtype="float32"), None


def gather(tensors, on_grads, materialize: bool = False):
    """``(aliases, gradients)``: ``tensors`` with those that require grad replaced by
    aliases whose gradients reach ``on_grads(grads)`` together (see the module docstring).

    ``on_grads`` gets a tuple with one gradient (a tensor, or None) per tensor and returns
    None (keep them) or such a tuple. Call only in grad mode with some tensor requiring grad.
    """
    gradients = Gradients(on_grads, len(tensors), materialize)
    wrapped = []
    for position, t in enumerate(tensors):
        if t.requires_grad:
            gradients.slots.append(position)
            wrapped.append(t)
        else:
            gradients.templates[position] = (t.shape, t.data.dtype, t.device)
    token = Gather.apply(*wrapped, gradients=gradients)
    out = list(tensors)
    for position in gradients.slots:
        source = tensors[position]
        alias = Alias.apply(token, source.data, gradients=gradients, position=position)
        counter = alias._version_counter = source._version_counter
        gradients.aliases.append((position, weakref.ref(alias), counter, counter.value))
        out[position] = alias
    return out, gradients
