r"""Stochastic gradient descent with momentum, mirroring ``torch.optim.SGD``.

.. math::
    g_t = \pm \nabla f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (- \text{ if maximize}) \\
    b_t = g_t \text{ at } t = 1, \text{ else } \mu b_{t-1} + (1 - \tau) g_t \\
    \theta_t = \theta_{t-1} - \gamma \, (g_t + \mu b_t \text{ if nesterov, else } b_t)

gamma = lr, mu = momentum, tau = dampening, lambda = weight_decay. As in torch (and
unlike Sutskever et al.), lr scales the buffer's output, and the first buffer is g_1
itself, undamped. Without momentum there is no state at all.

Row-sparse gradients (``nn.Embedding(sparse=True)``) are accepted when weight_decay is 0;
the momentum buffer then stays row-sparse too, as torch's does.

Reference: Sutskever, Martens, Dahl and Hinton, "On the importance of initialization and
momentum in deep learning", ICML 2013.
"""

from __future__ import annotations

from ..autograd import Tensor, no_grad
from . import _validation as msg
from ._sweep import sweep
from .optimizer import Optimizer, required

SPARSE_WITH_DECAY = "add(sparse, dense) is not supported. Use add(dense, sparse) instead."


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum and Nesterov momentum)."""

    _param_shaped_state = ("momentum_buffer",)
    _group_fallbacks = dict(
        nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False
    )

    def __init__(
        self,
        params,
        lr=required,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr is not required:
            msg.check_lr(lr, "lr >= 0")
        if momentum < 0.0:  # torch's tests here let NaN through
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        msg.check_unsupported_flags(differentiable=differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        msg.check_fused(self, fused, foreach, kernel="sgd")

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._call_closure(closure)
        work = [self._with_grads(group, _sparse_error(group)) for group in self.param_groups]
        for group, (params, grads) in zip(self.param_groups, work):
            options = dict(
                lr=group["lr"],
                momentum=group["momentum"],
                dampening=group["dampening"],
                weight_decay=group["weight_decay"],
                nesterov=group["nesterov"],
                maximize=group["maximize"],
            )
            momentum = group["momentum"]
            if any(g.is_sparse for g in grads):  # row-sparse grads have their own update
                for p, g in zip(params, grads):  # without momentum there is no state at all
                    if g.is_sparse:
                        _sparse_sgd(p, g, self.state[p] if momentum != 0 else {}, **options)
                dense = [(p, g) for p, g in zip(params, grads) if not g.is_sparse]
                if not dense:
                    continue
                params, grads = map(list, zip(*dense))
            elif not params:
                continue
            if self._per_parameter(group):
                states = [self.state[p] if momentum != 0 else None for p in params]
                _single_tensor_sgd(params, grads, states, **options)
            elif momentum == 0:  # no state: the buckets only lay the pieces out
                for bucket, members, member_grads, _ in self._split(
                    group, params, grads, (), step=False
                ):
                    _multi_tensor_plain_sgd(bucket, members, member_grads, **options)
            else:
                split = self._split(group, params, grads, ("momentum_buffer",), step=False)
                for bucket, members, member_grads, first in split:
                    _multi_tensor_sgd(bucket, members, member_grads, self.state, first, **options)
        return loss


def _single_tensor_sgd(
    params, grads, states, *, lr, momentum, dampening, weight_decay, nesterov, maximize
) -> None:
    """Reference update: one parameter at a time, in the docstring's order.

    As torch, it reads every buffer before the loop and stores them after it, which only
    shows for a parameter listed twice: on its first step each listing starts a buffer of
    its own, and the last one is kept.
    """
    buffers = [state.get("momentum_buffer") if momentum != 0 else None for state in states]
    for i, (p, grad) in enumerate(zip(params, grads)):
        g = -grad.data if maximize else grad.data
        if weight_decay != 0:
            g = g + weight_decay * p.data
        if momentum != 0:
            buf = buffers[i]
            if buf is None:
                buf = buffers[i] = Tensor._make(p.backend.asarray(g), p.device)
            else:
                b = buf.data
                b *= momentum
                b += (1 - dampening) * g
            g = g + momentum * buf.data if nesterov else buf.data
        p.data += -lr * g
    if momentum != 0:
        for state, buf in zip(states, buffers):
            state["momentum_buffer"] = buf


def _multi_tensor_sgd(
    bucket,
    params,
    grads,
    state,
    first,
    *,
    lr,
    momentum,
    dampening,
    weight_decay,
    nesterov,
    maximize,
) -> None:
    """The momentum update as a kernel over the bucket's flat buffers (see ``_sweep.py``).

    ``first`` lists the parameters whose (zero-filled) buffer is new: on their first step
    the buffer becomes g itself, which ``momentum = dampening = 0`` gives exactly.
    """
    xp = params[0].backend.xp
    if first:
        fresh = {id(p) for p in first}
        new = [i for i, p in enumerate(params) if id(p) in fresh]
        old = [i for i, p in enumerate(params) if id(p) not in fresh]
        parts = [
            ([params[i] for i in part], [grads[i] for i in part], mu, tau)
            for part, mu, tau in ((new, 0.0, 0.0), (old, momentum, dampening))
            if part
        ]
    else:  # the very lists given, so that their layout stays cached (_sweep.py)
        parts = [(params, grads, momentum, dampening)]
    for chosen, chosen_grads, mu, tau in parts:

        def kernel(theta, grad, buf, g, work, mu=mu, tau=tau):
            if maximize:
                xp.negative(grad, out=g)
            else:
                g[...] = grad
            if weight_decay != 0:
                xp.multiply(theta, weight_decay, out=work)
                g += work
            buf *= mu
            xp.multiply(g, 1 - tau, out=work)
            buf += work
            if nesterov:
                xp.multiply(buf, momentum, out=work)
                g += work
            else:
                g[...] = buf
            g *= -lr
            theta += g

        scalars = (maximize, weight_decay, mu, 1 - tau, nesterov, momentum, -lr)
        sweep(
            bucket,
            chosen,
            chosen_grads,
            ("momentum_buffer",),
            kernel,
            fused=("sgd", scalars),
        )


def _multi_tensor_plain_sgd(
    bucket, params, grads, *, lr, momentum, dampening, weight_decay, nesterov, maximize
) -> None:
    """SGD without momentum over a bucket that holds no state, only the layout of its
    members' pieces: one compiled call for all of them where the backend has the kernel."""
    xp = params[0].backend.xp

    def kernel(theta, grad, g, work):
        if weight_decay == 0:  # -lr * (-grad) is lr * grad exactly
            xp.multiply(grad, lr if maximize else -lr, out=g)
        else:
            xp.multiply(grad, -1 if maximize else 1, out=g)
            xp.multiply(theta, weight_decay, out=work)
            g += work
            g *= -lr
        theta += g

    scalars = (maximize, weight_decay, -lr)
    sweep(bucket, params, grads, (), kernel, fused=("sgd_plain", scalars))


def _sparse_sgd(
    p, grad, state, *, lr, momentum, dampening, weight_decay, nesterov, maximize
) -> None:
    """SGD on a row-sparse gradient: only the rows it names move."""
    g = grad.coalesce()
    g = g * -1 if maximize else g
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = g if buf is None else (buf * momentum).concat(g * (1 - dampening)).coalesce()
        state["momentum_buffer"] = buf
        g = g.concat(buf * momentum).coalesce() if nesterov else buf
    (g * -lr).add_to(p.data)


def _sparse_error(group) -> str | None:
    """What a row-sparse gradient in ``group`` raises: fused kernels take none (torch's
    message), and weight decay needs a dense gradient; otherwise nothing."""
    if group["fused"]:
        return msg.FUSED_SPARSE["SGD"]
    return SPARSE_WITH_DECAY if group["weight_decay"] != 0 else None
