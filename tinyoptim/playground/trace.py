"""Run an optimizer on a 2-D function and keep its path; preview an lr schedule.

``trace`` is the whole training loop of a one-point "model": a 2-element parameter, a
closure that evaluates the function and its gradient, and ``optimizer.step(closure)``.
Passing the closure to every optimizer, not only LBFGS, keeps one loop for all of them:
optimizers other than LBFGS call it once per step, as a hand-written loop would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..autograd import Tensor, no_grad
from ..autograd.factories import tensor, zeros
from ..autograd.functional import stack
from ..optim import SGD, Optimizer

__all__ = ["lr_schedule_preview", "trace"]


def trace(
    optimizer_cls: type[Optimizer],
    fn: Callable[[Tensor], Tensor],
    x0: Sequence[float],
    steps: int,
    *,
    dtype="float64",
    device=None,
    **hp,
) -> Tensor:
    """Minimise ``fn`` from ``x0`` with ``optimizer_cls(**hp)`` and return the path.

    Args:
        optimizer_cls: an optimizer class, e.g. ``tinyoptim.optim.Adam``.
        fn: a function of a 2-element tensor returning a scalar tensor
            (see :mod:`tinyoptim.playground.functions`).
        x0: the start point, two numbers.
        steps: how many times to call ``optimizer.step(closure)``.
        dtype, device: of the parameter (float64 by default, on the default device).
        **hp: the optimizer's hyperparameters, e.g. ``lr=0.01``.

    Returns:
        A ``(steps + 1, 2)`` tensor of ``dtype`` on the parameter's device: row 0 is
        ``x0`` and row ``k`` the point after step ``k``. Use ``.tolist()`` or ``.numpy()``
        to read it on the host. LBFGS runs up to ``max_iter`` iterations inside one step;
        its row ``k`` is where step ``k`` ended.

    >>> from tinyoptim.optim import SGD
    >>> from tinyoptim.playground import quadratic
    >>> path = trace(SGD, quadratic, [1.0, 1.0], steps=2, lr=0.1)
    >>> path.shape, path[-1].tolist()
    ((3, 2), [0.81, 0.0])
    """
    x = tensor(list(x0), dtype=dtype, device=device, requires_grad=True)
    if tuple(x.shape) != (2,):
        raise ValueError(f"x0 must hold two numbers, got shape {tuple(x.shape)}")
    optimizer = optimizer_cls([x], **hp)

    def closure():
        optimizer.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    path = [x.detach().clone()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(x.detach().clone())
    return stack(path)


def lr_schedule_preview(
    scheduler_factory: Callable[[Optimizer], object],
    steps: int,
    *,
    lr: float = 0.1,
    metrics: Sequence[float] | None = None,
) -> list[float]:
    """The learning rate a scheduler gives at each of ``steps`` steps, without training.

    A throwaway SGD over a dummy parameter (with no gradient, so its steps change
    nothing) starts at ``lr``; ``scheduler_factory(optimizer)`` builds the scheduler. The
    loop is the usual one: read the lr, ``optimizer.step()``, ``scheduler.step()``.

    Args:
        scheduler_factory: e.g. ``lambda opt: StepLR(opt, step_size=10, gamma=0.5)``.
        steps: how many lrs to return.
        lr: the optimizer's initial lr (the schedulers' ``base_lrs``).
        metrics: for ``ReduceLROnPlateau``, the metric passed to ``scheduler.step`` at
            each step (at least ``steps`` values).

    Returns:
        ``steps`` floats: the lr of the (single) parameter group used by each step.

    >>> from tinyoptim.optim.lr_scheduler import StepLR
    >>> lr_schedule_preview(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 5, lr=1.0)
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    dummy = zeros(1, requires_grad=True)
    optimizer = SGD([dummy], lr=lr)
    scheduler = scheduler_factory(optimizer)
    if metrics is not None and len(metrics) < steps:
        raise ValueError(f"metrics holds {len(metrics)} values; {steps} steps need {steps}")
    lrs = []
    with no_grad():
        for i in range(steps):
            lrs.append(float(optimizer.param_groups[0]["lr"]))
            optimizer.step()
            if metrics is None:
                scheduler.step()
            else:
                scheduler.step(metrics[i])
    return lrs
