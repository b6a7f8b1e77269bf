r"""Gradient clipping and parameter/vector conversion, as ``torch.nn.utils``.

``clip_grad_norm_`` scales every gradient by \min(1, \text{max\_norm} / (\|g\| + 10^{-6}))
where \|g\| is the norm of all gradients together (``get_total_norm`` then
``clip_grads_with_norm_``, as torch splits it). The coefficient stays a device tensor,
so clipping never waits for the device unless ``error_if_nonfinite`` asks to look.
"""

from __future__ import annotations

import math

from ..autograd import factories
from ..autograd.function import quiet_math  # what Function.quiet ops run under
from ..autograd.functional import cat, stack
from ..autograd.grad_mode import no_grad
from ..autograd.sparse import SparseGrad
from ..autograd.tensor import Tensor

NONFINITE_NORM = (
    "The total norm of order {} for gradients from `parameters` is non-finite, so it cannot "
    "be clipped. To disable this error and scale the gradients by the non-finite norm "
    "anyway, set `error_if_nonfinite=False`"
)


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _values(grad) -> Tensor:
    """The gradient's entries as a tensor (a sparse gradient's summed rows)."""
    if isinstance(grad, SparseGrad):
        coalesced = grad.coalesce()
        return Tensor._make(coalesced.values, grad.device)
    return grad


def _vector_norm(t: Tensor, norm_type: float) -> Tensor:
    r"""(\sum |t|^p)^{1/p}; the largest |t| for p = inf, the count of non-zeros for p = 0."""
    if norm_type == 0:
        return (t != 0).to(t.dtype).sum()
    if norm_type == math.inf:
        return t.abs().amax()
    if norm_type == -math.inf:
        return t.abs().amin()
    if norm_type == 2:
        return (t * t).sum().sqrt()
    if norm_type == 1:
        return t.abs().sum()
    return (t.abs() ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all ``tensors`` together: the norm of their norms (a 0-d tensor)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return factories.tensor(0.0)
    device = tensors[0].device
    with no_grad(), quiet_math():
        norms = stack([_vector_norm(_values(t), norm_type).to(device) for t in tensors])
        total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(NONFINITE_NORM.format(norm_type))
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients in place by min(1, max_norm / (total_norm + 1e-6))."""
    _scale(_grads(parameters), float(max_norm), total_norm)


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite=False, foreach=None
) -> Tensor:
    """Scale all gradients in place so that their joint norm is at most ``max_norm``:
    ``get_total_norm`` of the gradients, then ``clip_grads_with_norm_``.

    Returns the total norm before clipping (a 0-d tensor on the gradients' device).
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    _scale(grads, float(max_norm), total)
    return total


def _scale(grads: list, max_norm: float, total_norm: Tensor) -> None:
    if not grads:
        return
    with no_grad(), quiet_math():  # a non-finite norm scales silently, as in torch
        coefficient = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            if isinstance(g, SparseGrad):
                g.values *= coefficient.to(g.device).data.astype(g.values.dtype)
            else:
                g.mul_(coefficient.to(g.device, g.dtype))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            if isinstance(g, SparseGrad):
                g.values[...] = g.values.clip(-clip_value, clip_value)
            else:
                g.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened into one new 1-d tensor."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of ``vec`` (views, as torch does)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tinyoptim.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.data = vec.data[offset : offset + n].reshape(p.shape)
        offset += n
