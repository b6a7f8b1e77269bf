r"""NAdam (Adam with Nesterov momentum), mirroring ``torch.optim.NAdam``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) \quad (- \text{ if maximize}) \\
    \text{L2 decay:} \; g_t \mathrel{+}= \lambda \theta_{t-1}
    \qquad \text{decoupled decay:} \; \theta_{t-1} \mathrel{*}= 1 - \gamma \lambda \\
    \mu_t = \beta_1 \left(1 - \tfrac12 \, 0.96^{t \psi}\right), \qquad
    \mu_{t+1} = \beta_1 \left(1 - \tfrac12 \, 0.96^{(t+1) \psi}\right) \\
    \Pi_t = \Pi_{t-1} \mu_t \quad (\Pi_0 = 1) \\
    m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
    v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
    d_t = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
    \theta_t = \theta_{t-1} - \frac{\gamma (1 - \mu_t)}{1 - \Pi_t} \frac{g_t}{d_t}
               - \frac{\gamma \mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d_t}

gamma = lr, (beta_1, beta_2) = betas, lambda = weight_decay, psi = momentum_decay,
epsilon = eps; Pi is the state ``mu_product``. Where torch departs from the paper: the
running product Pi is a 0-d host tensor of float32 (float64 under a float64 default dtype),
so it is rounded to that precision at every step (observable at ~1e-10 in float64 runs);
epsilon is added after bias-correcting v, inside no square root; v is divided by
1 - beta_2^t *before* the square root; and m is moved with ``lerp``, which rounds
differently from beta_1 m + (1-beta_1) g. ``decoupled_weight_decay=True`` gives NAdamW.

Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop;
Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import ones, zeros_like
from . import _validation as msg
from ._buckets import advance
from ._ops import lerp_
from ._sweep import sweep
from .optimizer import Optimizer, scalar_dtype, step_counter

SPARSE = "NAdam does not support sparse gradients"


class NAdam(Optimizer):
    """NAdam; with ``decoupled_weight_decay=True`` it is NAdamW."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("exp_avg", "exp_avg_sq")
    _group_fallbacks = dict(
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        decoupled_weight_decay=False,
    )
    _host_state = ("step", "mu_product")  # torch keeps both on the CPU

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
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
        msg.check_non_negative("momentum_decay", momentum_decay)
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One NAdam update of every parameter that has a gradient."""
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
                momentum_decay=group["momentum_decay"],
                eps=group["eps"],
                decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p) for p in params]
                _single_tensor_nadam(params, grads, states, **options)
            else:
                for p in params:
                    self._init_scalars(p)
                keys = ("exp_avg", "exp_avg_sq")
                self._over_buckets(group, params, grads, keys, _multi_tensor_nadam, options)
        return loss

    def _init_scalars(self, p) -> dict:
        """The host scalars of a parameter's new state, in torch's key order."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["mu_product"] = ones((), dtype=scalar_dtype(), device="cpu")
        return state

    def _init_state(self, p) -> dict:
        """The state of ``p``, created at its first step: step 0, product 1, zero moments."""
        state = self._init_scalars(p)
        if "exp_avg" not in state:
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        return state


def _single_tensor_nadam(
    params,
    grads,
    states,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    momentum_decay,
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
        bias_correction2 = 1 - beta2**t
        if weight_decay != 0:
            if decoupled_weight_decay:
                theta *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * theta
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state["mu_product"]
        mu_product.data *= mu  # rounded in the product's own dtype, as torch rounds it
        product = mu_product.item()
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        lerp_(m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = p.backend.xp.sqrt(v / bias_correction2) + eps
        theta += (-lr * (1.0 - mu) / (1.0 - product)) * g / denom
        theta += (-lr * mu_next / (1.0 - product * mu_next)) * m / denom


def _multi_tensor_nadam(
    bucket,
    params,
    grads,
    state,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    momentum_decay,
    eps,
    decoupled_weight_decay,
    maximize,
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``).

    The step coefficients depend on each parameter's ``mu_product``, so the members of a
    step-count group are swept together where their products agree (as they do unless
    ``momentum_decay`` changed, or state was loaded, between their steps).
    """
    xp = params[0].backend.xp
    dtype = params[0].data.dtype.type
    weight = 1 - beta1
    for t, at_t, grads_at_t in advance(bucket, params, grads):
        bias_correction2 = 1 - beta2**t
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        by_product: dict = {}
        for i, p in enumerate(at_t):
            mu_product = state[p]["mu_product"]
            mu_product.data *= mu  # rounded in the product's own dtype, as torch rounds it
            by_product.setdefault(mu_product.item(), []).append(i)
        for product, members in by_product.items():
            grad_coef = -lr * (1.0 - mu) / (1.0 - product)
            momentum_coef = -lr * mu_next / (1.0 - product * mu_next)

            def kernel(
                theta,
                grad,
                m,
                v,
                g,
                work,
                bias_correction2=bias_correction2,
                grad_coef=grad_coef,
                momentum_coef=momentum_coef,
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
                xp.divide(v, bias_correction2, out=work)
                xp.sqrt(work, out=work)
                work += eps
                g *= grad_coef
                g /= work
                theta += g
                xp.multiply(m, momentum_coef, out=g)
                g /= work
                theta += g

            scalars = (
                maximize,
                weight_decay,
                1 - lr * weight_decay,
                decoupled_weight_decay,
                weight,
                1 - dtype(weight),
                beta2,
                1 - beta2,
                bias_correction2,
                eps,
                grad_coef,
                momentum_coef,
            )
            chosen = at_t if len(by_product) == 1 else [at_t[i] for i in members]
            chosen_grads = grads_at_t if len(by_product) == 1 else [grads_at_t[i] for i in members]
            keys = ("exp_avg", "exp_avg_sq")
            sweep(bucket, chosen, chosen_grads, keys, kernel, fused=("nadam", scalars))
