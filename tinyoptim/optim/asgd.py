r"""Averaged stochastic gradient descent, mirroring ``torch.optim.ASGD``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda_{wd} \theta_{t-1} \quad (- \text{ if maximize}) \\
    \theta_t = \theta_{t-1} (1 - \lambda \eta_t) - \eta_t g_t \\
    \bar\theta_t = \bar\theta_{t-1} + \mu_t (\theta_t - \bar\theta_{t-1})
        \quad (\bar\theta_t = \theta_t \text{ while } \mu_t = 1) \\
    \eta_{t+1} = \frac{\gamma}{(1 + \lambda \gamma t)^\alpha}, \qquad
    \mu_{t+1} = \frac{1}{\max(1, t - t_0)}, \qquad \eta_1 = \gamma, \; \mu_1 = 1

gamma = lr, lambda = lambd, alpha = alpha, t_0 = t0, lambda_wd = weight_decay; the
average theta-bar is the state ``ax``. Where torch departs from the paper: eta and mu are
0-d tensors of float32 (float64 under a float64 default dtype) on the parameter's device,
so both are rounded to that precision; each step uses the eta and mu computed at the end
of the step before, from the group's lr *at that time*; and the average is only kept in
``state[p]["ax"]``: it is never written back into the parameters. With the default
t0 = 1e6, averaging does not start in any ordinary run, and ax simply copies theta.

tinyoptim keeps torch's state layout: ``step``, ``eta`` and ``mu`` are per-parameter 0-d
tensors on the parameter's device (the fast path reads all of a bucket's in one transfer),
and the fast path keeps ``ax`` in a bucket's flat buffer.

Reference: Polyak and Juditsky, "Acceleration of Stochastic Approximation by Averaging",
SIAM J. Control and Optimization, 1992; Xu, "Towards Optimal One Pass Large Scale
Learning with Averaged Stochastic Gradient Descent", 2011 (the eta schedule).
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import full, ones, zeros, zeros_like
from ..backends.dtype import get_default_dtype
from . import _validation as msg
from ._sweep import sweep
from .optimizer import Optimizer, scalar_dtype

SPARSE = "ASGD does not support sparse gradients"
_SCALARS = ("step", "eta", "mu")  # 0-d tensors on the parameter's device


class ASGD(Optimizer):
    """Averaged SGD: SGD with a decaying rate, and a running average of the iterates."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("ax",)
    _group_fallbacks = dict(foreach=None, maximize=False, differentiable=False, capturable=False)
    _host_state = ()
    _device_scalars = _SCALARS  # on the parameter's device; eta and mu load in its dtype

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        msg.check_lr(lr)
        msg.check_non_negative("weight_decay", weight_decay)
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One ASGD update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            options = dict(
                lambd=group["lambd"],
                lr=group["lr"],
                t0=group["t0"],
                alpha=group["alpha"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p, group["lr"]) for p in params]
                _single_tensor_asgd(params, grads, states, **options)
            else:
                for p in params:
                    self._init_scalars(p, group["lr"])
                split = self._split(group, params, grads, ("ax",), step=False)
                for bucket, members, member_grads, _ in split:
                    _multi_tensor_asgd(bucket, members, member_grads, self.state, **options)
        return loss

    def _init_scalars(self, p, lr) -> dict:
        """A new state's scalars, on ``p``'s device: step 0, eta = lr (rounded), mu 1."""
        state = self.state[p]
        if not state:
            dtype = scalar_dtype()
            state["step"] = zeros((), dtype=dtype, device=p.device)
            state["eta"] = full((), lr, dtype=dtype, device=p.device)
            state["mu"] = ones((), dtype=dtype, device=p.device)
        return state

    def _init_state(self, p, lr) -> dict:
        """The state of ``p``, created at its first step."""
        state = self._init_scalars(p, lr)
        if "ax" not in state:
            state["ax"] = zeros_like(p)
        return state


def _next_eta_mu(t, *, lr, lambd, alpha, t0) -> tuple:
    """eta and mu for the step after step ``t``, rounded through the default dtype as torch
    rounds them (it makes a default-dtype tensor of each, then copies it into the state)."""
    as_default = get_default_dtype().np.type
    eta = as_default(lr / ((1 + lambd * lr * t) ** alpha))
    mu = as_default(1 / max(1, t - t0))
    return eta, mu


def _single_tensor_asgd(
    params, grads, states, *, lambd, lr, t0, alpha, weight_decay, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        theta = p.data
        g = -grad.data if maximize else grad.data
        step, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"].data
        step.data += 1
        if weight_decay != 0:
            g = g + weight_decay * theta
        eta_value = eta.item()  # the state lives on the device: an explicit read, as in torch
        theta *= 1 - lambd * eta_value
        theta += -eta_value * g
        mu_value = mu.item()
        if mu_value != 1:
            ax += (theta - ax) * mu_value
        else:
            ax[...] = theta
        eta.data[...], mu.data[...] = _next_eta_mu(
            step.item(), lr=lr, lambd=lambd, alpha=alpha, t0=t0
        )


def _multi_tensor_asgd(
    bucket, params, grads, state, *, lambd, lr, t0, alpha, weight_decay, maximize
) -> None:
    """The same update as a kernel over the bucket's flat ``ax`` (see ``_sweep.py``).

    The per-parameter scalars are read in one device-to-host transfer for the bucket
    (torch reads each parameter's eta and mu separately), and the parameters that share
    eta and mu (all of them, unless some skipped steps) are swept together.
    """
    backend = params[0].backend
    xp = backend.xp
    scalars = [state[p] for p in params]
    for s in scalars:
        s["step"].data += 1
    values = backend.to_host(xp.stack([s[k].data for s in scalars for k in _SCALARS])).tolist()
    by_rate: dict = {}
    for i in range(len(params)):
        t, eta_value, mu_value = values[3 * i : 3 * i + 3]
        by_rate.setdefault((eta_value, mu_value), []).append(i)
    for (eta_value, mu_value), positions in by_rate.items():
        averaging = mu_value != 1

        def kernel(theta, grad, ax, g, work, eta_value=eta_value, mu_value=mu_value):
            if maximize:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            if weight_decay != 0:
                xp.multiply(theta, weight_decay, out=work)
                g += work
            theta *= 1 - lambd * eta_value
            g *= -eta_value
            theta += g
            if mu_value != 1:
                xp.subtract(theta, ax, out=work)
                work *= mu_value
                ax += work
            else:
                ax[...] = theta

        coefficients = (
            maximize,
            weight_decay,
            1 - lambd * eta_value,
            -eta_value,
            averaging,
            mu_value,
        )
        if len(by_rate) == 1:  # the very lists given, so that their layout stays cached
            chosen, chosen_grads = params, grads
        else:
            chosen = [params[i] for i in positions]
            chosen_grads = [grads[i] for i in positions]
        sweep(bucket, chosen, chosen_grads, ("ax",), kernel, fused=("asgd", coefficients))
    following: dict = {}  # eta and mu after step t, shared by the parameters at step t
    for i, s in enumerate(scalars):
        t = values[3 * i]
        if t not in following:
            following[t] = _next_eta_mu(t, lr=lr, lambd=lambd, alpha=alpha, t0=t0)
        s["eta"].data[...], s["mu"].data[...] = following[t]
