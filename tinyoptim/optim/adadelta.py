r"""Adadelta, mirroring ``torch.optim.Adadelta``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (- \text{ if maximize}) \\
    v_t = \rho v_{t-1} + (1 - \rho) g_t^2 \\
    \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} \, g_t \\
    u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
    \theta_t = \theta_{t-1} - \gamma \Delta_t

gamma = lr, rho = rho, epsilon = eps, lambda = weight_decay; v is ``square_avg`` and u is
``acc_delta``. As in torch: epsilon sits inside both square roots, u is updated after the
step Delta is formed from its previous value, there is no bias correction, lr scales the
step (lr = 1, the default, is the paper's algorithm) and rho = 1 is accepted. ``step`` is
counted but not used by the math.

Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from ._buckets import advance
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "Adadelta does not support sparse gradients"


class Adadelta(Optimizer):
    """Adadelta: step sizes from running averages of squared gradients and steps."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("square_avg", "acc_delta")
    _group_fallbacks = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        msg.check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        msg.check_epsilon(eps)
        msg.check_non_negative("weight_decay", weight_decay)
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One Adadelta update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            options = dict(
                lr=group["lr"],
                rho=group["rho"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p) for p in params]
                _single_tensor_adadelta(params, grads, states, **options)
            else:
                keys = ("square_avg", "acc_delta")
                self._over_buckets(group, params, grads, keys, _multi_tensor_adadelta, options)
        return loss

    def _init_state(self, p) -> dict:
        """The state of ``p``, created at its first step: zeros, and step 0."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["square_avg"] = zeros_like(p)
            state["acc_delta"] = zeros_like(p)
        return state


def _single_tensor_adadelta(params, grads, states, *, lr, rho, eps, weight_decay, maximize) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp = p.backend.xp
        theta = p.data
        state["step"].data += 1
        g = -grad.data if maximize else grad.data
        if weight_decay != 0:
            g = g + weight_decay * theta
        v, u = state["square_avg"].data, state["acc_delta"].data
        v *= rho
        v += (1 - rho) * g * g
        std = xp.sqrt(v + eps)
        delta = xp.sqrt(u + eps) / std * g
        u *= rho
        u += (1 - rho) * delta * delta
        theta += -lr * delta


def _multi_tensor_adadelta(
    bucket, params, grads, state, *, lr, rho, eps, weight_decay, maximize
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    advance(bucket, params, grads)  # count the step; Adadelta's math does not use it

    def kernel(theta, grad, v, u, g, std, delta):
        if maximize:
            xp.negative(grad, out=g)
        else:
            g[...] = grad
        if weight_decay != 0:
            xp.multiply(theta, weight_decay, out=std)
            g += std
        v *= rho
        xp.multiply(g, 1 - rho, out=std)
        std *= g
        v += std
        xp.add(v, eps, out=std)
        xp.sqrt(std, out=std)
        xp.add(u, eps, out=delta)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        u *= rho
        xp.multiply(delta, 1 - rho, out=std)
        std *= delta
        u += std
        delta *= -lr
        theta += delta

    scalars = (maximize, weight_decay, rho, 1 - rho, eps, -lr)
    keys = ("square_avg", "acc_delta")
    sweep(bucket, params, grads, keys, kernel, work=3, fused=("adadelta", scalars))
