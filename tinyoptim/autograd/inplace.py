"""In-place tensor ops: ``add_``, ``mul_``, ``fill_``, ``copy_``, ``x[i] = v`` and friends.

Every in-place op bumps the tensor's version counter, so backward can tell when a value it
saved was overwritten. Outside a graph the op writes straight into ``data``. Inside one
(the tensor, or the other operand, requires grad and grad mode is on) the op is recorded
as usual and the result copied into ``data``: the tensor takes the new node as its
``grad_fn``, as torch does. A leaf that requires grad refuses in-place ops unless grad
mode is off (that is how optimizers update parameters).
"""

from __future__ import annotations

from ..backends import as_dtype
from . import views
from .grad_mode import is_grad_enabled

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def _check_leaf(t) -> None:
    if is_grad_enabled():
        if t.requires_grad and t.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE)
        views.check_inplace(t)


def _records(t, *others) -> bool:
    from .tensor import Tensor

    return is_grad_enabled() and (
        t.requires_grad
        or views.base_requires_grad(t)
        or any(isinstance(o, Tensor) and o.requires_grad for o in others)
    )


def apply(t, fn, *others, **options):
    """``t = fn(t, *others)`` written into ``t``'s own array."""
    from .tensor import Tensor
    from .tensor_ops import _operand

    _check_leaf(t)
    others = tuple(_operand(o, t) for o in others)
    if "key" not in options:  # an elementwise op: the result must keep t's shape
        _check_out_shape(t.shape, [o.shape for o in others if isinstance(o, Tensor)])
        _check_overlap(t)
    if not _records(t, *others):
        raw = [o.data if isinstance(o, Tensor) else o for o in others]
        for o in others:
            if isinstance(o, Tensor) and o.device != t.device:
                from .function import DEVICE_MISMATCH

                raise RuntimeError(DEVICE_MISMATCH.format(t.device, o.device))
        result = fn.forward(_Scratch(t), t.data, *raw, **options)
        if "key" not in options:
            check_cast(result, t.data)
        t.data[...] = result
        t._version_counter.value += 1
        return t
    return _rebase(t, fn, *others, **options)


def _check_overlap(t) -> None:
    """torch's refusal to write elementwise into a tensor whose elements share memory (an
    ``expand()`` result: a stride of 0 along an axis longer than 1)."""
    data = t.data
    if 0 in data.strides and any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
        raise RuntimeError(OVERLAP)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def check_cast(result, target) -> None:
    """torch's refusal to write a float result into an integer tensor (or a number into a
    bool one) in place: ``int_tensor += 1.5`` raises rather than truncating."""
    if _CATEGORY[result.dtype.kind] > _CATEGORY[target.dtype.kind]:
        raise RuntimeError(
            f"result type {as_dtype(result.dtype).scalar_name} can't be cast to the desired "
            f"output type {as_dtype(target.dtype).scalar_name}"
        )


def _check_out_shape(out: tuple, shapes: list) -> None:
    """torch's errors for an in-place op whose operands do not broadcast to ``t``'s shape."""
    from .ops._util import check_broadcast

    broadcast = check_broadcast(out, *shapes)
    if broadcast != out:
        raise RuntimeError(
            f"output with shape {list(out)} doesn't match the broadcast shape {list(broadcast)}"
        )


def _rebase(t, fn, *others, **options):
    """Record ``fn(t, *others)`` and make ``t`` its output, in place (for a view: its base's
    node changes too, see ``views.py``)."""
    if t._view is not None:
        views.rebase(t, fn, others, options)
        return t
    old = views.stand_in(t)
    out = fn.apply(old, *others, **options)
    if "key" not in options:
        check_cast(out.data, t.data)
    node = out.grad_fn
    # The node must not see t's array change under it: keep a copy of what it saved.
    node.saved = tuple(a.copy() if a is t.data else a for a in node.saved)
    versions, node._versions = node._versions, []
    for i in range(0, len(versions), 4):
        counter, then, index, position = versions[i : i + 4]
        if counter is out._version_counter:  # what the node saved of its output is t's now
            counter, then = t._version_counter, t._version_counter.value + 1
        elif counter is t._version_counter:  # what it saved of t's old value is a copy
            continue
        node._versions += (counter, then, index, position)
    t.data[...] = out.data
    t._version_counter.value += 1
    views.take_node(t, node)
    views.rederive(t)
    return t


def fill(t, value, label: str = "FillBackward2"):
    """``t[...] = value`` for a number (or a 0-d tensor); ``label`` names the node as torch
    does (``zero_`` is ZeroBackward0)."""
    from .tensor import Tensor

    _check_leaf(t)
    if isinstance(value, Tensor):
        return copy(t, value, label="FillBackward3")
    if is_grad_enabled() and (t.grad_fn is not None or views.base_requires_grad(t)):
        # t stays in the graph, as in torch:
        from .factories import full  # what it was gets a zero gradient

        return copy(t, full((), value, dtype=t.dtype, device=t.device), label=label)
    t.data.fill(value)
    t._version_counter.value += 1
    return t


def copy(t, src, label: str | None = None):
    """``t[...] = src`` (broadcast, cast to ``t``'s dtype, from any device)."""
    from .ops.elementwise import Overwrite
    from .tensor import Tensor

    _check_leaf(t)
    if not isinstance(src, Tensor):
        from .factories import tensor

        src = tensor(src, device=t.device)
    if src.device != t.device:
        src = src.to(t.device)
    return apply(t, Overwrite, src, label=label)


def setitem(t, key, value):
    """``t[key] = value``."""
    from .ops.index import SetItem, as_key

    return apply(t, SetItem, value, key=as_key(key, t))


class _Scratch:
    """A stand-in ctx for running an op's forward outside the graph."""

    def __init__(self, t):
        self.backend = t.backend
        self.xp = self.backend.xp
        self.saved = ()
        self.needs_grad = _NoGrad()

    def save_for_backward(self, *arrays) -> None:
        pass


class _NoGrad:
    """``needs_grad[i]`` is False for every input."""

    def __getitem__(self, index: int) -> bool:
        return False
