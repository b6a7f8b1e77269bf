r"""Lazy Adam for row-sparse gradients, mirroring ``torch.optim.SparseAdam``.

Only the rows :math:`I` that the (coalesced) gradient names take part in a step:

.. math::
    g_t = \pm \nabla f(\theta_{t-1})_I \quad (- \text{ if maximize; repeated rows summed}) \\
    m_{t,I} = \beta_1 m_{t-1,I} + (1 - \beta_1) g_t \\
    v_{t,I} = \beta_2 v_{t-1,I} + (1 - \beta_2) g_t^2 \\
    \theta_{t,I} = \theta_{t-1,I} - \gamma \, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \,
                   \frac{m_{t,I}}{\sqrt{v_{t,I}} + \epsilon}

gamma = lr, (beta_1, beta_2) = betas, epsilon = eps. Rows absent from the gradient keep
their parameter values and both moments: their moments do not decay ("lazy" Adam).

Where torch departs from Adam: epsilon is added to sqrt(v) *before* the bias correction is
applied (the paper's "epsilon hat" form, unlike ``Adam``); the moments move as
``m + (g - m)(1 - beta_1)``, which equals beta_1 m + (1 - beta_1) g in exact arithmetic
only; the step counter is a Python int, and it counts a step even when the gradient has
no rows. There is no weight decay, amsgrad, foreach or fused variant, so this file keeps
only the reference update.

Reference: Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..autograd.factories import zeros_like
from . import _validation as msg
from .optimizer import Optimizer

DENSE = "SparseAdam does not support dense gradients, please consider Adam instead"


class SparseAdam(Optimizer):
    """Adam over the rows a row-sparse gradient touches (``nn.Embedding(sparse=True)``)."""

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        msg.check_lr(lr, "0 < lr")  # SparseAdam alone refuses lr = 0 (and eps = 0)
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        msg.check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        sparse_params = [
            [g, i]
            for g, group in enumerate(self.param_groups)
            for i, p in enumerate(group["params"])
            if p.is_sparse
        ]
        if sparse_params:
            raise ValueError(
                f"Sparse params at indices {sparse_params}: SparseAdam requires dense "
                "parameter tensors"
            )

    @no_grad()
    def step(self, closure=None):
        """One lazy Adam update of the rows each row-sparse gradient names."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, None) for group in self.param_groups]
        if any(not g.is_sparse for _, grads in work for g in grads):
            raise RuntimeError(DENSE)  # before any state moves (API.md deviation 5)
        for group, (params, grads) in zip(self.param_groups, work):
            beta1, beta2 = group["betas"]
            states = [self._init_state(p) for p in params]
            _single_tensor_sparse_adam(
                params,
                grads,
                states,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                maximize=group["maximize"],
            )
        return loss

    def _init_state(self, p) -> dict:
        """The state of ``p``, created at its first step: dense zero moments, step 0."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        return state


def _single_tensor_sparse_adam(params, grads, states, *, lr, beta1, beta2, eps, maximize):
    """Reference update: one parameter at a time, touching only the gradient's rows."""
    for p, grad, state in zip(params, grads, states):
        state["step"] += 1  # counted even when the gradient turns out to be empty
        t = state["step"]
        grad = (grad * -1 if maximize else grad).coalesce()
        rows, g = grad.indices, grad.values
        if g.size == 0:
            continue
        xp = p.backend.xp
        m, v, theta = state["exp_avg"].data, state["exp_avg_sq"].data, p.data
        # m + (g - m)(1 - beta_1), written as torch writes it: the new rows are
        # old + update, and the same sum is reused as the numerator.
        m_old = m[rows]
        m_update = (g - m_old) * (1 - beta1)
        v_old = v[rows]
        v_update = (g * g - v_old) * (1 - beta2)
        m_new = m_update + m_old
        v_new = v_update + v_old
        m[rows] = m_new
        v[rows] = v_new
        denom = xp.sqrt(v_new) + eps
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = lr * math.sqrt(bias_correction2) / bias_correction1
        theta[rows] = theta[rows] + -step_size * (m_new / denom)
