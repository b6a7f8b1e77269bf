"""Zeroing the gradients of many tensors, for ``Module.zero_grad`` and
``Optimizer.zero_grad``.

In place by default: a dense grad keeps its array (so a grad that is a view of a flat
buffer stays one) and leaves any graph it was made in; a row-sparse grad becomes one with
no rows. ``set_to_none=True`` drops the grads instead, as torch does by default.
"""

from __future__ import annotations

from .sparse import SparseGrad


def zero_grads(tensors, set_to_none: bool = False) -> None:
    """Zero (or, with ``set_to_none``, drop) the ``grad`` of every tensor that has one."""
    for t in tensors:
        grad = t.grad
        if grad is None:
            continue
        if set_to_none:
            t.grad = None
        elif isinstance(grad, SparseGrad):
            xp = grad.device.backend.xp
            indices = xp.zeros((0,), dtype=grad.indices.dtype)
            rows = xp.zeros((0,) + grad.shape[1:], dtype=grad.values.dtype)
            t.grad = SparseGrad(indices, rows, grad.shape, grad.device, True)
        else:
            grad.detach_()
            grad.zero_()
