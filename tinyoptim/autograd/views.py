r"""Views: tensors that share their array with another tensor, and in-place ops on them.

``y[:2]``, ``y.view(2, 2)``, ``y.t()``, ``y.unsqueeze(0)`` return tensors whose arrays are
views of ``y``'s: a write through one shows in the other. The graph has to follow it. A view
remembers its root *base* and the view ops that lead from the base to it (its *steps*), and
shares the base's version counter, so that backward notices an in-place change made
through either.

An in-place op ``fn`` on a view ``v = view(b)`` changes the base. It is recorded as torch
records it, as an out-of-place function of the base's old value:

.. math::
    b_{new} = \mathrm{CopySlices}\big(b_{old},\ fn(\mathrm{view}(b_{old}), \dots)\big)

CopySlices writes its second input into the view's region of the first. Its gradient
passes the upstream gradient to :math:`b_{old}` with that region zeroed, and the region
itself to ``fn``'s output, whose backward carries it on to :math:`b_{old}` (through the
view) and to ``fn``'s other inputs. The base takes CopySlices as its ``grad_fn``, and every
live view of the base is derived anew from it (``AsStridedBackward0``), so a gradient
through any of them reaches the values they hold now.

As in torch, an in-place op in grad mode refuses a view of a leaf that requires grad, and
a view made under ``no_grad`` whose in-place op would be recorded.
"""

from __future__ import annotations

import weakref

from .function import Function
from .grad_mode import is_grad_enabled

VIEW_OF_LEAF = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
VIEW_FROM_NO_GRAD = (
    "A view was created in no_grad mode and is being modified inplace with grad mode "
    "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
    "clarify your code by moving both the view and the inplace either both inside the no_grad "
    "block (if you don't want the inplace to be tracked) or both outside (if you want the "
    "inplace to be tracked)."
)
VIEW_NOT_COMPATIBLE = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


class ViewInfo:
    """What makes a tensor a view: its root ``base``, the ``steps`` (view op class and
    options) that lead from the base's array to its own, and whether it was made under
    ``no_grad``."""

    __slots__ = ("base", "steps", "no_grad")

    def __init__(self, base, steps: tuple, no_grad: bool):
        self.base, self.steps, self.no_grad = base, steps, no_grad


class ViewFunction(Function):
    """A view op: its output, when NumPy (or CuPy) returns a view, is marked as a view of
    the input's base. Ops whose result may or may not share memory (``reshape``, ``a[key]``)
    are views exactly when it does."""

    @classmethod
    def apply(cls, *args, **options):
        result = super().apply(*args, **options)
        source = args[0]
        if result.data.size and source.backend.xp.may_share_memory(result.data, source.data):
            info = source._view
            if info is None:
                base, steps = source, ((cls, options),)
            else:
                base, steps = info.base, info.steps + ((cls, options),)
            result._view = ViewInfo(base, steps, not is_grad_enabled())
            result._version_counter = base._version_counter
            _register(base, result)
        return result


def _register(base, view) -> None:
    """Keep a weak reference to ``view`` on its base, dropping those of dead views."""
    views = base.__dict__.get("_views")
    if views is None:
        views = base._views = []
    elif len(views) >= 8 and len(views) & (len(views) - 1) == 0:  # at 8, 16, 32, ...
        views[:] = [ref for ref in views if ref() is not None]
    views.append(weakref.ref(view))


def _replay(ctx, array, steps) -> tuple:
    """``array`` taken through the view steps, and the ctx of each step (for backward)."""
    contexts = []
    for cls, options in steps:
        step = object.__new__(cls)
        step.backend, step.xp, step.needs_grad = ctx.backend, ctx.xp, (True,)
        array = cls.forward(step, array, **options)
        contexts.append(step)
    return array, contexts


class AsStrided(Function):
    r"""z = the view of a at ``steps``;  dz/da: the gradient taken back through each step.

    With ``copy`` the output is a copy, for an op that is about to change the view's
    region while its backward still needs the old values."""

    label = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, a, steps=(), copy=False):
        view, ctx.contexts = _replay(ctx, a, steps)
        return view.copy() if copy else view

    @staticmethod
    def backward(ctx, grad):
        for step in reversed(ctx.contexts):
            grad = type(step).backward(step, grad)
        return grad


class CopySlices(Function):
    r"""z = a with its view at ``steps`` overwritten by v;  dz/da: the gradient with that
    region zeroed, dz/dv: the gradient's region. Writes into ``a``'s own array."""

    label = "CopySlices"

    @staticmethod
    def forward(ctx, a, value, steps=()):
        region, _ = _replay(ctx, a, steps)
        region[...] = value
        ctx.steps = steps
        return a

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_v = None
        if ctx.needs_grad[0]:
            grad_a = grad.copy()
            _replay(ctx, grad_a, ctx.steps)[0][...] = 0
        if ctx.needs_grad[1]:
            grad_v = _replay(ctx, grad, ctx.steps)[0].copy()
        return grad_a, grad_v


def check_inplace(t) -> None:
    """torch's refusal of an in-place op in grad mode on a view of a leaf that requires
    grad (a view made under no_grad is refused later, if the op would be recorded)."""
    info = t._view
    if info is not None and not info.no_grad:
        base = info.base
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(VIEW_OF_LEAF)


def base_requires_grad(t) -> bool:
    info = t._view
    return info is not None and info.base._requires_grad


def rebase(t, fn, others, options):
    """Record ``fn(t, *others)`` written into view ``t``: the base's new node is CopySlices,
    and ``t`` and its sibling views are derived from it."""
    info = t._view
    if info.no_grad:
        raise RuntimeError(VIEW_FROM_NO_GRAD)
    base = info.base
    old = stand_in(base)
    region = AsStrided.apply(old, steps=info.steps, copy=True)
    out = fn.apply(region, *others, **options)
    if "key" not in options:
        from .inplace import check_cast

        check_cast(out.data, t.data)
    new = CopySlices.apply(old, out, steps=info.steps)  # writes into base.data
    base._version_counter.value += 1
    take_node(base, new.grad_fn)
    rederive(base)


def stand_in(t):
    """A tensor for ``t``'s value now: its array, node and version counter."""
    from .tensor import Tensor

    old = Tensor._make(t.data, t.device, t._requires_grad)
    old.grad_fn, old._version_counter = t.grad_fn, t._version_counter
    return old


def take_node(t, node) -> None:
    """Make ``node`` the node that made ``t`` (after an in-place op on it); a retained
    ``.grad`` follows, and is no longer filled at the old node."""
    if t._retains_grad:
        t.grad_fn._retained = None
        t._retains_grad = False
        t.grad_fn = node
        t._requires_grad = True
        t.retain_grad()
    else:
        t.grad_fn = node
        t._requires_grad = True


def rederive(base) -> None:
    """Point every live view of ``base`` made in grad mode at the base's node now."""
    for ref in base.__dict__.get("_views", ()):
        view = ref()
        if view is not None and not view._view.no_grad:
            derived = AsStrided.apply(stand_in(base), steps=view._view.steps)
            take_node(view, derived.grad_fn)
