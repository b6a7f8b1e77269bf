r"""RMSprop, mirroring ``torch.optim.RMSprop``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (- \text{ if maximize}) \\
    v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
    \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g_t \quad \text{(centered only)} \\
    d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \text{ if centered, else } \sqrt{v_t} + \epsilon \\
    b_t = \mu b_{t-1} + g_t / d_t, \quad \theta_t = \theta_{t-1} - \gamma b_t
        \quad \text{if } \mu > 0 \\
    \theta_t = \theta_{t-1} - \gamma g_t / d_t \quad \text{otherwise}

gamma = lr, alpha = alpha, epsilon = eps, lambda = weight_decay, mu = momentum; v is
``square_avg``, g-bar is ``grad_avg`` and b is ``momentum_buffer``. As in torch: epsilon
is added outside the square root, there is no bias correction, the momentum buffer starts
at zero (unlike SGD's, which starts at the first gradient), g-bar is moved with ``lerp``
(g-bar + (1-alpha)(g - g-bar)), and alpha > 1 is accepted. ``momentum_buffer`` and
``grad_avg`` exist only if momentum > 0 and centered were set when the state was created;
switching them on later makes ``step`` raise ``KeyError``, as torch's does.

Reference: Hinton, Srivastava and Swersky, "Neural Networks for Machine Learning",
lecture 6e (2012); Graves, "Generating Sequences With Recurrent Neural Networks" (the
centered form), 2013.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from ._buckets import advance
from ._ops import lerp_, minus_square
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "RMSprop does not support sparse gradients"


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")
    _group_fallbacks = dict(
        momentum=0,
        centered=False,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    )

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        msg.check_lr(lr)
        msg.check_epsilon(eps)
        msg.check_non_negative("momentum", momentum)
        msg.check_non_negative("weight_decay", weight_decay)
        msg.check_non_negative("alpha", alpha)
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, _) in zip(self.param_groups, work):
            self._check_state_keys(params, _keys(group))
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            options = dict(
                lr=group["lr"],
                alpha=group["alpha"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                momentum=group["momentum"],
                centered=group["centered"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p, group) for p in params]
                _single_tensor_rmsprop(params, grads, states, **options)
            else:
                self._over_buckets(
                    group, params, grads, _keys(group), _multi_tensor_rmsprop, options
                )
        return loss

    def _check_state_keys(self, params, keys: tuple) -> None:
        """torch's ``KeyError`` for a buffer switched on after the state was made, raised
        before anything is written (API.md deviation 5)."""
        for p in params:
            state = self.state.get(p)
            if state:
                for key in keys:
                    if key not in state:
                        raise KeyError(key)

    def _init_state(self, p, group: dict) -> dict:
        """The state of ``p``, created at its first step: zeros, and step 0."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
            state["square_avg"] = zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = zeros_like(p)
        return state


def _keys(group: dict) -> tuple:
    """The state buffers a group's settings ask for, in torch's order."""
    keys = ("square_avg",)
    if group["momentum"] > 0:
        keys += ("momentum_buffer",)
    if group["centered"]:
        keys += ("grad_avg",)
    return keys


def _single_tensor_rmsprop(
    params, grads, states, *, lr, alpha, eps, weight_decay, momentum, centered, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp = p.backend.xp
        theta = p.data
        g = -grad.data if maximize else grad.data
        state["step"].data += 1
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = state["square_avg"].data
        v *= alpha
        v += (1 - alpha) * g * g
        if centered:
            g_avg = state["grad_avg"].data
            lerp_(g_avg, g, 1 - alpha)
            avg = xp.sqrt(minus_square(v, g_avg, xp))
        else:
            avg = xp.sqrt(v)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"].data
            buf *= momentum
            buf += g / avg
            theta += -lr * buf
        else:
            theta += (-lr * g) / avg  # torch's addcdiv: (value * g) / avg


def _multi_tensor_rmsprop(
    bucket, params, grads, state, *, lr, alpha, eps, weight_decay, momentum, centered, maximize
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    dtype = params[0].data.dtype.type
    advance(bucket, params, grads)  # count the step; RMSprop's math does not use it
    # A buffer the settings leave out is replaced by v, so that one kernel shape serves all;
    # the kernel never touches it then.
    keys = (
        "square_avg",
        "momentum_buffer" if momentum > 0 else "square_avg",
        "grad_avg" if centered else "square_avg",
    )
    weight = 1 - alpha

    def kernel(theta, grad, v, buf, g_avg, g, avg, work):
        if maximize:
            xp.negative(grad, out=g)
        else:
            g[...] = grad
        if weight_decay != 0:
            xp.multiply(theta, weight_decay, out=work)
            g += work
        v *= alpha
        xp.multiply(g, weight, out=work)
        work *= g
        v += work
        if centered:
            lerp_(g_avg, g, weight, scratch=work, xp=xp)
            minus_square(v, g_avg, xp, out=avg)
            xp.sqrt(avg, out=avg)
        else:
            xp.sqrt(v, out=avg)
        avg += eps
        if momentum > 0:
            buf *= momentum
            xp.divide(g, avg, out=work)
            buf += work
            xp.multiply(buf, -lr, out=work)
        else:
            xp.multiply(g, -lr, out=work)
            work /= avg
        theta += work

    scalars = (
        maximize,
        weight_decay,
        alpha,
        weight,
        1 - dtype(weight),
        centered,
        eps,
        momentum > 0,
        momentum,
        -lr,
    )
    sweep(bucket, params, grads, keys, kernel, work=3, fused=("rmsprop", scalars))
