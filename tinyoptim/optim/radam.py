r"""RAdam (rectified Adam), mirroring ``torch.optim.RAdam``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) \quad (- \text{ if maximize}) \\
    \text{L2 decay:} \; g_t \mathrel{+}= \lambda \theta_{t-1}
    \qquad \text{decoupled decay:} \; \theta_{t-1} \mathrel{*}= 1 - \gamma \lambda \\
    m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
    \hat m_t = m_t / (1 - \beta_1^t) \\
    \rho_\infty = \frac{2}{1 - \beta_2} - 1, \qquad
    \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t} \\
    \text{if } \rho_t > 5: \quad
    r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                     {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}, \quad
    \theta_t = \theta_{t-1} - \gamma \, \hat m_t \,
               \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} \, r_t \\
    \text{else:} \quad \theta_t = \theta_{t-1} - \gamma \, \hat m_t

gamma = lr, (beta_1, beta_2) = betas, lambda = weight_decay, epsilon = eps. While the
variance of the adaptive rate is intractable (rho_t <= 5, the first few steps) the update is
plain SGD with bias-corrected momentum. Where torch departs from the paper: the switch is
at rho_t > 5 (the paper says 4); epsilon is added to sqrt(v_t), which the paper does not
have; and m is moved with ``lerp``, which rounds differently from
beta_1 m + (1-beta_1) g. ``decoupled_weight_decay=True`` decays theta as AdamW does.

Reference: Liu, Jiang, He, Chen, Liu, Gao and Han, "On the Variance of the Adaptive
Learning Rate and Beyond", ICLR 2020.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from ._buckets import advance
from ._ops import lerp_
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "RAdam does not support sparse gradients"


class RAdam(Optimizer):
    """RAdam; with ``decoupled_weight_decay=True`` its decay is AdamW's."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("exp_avg", "exp_avg_sq")
    _group_fallbacks = dict(
        foreach=None,
        maximize=False,
        differentiable=False,
        decoupled_weight_decay=False,
        capturable=False,
    )

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
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
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            beta1, beta2 = group["betas"]
            options = dict(
                beta1=beta1,
                beta2=beta2,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p) for p in params]
                _single_tensor_radam(params, grads, states, **options)
            else:
                for p in params:
                    self._init_step(p)
                keys = ("exp_avg", "exp_avg_sq")
                self._over_buckets(group, params, grads, keys, _multi_tensor_radam, options)
        return loss

    def _init_step(self, p) -> dict:
        """A new state starts with its step counter (torch's key order)."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
        return state

    def _init_state(self, p) -> dict:
        """The state of ``p``, created at its first step: zeros, and step 0."""
        state = self._init_step(p)
        if "exp_avg" not in state:
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        return state


def _rectification(t, beta2):
    """``(rho_t > 5, r_t)``: whether the adaptive step is used, and its rectification."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)
    if rho_t <= 5.0:
        return False, None
    ratio = (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
    return True, ratio**0.5


def _single_tensor_radam(
    params,
    grads,
    states,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    decoupled_weight_decay,
    maximize,
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        theta = p.data
        g = -grad.data if maximize else grad.data
        step = state["step"]
        step.data += 1
        t = step.item()
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * theta
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        m_hat = m / bias_correction1
        adaptive, rect = _rectification(t, beta2)
        if adaptive:
            adaptive_lr = bias_correction2**0.5 / (p.backend.xp.sqrt(v) + eps)
            theta -= m_hat * lr * adaptive_lr * rect
        else:
            theta -= m_hat * lr


def _multi_tensor_radam(
    bucket,
    params,
    grads,
    state,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    decoupled_weight_decay,
    maximize,
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    dtype = params[0].data.dtype.type
    weight = 1 - beta1
    for t, chosen, chosen_grads in advance(bucket, params, grads):
        bias_correction1 = 1 - beta1**t
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        adaptive, rect = _rectification(t, beta2)

        def kernel(
            theta,
            grad,
            m,
            v,
            g,
            work,
            bias_correction1=bias_correction1,
            bias_correction2_sqrt=bias_correction2_sqrt,
            adaptive=adaptive,
            rect=rect,
        ):
            if maximize:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            if weight_decay != 0:
                if decoupled_weight_decay:
                    theta *= 1 - lr * weight_decay
                else:
                    xp.multiply(theta, weight_decay, out=work)
                    g += work
            lerp_(m, g, weight, scratch=work, xp=xp)
            v *= beta2
            xp.multiply(g, 1 - beta2, out=work)
            work *= g
            v += work
            xp.divide(m, bias_correction1, out=g)  # g is no longer needed: the step goes there
            g *= lr
            if adaptive:
                xp.sqrt(v, out=work)
                work += eps
                xp.divide(bias_correction2_sqrt, work, out=work)
                g *= work
                g *= rect
            theta -= g

        scalars = (
            maximize,
            weight_decay,
            1 - lr * weight_decay,
            decoupled_weight_decay,
            weight,
            1 - dtype(weight),
            beta2,
            1 - beta2,
            bias_correction1,
            lr,
            adaptive,
            bias_correction2_sqrt,
            eps,
            rect if adaptive else 1.0,
        )
        keys = ("exp_avg", "exp_avg_sq")
        sweep(bucket, chosen, chosen_grads, keys, kernel, fused=("radam", scalars))
