r"""Resilient backpropagation, mirroring ``torch.optim.Rprop``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) \quad (- \text{ if maximize}) \\
    s = \operatorname{sign}(g_t \, g_{t-1}), \qquad
    \eta = \eta_+ \text{ where } s > 0, \; \eta_- \text{ where } s < 0, \; 1 \text{ where } s = 0 \\
    \Delta_t = \operatorname{clamp}(\Delta_{t-1} \eta, \Delta_{\min}, \Delta_{\max}),
    \qquad \Delta_0 = \gamma \\
    g_t \leftarrow 0 \text{ where } s < 0 \\
    \theta_t = \theta_{t-1} - \operatorname{sign}(g_t) \, \Delta_t

gamma = lr, (eta_-, eta_+) = etas, (Delta_min, Delta_max) = step_sizes; Delta is the
state ``step_size`` and the previous gradient g_{t-1} the state ``prev``. This is the
variant without weight backtracking (iRprop-): where the sign flips, the step shrinks
and that gradient entry is forgotten, so the next step treats it as s = 0. Where torch
departs from the paper: lr only seeds ``step_size`` when the state is created, so
changing lr afterwards has no effect; the flipped entries are found by comparing the
factor with eta_- in the parameter's dtype; and step_sizes is not validated (with
Delta_min > Delta_max every step size becomes Delta_max).

Reference: Riedmiller and Braun, "A Direct Adaptive Method for Faster Backpropagation
Learning: The RPROP Algorithm", ICNN 1993; Igel and Hüsken, "Improving the Rprop
Learning Algorithm", 2000 (iRprop-).
"""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.factories import full_like, zeros_like
from . import _validation as msg
from ._buckets import advance
from ._sweep import sweep
from .optimizer import Optimizer, step_counter

SPARSE = "Rprop does not support sparse gradients"


class Rprop(Optimizer):
    """Rprop: per-element step sizes adapted from the signs of successive gradients."""

    _scalars_become_tensors = True  # torch's __setstate__ makes a saved number a tensor
    _param_shaped_state = ("prev", "step_size")
    _group_fallbacks = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        msg.check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        msg.check_unsupported_flags(capturable, differentiable)
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One Rprop update of every parameter that has a gradient."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, SPARSE) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            if not params:
                continue
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            options = dict(
                step_size_min=step_size_min,
                step_size_max=step_size_max,
                etaminus=etaminus,
                etaplus=etaplus,
                maximize=group["maximize"],
            )
            if self._per_parameter(group):
                states = [self._init_state(p, group["lr"]) for p in params]
                _single_tensor_rprop(params, grads, states, **options)
            else:
                new = [p for p in params if not self.state.get(p)]
                for p in new:
                    self._init_step(p)
                keys = ("prev", "step_size")
                fill = {"step_size": group["lr"]}
                for bucket, members, member_grads, _ in self._split(
                    group, params, grads, keys, fill
                ):
                    # The bucket fills with the lr it was made with; torch uses today's lr.
                    joined = {id(p) for p in members}
                    for p in new:
                        if id(p) in joined:
                            self.state[p]["step_size"].data[...] = group["lr"]
                    _multi_tensor_rprop(bucket, members, member_grads, self.state, **options)
        return loss

    def _init_step(self, p) -> dict:
        """A new state starts with its step counter (torch's key order)."""
        state = self.state[p]
        if not state:
            state["step"] = step_counter()
        return state

    def _init_state(self, p, lr) -> dict:
        """The state of ``p``, created at its first step: ``step_size`` filled with lr."""
        state = self._init_step(p)
        if "prev" not in state:
            state["prev"] = zeros_like(p)
            state["step_size"] = full_like(p, lr)
        return state


def _single_tensor_rprop(
    params, grads, states, *, step_size_min, step_size_max, etaminus, etaplus, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order."""
    for p, grad, state in zip(params, grads, states):
        xp = p.backend.xp
        g = -grad.data if maximize else grad.data
        prev, step_size = state["prev"].data, state["step_size"].data
        state["step"].data += 1
        factor = _sign(xp, g * prev)
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        g = xp.array(g)  # a copy
        g[factor == factor.dtype.type(etaminus)] = 0  # torch compares in the array's dtype
        p.data -= _sign(xp, g) * step_size
        prev[...] = g


def _sign(xp, x):
    """torch's sign: -1, 0 or 1, and 0 for NaN (NumPy's gives NaN); always an array."""
    result = xp.asarray(xp.greater(x, 0), dtype=x.dtype)  # an array even for a 0-d x
    result -= xp.less(x, 0)
    return result


def _multi_tensor_rprop(
    bucket, params, grads, state, *, step_size_min, step_size_max, etaminus, etaplus, maximize
) -> None:
    """The same update as a kernel over the bucket's flat state (see ``_sweep.py``).

    The three-way choice of factor is made without boolean masks, from the comparisons
    s > 0 and s < 0 written as 0s and 1s: the factor is built by multiplying and adding
    0s and 1s, which is exact, so it equals eta_+, eta_- or 1 bit for bit (``eta_+ - 1``
    is exact too, for eta_+ > 1). A NaN s compares false both ways, so it counts as 0, as
    torch's sign of NaN does.
    """
    xp = params[0].backend.xp
    dtype = params[0].data.dtype.type
    advance(bucket, params, grads)  # count the step; Rprop's update does not depend on it
    etaplus_minus_one = dtype(etaplus) - 1  # in the arrays' dtype, so that 1 + it is eta_+

    def kernel(theta, grad, prev, step_size, g, factor, keep):
        if maximize:
            xp.negative(grad, out=g)
        else:
            g[...] = grad
        xp.multiply(g, prev, out=factor)  # s: the sign of g_t g_{t-1} is that of s
        xp.less(factor, 0, out=keep)  # 1 where s < 0, else 0
        xp.greater(factor, 0, out=factor)  # 1 where s > 0, else 0
        factor *= etaplus_minus_one
        factor += 1  # eta_+ where s > 0, else 1
        step_size *= factor
        xp.multiply(keep, etaminus, out=factor)
        xp.subtract(1, keep, out=keep)  # 0 where s < 0, else 1
        factor += keep  # eta_- where s < 0, else 1
        step_size *= factor
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        # forget g where the sign flipped: g clipped to [0, 0] there (an infinite g too,
        # which a product with 0 would make NaN), to [-inf, inf] elsewhere
        xp.subtract(1, keep, out=factor)
        xp.divide(keep, factor, out=factor)  # inf where kept (1 / 0), else 0 (0 / 1)
        xp.minimum(g, factor, out=g)
        xp.subtract(0, factor, out=factor)  # -inf, or +0.0 so that a flipped g is +0.0
        xp.maximum(g, factor, out=g)
        prev[...] = g
        xp.greater(g, 0, out=factor)
        xp.less(g, 0, out=keep)
        factor -= keep  # the sign of g, 0 for NaN
        factor *= step_size
        theta -= factor

    scalars = (maximize, etaplus, etaminus, step_size_min, step_size_max, 0.0, 1.0)
    keys = ("prev", "step_size")
    sweep(bucket, params, grads, keys, kernel, work=3, fused=("rprop", scalars))
