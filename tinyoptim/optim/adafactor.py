r"""Adafactor, mirroring ``torch.optim.Adafactor``.

For a parameter with two or more dimensions the second moment is kept factored: a row
statistic :math:`R` (the last dimension reduced to 1) and a column statistic :math:`C`
(the second-to-last reduced to 1), which is O(n + m) memory instead of O(nm). Vectors and
scalars keep a full second moment :math:`V`.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) \quad (- \text{ if maximize}) \\
    \hat\beta_{2,t} = 1 - t^{c}, \qquad
    \rho_t = \min(\gamma, 1/\sqrt t), \qquad
    \alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1})) \, \rho_t \\
    \theta_{t-1} \mathrel{*}= 1 - \gamma \lambda \quad \text{(decoupled decay)} \\
    R_t = \hat\beta_{2,t} R_{t-1} + (1 - \hat\beta_{2,t}) \, \mathrm{mean}_{-1}(g_t^2), \quad
    C_t = \hat\beta_{2,t} C_{t-1} + (1 - \hat\beta_{2,t}) \, \mathrm{mean}_{-2}(g_t^2) \\
    \hat V_t = R_t C_t / \max(\mathrm{mean}_{-2}(R_t), \epsilon_1)
    \qquad (\text{vectors: } \hat V_t = V_t = \hat\beta_{2,t} V_{t-1}
    + (1 - \hat\beta_{2,t}) g_t^2) \\
    U_t = g_t / \sqrt{\max(\hat V_t, \epsilon_1^2)} \\
    \theta_t = \theta_{t-1} - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U_t) / d)} \, U_t

gamma = lr, c = beta2_decay, (epsilon_1, epsilon_2) = eps (epsilon_1 = None means the
machine epsilon of the parameters' dtype), d = d (the clipping threshold), lambda =
weight_decay, RMS(x) = ||x||_2 / sqrt(numel).

Where torch departs from the paper: lr caps the relative step size (the paper fixes the
cap at 0.01) and also scales the decoupled weight decay; the paper's sum over rows is a
mean (the same ratio); epsilon_1 is applied twice, as a floor on mean(R) and, squared,
on V-hat; there is no first moment; RMS(theta) is taken *before* the weight decay; and
the moments move with ``lerp`` at weight t^c (which is 1 at t = 1, so the first statistic
is the first gradient's). When epsilon_1 is None, torch takes the dtype of the first
parameter of the group that has a gradient, for the whole group. The row and column
means are computed as torch computes them, as a squared norm divided by the length.

``foreach=None`` means the reference path, as in torch, even on a GPU; ``foreach=True``
runs the in-place path, which loops per parameter (the factored state has no flat,
parameter-shaped layout to put in a bucket) but reuses scratch arrays instead of
allocating parameter-sized temporaries.

Reference: Shazeer and Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory
Cost", ICML 2018.
"""

from __future__ import annotations

from ..autograd import Tensor, no_grad
from . import _validation as msg
from ._ops import lerp_
from .optimizer import Optimizer, step_counter

SPARSE = "Adafactor does not support sparse gradients"


