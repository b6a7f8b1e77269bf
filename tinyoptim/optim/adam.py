r"""Adam, mirroring ``torch.optim.Adam`` (and, through one flag, AdamW).

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) \quad (- \text{ if maximize}) \\
    \text{L2 decay:} \; g_t \mathrel{+}= \lambda \theta_{t-1}
    \qquad \text{decoupled decay:} \; \theta_{t-1} \mathrel{*}= 1 - \gamma \lambda \\
    m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
    v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
    \hat v_t = \max(\hat v_{t-1}, v_t) \text{ if amsgrad, else } v_t \\
    \theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t} \,
               \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

gamma = lr, (beta_1, beta_2) = betas, lambda = weight_decay, epsilon = eps. Where torch
departs from the paper: epsilon is added after bias-correcting sqrt(v) (the paper's
"epsilon hat" form is not used); AMSGrad keeps the running maximum of the raw v, not of
v / (1 - beta_2^t); and m is moved with ``lerp`` (m + (1-beta_1)(g - m)), which rounds
differently from beta_1 m + (1-beta_1) g.

Reference: Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
Reddi, Kale and Kumar, "On the Convergence of Adam and Beyond" (AMSGrad), ICLR 2018;
Loshchilov and Hutter, "Decoupled Weight Decay Regularization" (AdamW), ICLR 2019.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from ._buckets import advance
from ._ops import lerp_
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "Adam does not support sparse gradients, please consider SparseAdam instead"


class Adam(Optimizer):
    """Adam; with ``decoupled_weight_decay=True`` it is AdamW."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _group_fallbacks = dict(
        amsgrad=False,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        decoupled_weight_decay=False,
        fused=None,
    )

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        msg.check_lr(lr)
        msg.check_epsilon(eps)
        msg.check_betas(betas)
        msg.check_non_negative("weight_decay", weight_decay)
        if not all(isinstance(beta, float) for beta in betas[:2]):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(betas)  # torch stores a list given as a tuple
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)
        msg.check_fused(self, fused, foreach, kernel="adam")

    @no_grad()
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            beta1, beta2 = group["betas"]
            options = dict(
                amsgrad=group["amsgrad"],
                beta1=beta1,
                beta2=beta2,
                lr=group["lr"],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p, group["amsgrad"]) for p in params]
                _single_tensor_adam(params, grads, states, **options)
            else:
                keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
                self._over_buckets(group, params, grads, keys, _multi_tensor_adam, options)
        return loss

    def _init_state(self, p, amsgrad: bool) -> dict:
        """The state of ``p``, created at its first step: zeros, and step 0."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_like(p)
        return state


def _single_tensor_adam(
    params,
    grads,
    states,
    *,
    amsgrad,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    maximize,
    decoupled_weight_decay,
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
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        if amsgrad:
            v_max = state["max_exp_avg_sq"].data
            p.backend.xp.maximum(v_max, v, out=v_max)
            v = v_max
        denom = p.backend.xp.sqrt(v) / bias_correction2_sqrt + eps
        theta += -(lr / bias_correction1) * (m / denom)


def _multi_tensor_adam(
    bucket,
    params,
    grads,
    state,
    *,
    amsgrad,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    maximize,
    decoupled_weight_decay,
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    # Without amsgrad the third buffer is v again, so that one kernel shape serves both.
    keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if amsgrad else "exp_avg_sq")
    weight = 1 - beta1
    for t, chosen, chosen_grads in advance(bucket, params, grads):
        bias_correction1 = 1 - beta1**t
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        step_size = -(lr / bias_correction1)

        def kernel(
            theta,
            grad,
            m,
            v,
            v_max,
            g,
            work,
            bias_correction2_sqrt=bias_correction2_sqrt,
            step_size=step_size,
        ):
            coupled_decay = weight_decay != 0 and not decoupled_weight_decay
            if maximize:
                xp.negative(grad, out=g)
            elif coupled_decay:
                g[...] = grad
            else:
                g = grad  # only read from here on: no copy
            if coupled_decay:
                xp.multiply(theta, weight_decay, out=work)
                g += work
            elif weight_decay != 0:
                theta *= 1 - lr * weight_decay
            lerp_(m, g, weight, scratch=work, xp=xp)
            v *= beta2
            xp.multiply(g, 1 - beta2, out=work)
            work *= g
            v += work
            if amsgrad:
                xp.maximum(v_max, v, out=v_max)
                v = v_max
            xp.sqrt(v, out=work)
            work /= bias_correction2_sqrt
            work += eps
            xp.divide(m, work, out=work)
            work *= step_size
            theta += work

        dtype = params[0].data.dtype.type
        scalars = (
            maximize,
            weight_decay,
            1 - lr * weight_decay,
            decoupled_weight_decay,
            weight,
            1 - dtype(weight),
            beta2,
            1 - beta2,
            amsgrad,
            bias_correction2_sqrt,
            eps,
            step_size,
        )
        sweep(bucket, chosen, chosen_grads, keys, kernel, fused=("adam", scalars))


class AdamW(Adam):
    """Adam with decoupled weight decay (``theta *= 1 - lr * weight_decay`` first)."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # torch forces the flag, even for Adam's state
            group["decoupled_weight_decay"] = True
