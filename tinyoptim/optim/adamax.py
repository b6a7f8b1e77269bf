r"""Adamax, mirroring ``torch.optim.Adamax``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (- \text{ if maximize}) \\
    m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
    u_t = \max(\beta_2 u_{t-1}, \; |g_t| + \epsilon) \\
    \theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \, \frac{m_t}{u_t}

gamma = lr, (beta_1, beta_2) = betas, epsilon = eps, lambda = weight_decay; m is
``exp_avg`` and u is ``exp_inf`` (the infinity norm). Where torch departs from the paper:
epsilon is added to |g| inside the maximum rather than to the denominator, so u >= epsilon
from the first step on, which is what keeps m / u finite; m is moved with ``lerp``
(m + (1-beta_1)(g - m)), which rounds differently from beta_1 m + (1-beta_1) g. Integer
betas are accepted (Adam refuses them).

Reference: Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, §7.1.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from ._buckets import advance
from ._ops import lerp_
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "Adamax does not support sparse gradients"


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("exp_avg", "exp_inf")
    _group_fallbacks = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        msg.check_lr(lr)
        msg.check_epsilon(eps)
        msg.check_betas(betas)
        msg.check_non_negative("weight_decay", weight_decay)
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            beta1, beta2 = group["betas"]
            options = dict(
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p) for p in params]
                _single_tensor_adamax(params, grads, states, **options)
            else:
                keys = ("exp_avg", "exp_inf")
                self._over_buckets(group, params, grads, keys, _multi_tensor_adamax, options)
        return loss

    def _init_state(self, p) -> dict:
        """The state of ``p``, created at its first step: zeros, and step 0."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["exp_avg"] = zeros_like(p)
            state["exp_inf"] = zeros_like(p)
        return state


def _single_tensor_adamax(
    params, grads, states, *, lr, beta1, beta2, eps, weight_decay, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp = p.backend.xp
        theta = p.data
        g = -grad.data if maximize else grad.data
        step = state["step"]
        step.data += 1
        t = step.item()
        if weight_decay != 0:
            g = g + weight_decay * theta
        m, u = state["exp_avg"].data, state["exp_inf"].data
        lerp_(m, g, 1 - beta1)
        u *= beta2
        xp.maximum(u, xp.abs(g) + eps, out=u)
        clr = lr / (1 - beta1**t)
        theta += (-clr * m) / u  # torch's addcdiv: (value * m) / u


def _multi_tensor_adamax(
    bucket, params, grads, state, *, lr, beta1, beta2, eps, weight_decay, maximize
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    dtype = params[0].data.dtype.type
    weight = 1 - beta1
    for t, chosen, chosen_grads in advance(bucket, params, grads):
        clr = lr / (1 - beta1**t)

        def kernel(theta, grad, m, u, g, work, clr=clr):
            if maximize:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            if weight_decay != 0:
                xp.multiply(theta, weight_decay, out=work)
                g += work
            lerp_(m, g, weight, scratch=work, xp=xp)
            u *= beta2
            xp.abs(g, out=work)
            work += eps
            xp.maximum(u, work, out=u)
            xp.multiply(m, -clr, out=work)
            work /= u
            theta += work

        scalars = (maximize, weight_decay, weight, 1 - dtype(weight), beta2, eps, -clr)
        keys = ("exp_avg", "exp_inf")
        sweep(bucket, chosen, chosen_grads, keys, kernel, fused=("adamax", scalars))