class Adafactor(Optimizer):
    """Adafactor: factored second moments, relative step sizes and update clipping."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("variance",)
    _group_fallbacks = dict(foreach=None)

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay=-0.8,
        eps=(None, 1e-3),
        d=1.0,
        weight_decay=0.0,
        *,
        foreach=None,
        maximize=False,
    ):
        if isinstance(lr, Tensor):
            msg.check_lr(lr)  # Tensor lrs are not supported (API.md deviation 4)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(
            lr=lr,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        self._scratch: dict = {}  # (device, dtype) -> work arrays of the in-place path

    @no_grad()
    def step(self, closure=None):
        """One Adafactor update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            eps1, eps2 = group["eps"]
            options = dict(
                lr=group["lr"],
                beta2_decay=group["beta2_decay"],
                eps1=eps1,
                eps2=eps2,
                d=group["d"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
            states = [self._init_state(p, g) for p, g in zip(params, grads)]
            if group["foreach"]:
                _multi_tensor_adafactor(params, grads, states, self._work_arrays, **options)
            else:  # torch: foreach=None means the single-tensor loop on every device
                _single_tensor_adafactor(params, grads, states, **options)
        return loss

    def _init_state(self, p, grad) -> dict:
        """The state of ``p``, created at its first step: factored or full, and step 0."""
        state = self.state[p]
        if not state:
            xp, dtype = p.backend.xp, grad.data.dtype
            state["step"] = step_counter()
            if grad.ndim > 1:
                row_shape = grad.shape[:-1] + (1,)
                col_shape = grad.shape[:-2] + (1, grad.shape[-1])
                state["row_var"] = Tensor._make(xp.zeros(row_shape, dtype=dtype), grad.device)
                state["col_var"] = Tensor._make(xp.zeros(col_shape, dtype=dtype), grad.device)
            else:
                state["variance"] = Tensor._make(xp.zeros(grad.shape, dtype=dtype), grad.device)
        return state

    def _work_arrays(self, p, count: int) -> list:
        """``count`` work arrays shaped like ``p``, reused from step to step."""
        key = (str(p.device), p.data.dtype)
        arrays = self._scratch.get(key)
        if arrays is None or len(arrays) < count or arrays[0].size < p.data.size:
            largest = max(p.data.size, arrays[0].size if arrays else 0)
            xp = p.backend.xp
            arrays = self._scratch[key] = [xp.empty(largest, p.data.dtype) for _ in range(count)]
        return [a[: p.data.size].reshape(p.shape) for a in arrays[:count]]


def _rms(x, device) -> float:
    """``||x||_2 / sqrt(numel)`` as a Python float (torch: ``x.norm(2).item() / ...``)."""
    xp = device.backend.xp
    norm = xp.sqrt(xp.vdot(x, x))
    return Tensor._make(norm, device).item() / (x.size**0.5)


def _squared_norm_mean(g, axis: int, xp):
    """``mean(g**2)`` over ``axis``, kept, as torch writes it: ``norm(g)`` squared, over n."""
    mean = xp.sqrt(xp.sum(g * g, axis=axis, keepdims=True))
    mean *= mean
    mean /= g.shape[axis]
    return mean


def _single_tensor_adafactor(
    params, grads, states, *, lr, beta2_decay, eps1, eps2, d, weight_decay, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp, theta = p.backend.xp, p.data
        g = -grad.data if maximize else grad.data
        if eps1 is None:  # as torch: the first parameter's dtype decides, for the group
            eps1 = float(xp.finfo(theta.dtype).eps)
        step = state["step"]
        step.data += 1
        t = step.item()
        one_minus_beta2_t = t**beta2_decay
        rho = min(lr, 1 / (t**0.5))
        alpha = max(eps2, _rms(theta, p.device)) * rho
        if weight_decay != 0:
            theta *= 1 - lr * weight_decay
        if g.ndim > 1:
            row_var, col_var = state["row_var"].data, state["col_var"].data
            lerp_(row_var, _squared_norm_mean(g, -1, xp), one_minus_beta2_t)
            lerp_(col_var, _squared_norm_mean(g, -2, xp), one_minus_beta2_t)
            var_estimate = xp.matmul(row_var, col_var)
            var_estimate /= xp.maximum(xp.mean(row_var, axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"].data
            lerp_(variance, g * g, one_minus_beta2_t)
            var_estimate = variance.copy()
        update = 1 / xp.sqrt(xp.maximum(var_estimate, eps1 * eps1))
        update *= g
        denom = max(1.0, _rms(update, p.device) / d)
        theta += update * (-alpha / denom)


def _multi_tensor_adafactor(
    params, grads, states, work_arrays, *, lr, beta2_decay, eps1, eps2, d, weight_decay, maximize
) -> None:
    """The same update, in place: parameter-sized values live in reused work arrays.

    Only the factored statistics (one row and one column per matrix) are allocated anew.
    """
    for p, grad, state in zip(params, grads, states):
        xp, theta = p.backend.xp, p.data
        if eps1 is None:
            eps1 = float(xp.finfo(theta.dtype).eps)
        g, update, work = work_arrays(p, 3)
        if maximize:
            xp.negative(grad.data, out=g)
        else:
            g[...] = grad.data
        step = state["step"]
        step.data += 1
        t = step.item()
        one_minus_beta2_t = t**beta2_decay
        rho = min(lr, 1 / (t**0.5))
        alpha = max(eps2, _rms(theta, p.device)) * rho
        if weight_decay != 0:
            theta *= 1 - lr * weight_decay
        xp.multiply(g, g, out=work)
        if g.ndim > 1:
            row_var, col_var = state["row_var"].data, state["col_var"].data
            for var, axis in ((row_var, -1), (col_var, -2)):
                mean = xp.sqrt(xp.sum(work, axis=axis, keepdims=True))
                mean *= mean
                mean /= g.shape[axis]
                lerp_(var, mean, one_minus_beta2_t)
            xp.matmul(row_var, col_var, out=update)
            update /= xp.maximum(xp.mean(row_var, axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"].data
            lerp_(variance, work, one_minus_beta2_t, scratch=update)
            update[...] = variance
        xp.maximum(update, eps1 * eps1, out=update)
        xp.sqrt(update, out=update)
        xp.divide(1, update, out=update)
        update *= g
        denom = max(1.0, _rms(update, p.device) / d)
        update *= -alpha / denom
        theta += update
