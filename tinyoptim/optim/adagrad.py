r"""Adagrad, mirroring ``torch.optim.Adagrad``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (- \text{ if maximize}) \\
    \tilde\gamma_t = \gamma / (1 + (t - 1) \eta) \\
    s_t = s_{t-1} + g_t^2, \quad s_0 = \tau \\
    \theta_t = \theta_{t-1} - \tilde\gamma_t \, \frac{g_t}{\sqrt{s_t} + \epsilon}

gamma = lr, eta = lr_decay, lambda = weight_decay, tau = initial_accumulator_value,
epsilon = eps; s is ``sum``. As in torch: epsilon is added outside the square root, and
the lr decay starts at the second step. Unlike every other optimizer, the state is
created in the constructor, for every parameter of the groups passed to it, with ``sum``
filled with the constructor's initial_accumulator_value: a per-group value is ignored,
and so it is for groups added later (their state is made at their first step, from the
defaults).

Row-sparse gradients (``nn.Embedding(sparse=True)``) are accepted when weight_decay is 0:
the gradient's repeated rows are summed first (the update is not linear in g), then only
the rows it names change, in ``sum`` and in the parameter.

Reference: Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
Stochastic Optimization", JMLR 12, 2011.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import full_like
from ..autograd.sparse import SparseGrad
from . import _validation as msg
from ._buckets import advance
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE_WITH_DECAY = "weight_decay option is not compatible with sparse gradients"


class Adagrad(Optimizer):
    """Adagrad: per-coordinate step sizes from the sum of all squared gradients."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("sum",)
    _group_fallbacks = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        msg.check_lr(lr)
        msg.check_non_negative("lr_decay", lr_decay)
        msg.check_non_negative("weight_decay", weight_decay)
        msg.check_non_negative("initial_accumulator_value", initial_accumulator_value)
        msg.check_epsilon(eps)
        msg.check_unsupported_flags(differentiable=differentiable)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        msg.check_fused(self, fused, foreach, kernel="adagrad")
        for group in self.param_groups:  # eager, and from the constructor's value (torch)
            for p in group["params"]:
                self.state[p] = self._new_state(p, group["fused"])

    @no_grad()
    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, _sparse_error(group)) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            options = dict(
                lr=group["lr"],
                lr_decay=group["lr_decay"],
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                maximize=group["maximize"],
            )
            if any(g.is_sparse for g in grads):  # row-sparse grads (weight_decay is 0 here)
                sparse_options = {k: v for k, v in options.items() if k != "weight_decay"}
                for p, g in zip(params, grads):
                    if g.is_sparse:
                        _sparse_adagrad(p, g, self._init_state(p, group["fused"]), **sparse_options)
                dense = [(p, g) for p, g in zip(params, grads) if not g.is_sparse]
                if not dense:
                    continue
                params, grads = map(list, zip(*dense))  # new lists: no plan this step
            elif not params:
                continue
            if self._per_parameter(group):
                states = [self._init_state(p, group["fused"]) for p in params]
                _single_tensor_adagrad(params, grads, states, **options)
            else:
                fill = {"sum": self.defaults["initial_accumulator_value"]}
                self._over_buckets(
                    group, params, grads, ("sum",), _multi_tensor_adagrad, options, fill=fill
                )
        return loss

    def _init_state(self, p, fused) -> dict:
        """The state of ``p``: made in the constructor, or here for a later group's ``p``."""
        state = self.state[p]
        if not state:
            state.update(self._new_state(p, fused))
        return state

    def _new_state(self, p, fused) -> dict:
        value = self.defaults["initial_accumulator_value"]
        return {"step": step_counter(fused), "sum": full_like(p, value)}


def _single_tensor_adagrad(params, grads, states, *, lr, lr_decay, eps, weight_decay, maximize):
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp = p.backend.xp
        theta = p.data
        step = state["step"]
        step.data += 1
        t = step.item()
        g = -grad.data if maximize else grad.data
        if weight_decay != 0:
            g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = state["sum"].data
        s += g * g
        std = xp.sqrt(s)
        std += eps
        theta += (-clr * g) / std  # torch's addcdiv: (value * g) / std


def _sparse_adagrad(p, grad, state, *, lr, lr_decay, eps, maximize) -> None:
    """Adagrad on a row-sparse gradient: only the rows it names move."""
    xp = p.backend.xp
    step = state["step"]
    step.data += 1
    t = step.item()
    g = grad.coalesce()  # unique rows: the update is not linear in g
    if maximize:
        g = g * -1
    clr = lr / (1 + (t - 1) * lr_decay)
    rows, values = g.indices, g.values
    s = state["sum"].data
    SparseGrad(rows, values * values, g.shape, g.device, True).add_to(s)
    std = xp.sqrt(s[rows])
    std += eps
    SparseGrad(rows, (values / std) * -clr, g.shape, g.device, True).add_to(p.data)


def _multi_tensor_adagrad(
    bucket, params, grads, state, *, lr, lr_decay, eps, weight_decay, maximize
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``)."""
    xp = params[0].backend.xp
    for t, chosen, chosen_grads in advance(bucket, params, grads):
        clr = lr / (1 + (t - 1) * lr_decay)

        def kernel(theta, grad, s, g, work, clr=clr):
            if maximize:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            if weight_decay != 0:
                xp.multiply(theta, weight_decay, out=work)
                g += work
            xp.multiply(g, g, out=work)
            s += work
            xp.sqrt(s, out=work)
            work += eps
            g *= -clr
            g /= work
            theta += g

        scalars = (maximize, weight_decay, eps, -clr)
        sweep(bucket, chosen, chosen_grads, ("sum",), kernel, fused=("adagrad", scalars))


def _sparse_error(group) -> str | None:
    """What a row-sparse gradient in ``group`` raises: fused kernels take none (torch's
    message), and weight decay needs a dense gradient; otherwise nothing."""
    if group["fused"]:
        return msg.FUSED_SPARSE["Adagrad"]
    return SPARSE_WITH_DECAY if group["weight_decay"] != 0 else None
