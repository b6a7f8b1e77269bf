"""``tinyoptim.History``: what an optimizer did at each step, recorded by its step hooks.

Attach it once and train as usual; every ``optimizer.step()`` appends one record:

- ``loss``: the closure's loss when ``step(closure)`` was given one (its first evaluation,
  the value ``step`` returns), else the value passed to :meth:`History.log_loss`, else None;
- ``lr``: each parameter group's lr as the step used it (a tuple, one per group);
- ``grad_norm``: the global L2 norm of all gradients after the step (for closure
  optimizers such as LBFGS, of the last gradient the closure computed);
- ``step_time``: seconds spent inside ``step``.

>>> import tinyoptim
>>> from tinyoptim.optim import SGD
>>> w = tinyoptim.tensor([3.0, 4.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1)
>>> history = tinyoptim.History(opt)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> _ = opt.step()
>>> history.log_loss(loss)
>>> len(history), history.loss, history.lr, history.grad_norm
(1, [25.0], [(0.1,)], [10.0])

Reading the loss and the gradient norm copies one number to the host per step (a sync on
the GPU); pass ``grad_norm=False`` to skip the norm.
"""

from __future__ import annotations

import math
import os
import time

from .autograd import Tensor, no_grad
from .autograd.sparse import SparseGrad
from .optim import Optimizer

__all__ = ["History"]

NO_MATPLOTLIB = (
    "History.plot needs matplotlib, which is not installed: "
    'pip install "tinyoptim[plot]" (or pip install -e ".[plot]" in a checkout)'
)


class History:
    """Per-step records of loss, lr per group, gradient norm and step time.

    Args:
        optimizer: attach to it now (else call :meth:`attach` later).
        grad_norm: record the global gradient norm (one host copy per step).
    """

    def __init__(self, optimizer: Optimizer | None = None, *, grad_norm: bool = True):
        self.loss: list[float | None] = []
        self.lr: list[tuple[float, ...]] = []
        self.grad_norm: list[float | None] = []
        self.step_time: list[float] = []
        self._track_norm = grad_norm
        self._handles: list = []
        self._pending_loss: float | None = None
        self._closure_loss: float | None = None
        self._started = 0.0
        self._step_lrs: tuple[float, ...] = ()
        if optimizer is not None:
            self.attach(optimizer)

    def __len__(self) -> int:
        return len(self.step_time)

    def __repr__(self) -> str:
        return f"History({len(self)} steps)"

    def attach(self, optimizer: Optimizer) -> History:
        """Record every later ``optimizer.step()``; returns ``self``."""
        self._handles.append(optimizer.register_step_pre_hook(self._before_step))
        self._handles.append(optimizer.register_step_post_hook(self._after_step))
        return self

    def detach(self) -> None:
        """Stop recording (the records stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def log_loss(self, loss: Tensor | float) -> None:
        """Record ``loss`` for a step run without a closure.

        Called after ``optimizer.step()`` it fills that step's record; called before it
        (or before the first step), the value goes to the next step.
        """
        value = float(loss.item() if isinstance(loss, Tensor) else loss)
        if self.loss and self.loss[-1] is None:
            self.loss[-1] = value
        else:
            self._pending_loss = value

    def as_dict(self) -> dict[str, list]:
        """The records as plain lists, e.g. for ``json.dump``."""
        return {
            "loss": list(self.loss),
            "lr": [list(lrs) for lrs in self.lr],
            "grad_norm": list(self.grad_norm),
            "step_time": list(self.step_time),
        }

    def plot(self, path: str | os.PathLike | None = None, *, dpi: int = 100):
        """Loss, lr, gradient norm and step time against the step, in four panels.

        Returns the ``matplotlib.figure.Figure`` (shown by a notebook) and saves it as PNG
        when ``path`` is given. Needs matplotlib.
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ModuleNotFoundError(NO_MATPLOTLIB) from exc
        figure = Figure(figsize=(9.0, 5.6))
        (loss_ax, lr_ax), (norm_ax, time_ax) = figure.subplots(2, 2, sharex=True)
        steps = range(1, len(self) + 1)
        _plot_series(loss_ax, steps, self.loss, "loss", log=True)
        for g in range(len(self.lr[0]) if self.lr else 0):
            lr_ax.plot(steps, [lrs[g] for lrs in self.lr], lw=1.2, label=f"group {g}")
        lr_ax.set_ylabel("lr")
        if self.lr and len(self.lr[0]) > 1:
            lr_ax.legend(fontsize=8)
        _plot_series(norm_ax, steps, self.grad_norm, "grad norm", log=True)
        _plot_series(time_ax, steps, [1e3 * t for t in self.step_time], "step time (ms)")
        for axes in (norm_ax, time_ax):
            axes.set_xlabel("step")
        figure.tight_layout()
        if path is not None:
            figure.savefig(path, dpi=dpi)
        return figure

    # -- the hooks ---------------------------------------------------------------------

    def _before_step(self, optimizer, args, kwargs):
        self._step_lrs = tuple(float(group["lr"]) for group in optimizer.param_groups)
        self._closure_loss = None
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
        self._started = time.perf_counter()
        if closure is None:
            return None
        wrapped = self._recording(closure)
        if "closure" in kwargs:
            return args, {**kwargs, "closure": wrapped}
        return (args[0], wrapped, *args[2:]), kwargs

    def _recording(self, closure):
        """``closure``, wrapped to keep the loss of its first call in this step."""

        def wrapped():
            loss = closure()
            if self._closure_loss is None and loss is not None:
                self._closure_loss = float(loss.item() if isinstance(loss, Tensor) else loss)
            return loss

        return wrapped

    def _after_step(self, optimizer, args, kwargs):
        self.step_time.append(time.perf_counter() - self._started)
        loss = self._closure_loss if self._closure_loss is not None else self._pending_loss
        self._pending_loss = self._closure_loss = None
        self.loss.append(loss)
        self.lr.append(self._step_lrs)
        self.grad_norm.append(_global_grad_norm(optimizer) if self._track_norm else None)


def _global_grad_norm(optimizer: Optimizer) -> float:
    """``sqrt(Σ ||g||²)`` over every gradient of every group (the values of sparse ones)."""
    total = None
    with no_grad():
        for group in optimizer.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                values = grad.coalesce().values if isinstance(grad, SparseGrad) else grad
                if not isinstance(values, Tensor):
                    values = Tensor._make(values, p.device, False)
                square = (values.double() ** 2).sum()
                total = square if total is None else total + square
    return 0.0 if total is None else math.sqrt(total.item())


def _plot_series(axes, steps, values, label: str, log: bool = False) -> None:
    points = [(s, v) for s, v in zip(steps, values) if v is not None]
    if points:
        axes.plot([s for s, _ in points], [v for _, v in points], lw=1.2)
        if log and all(v > 0 for _, v in points):
            axes.set_yscale("log")
    axes.set_ylabel(label)
