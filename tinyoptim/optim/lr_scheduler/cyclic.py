r"""Cyclical schedules: ``CyclicLR`` and ``OneCycleLR``, mirroring torch 2.13.

CyclicLR (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017). With
``e = last_epoch``, ``L = step_size_up + step_size_down`` and ``r = step_size_up / L``:

.. math::
    c = \lfloor 1 + e / L \rfloor, \qquad x = 1 + e / L - c, \qquad
    h = x / r \text{ if } x \le r \text{ else } (x - 1) / (r - 1) \\
    lr = base\_lr + (max\_lr - base\_lr) \, h \, s, \qquad
    m = max\_m - (max\_m - base\_m) \, h \, s

where the scale ``s`` is 1 (``triangular``), ``1 / 2^{c-1}`` (``triangular2``),
``gamma^e`` (``exp_range``), or ``scale_fn`` of ``c`` or ``e`` per ``scale_mode``.

OneCycleLR (Smith & Topin, "Super-Convergence", 2018) goes from ``max_lr / div_factor``
up to ``max_lr`` over the first ``pct_start`` of ``total_steps``, then down to
``initial_lr / final_div_factor`` (with ``three_phase``: back to ``initial_lr`` first, in
as many steps as the rise). Within a phase from step ``a`` to ``b``, ``p = (e - a)/(b - a)``:

.. math::
    \text{cos: } end + (start - end) (1 + \cos \pi p) / 2 \qquad
    \text{linear: } start + (end - start) \, p

With ``cycle_momentum`` both cycle the momentum inversely to the lr: SGD-like optimizers
through ``momentum``, Adam-like ones through ``betas[0]``. As in torch, construction
overwrites it with ``max_momentum`` and adds ``max_momentum``/``base_momentum`` group keys.
"""

from __future__ import annotations

import math
import types
from functools import partial
from typing import TYPE_CHECKING, Any

from .base import NO_MOMENTUM, LRScheduler, check_optimizer, per_group, set_momentum

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    from ..optimizer import Optimizer


class CyclicLR(LRScheduler):
    """Cycle each lr between ``base_lr`` and ``max_lr`` (and momentum the other way)."""

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: Literal["cycle", "iterations"] = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ["triangular", "triangular2", "exp_range"] and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            self.base_momentums = per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                _start_momentum(optimizer, self.max_momentums, self.base_momentums, self.use_beta1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x) -> float:
        """The amplitude's scale at cycle or iteration ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list[float]:
        self._warn_if_called_by_user()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        # scale_fn is called once per group and per use, as torch calls it: a stateful one
        # (a callable object, saved in state_dict) sees the same calls
        lrs = [
            base_lr + (max_lr - base_lr) * height * self.scale_fn(at)
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            bounds = zip(self.base_momentums, self.max_momentums, strict=True)
            momentums = [
                max_m - (max_m - base_m) * height * self.scale_fn(at) for base_m, max_m in bounds
            ]
            for group, momentum in zip(self.optimizer.param_groups, momentums, strict=True):
                set_momentum(group, momentum, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base, without the built-in scale function; a custom one as for LambdaLR."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        custom = fn is not None and not isinstance(fn, types.FunctionType)
        state["_scale_fn_custom"] = fn.__dict__.copy() if custom else None
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    # The built-in scale functions, static as torch's (subclasses and pickling rely on it).
    @staticmethod
    def _triangular_scale_fn(x: float) -> float:
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x: float) -> float:
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma: float, x: float) -> float:
        return gamma**x


class OneCycleLR(LRScheduler):
    """One cycle: warm up to ``max_lr``, then anneal far below the start, in ``total_steps``."""

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        self._schedule_phases = _phases(self.total_steps, pct_start, three_phase)
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, group_max_lr in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = group_max_lr / div_factor
                group["max_lr"] = group_max_lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            max_momentums = per_group("max_momentum", optimizer, max_momentum)
            base_momentums = per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                _start_momentum(optimizer, max_momentums, base_momentums, self.use_beta1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_by_user()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        anneal = self._anneal_func
        last = len(self._schedule_phases) - 1
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    break
                start_step = end_step
            lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                start, end = group[phase["start_momentum"]], group[phase["end_momentum"]]
                set_momentum(group, anneal(start, end, pct), self.use_beta1)
        return lrs

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        """From ``start`` (pct 0) to ``end`` (pct 1) by the chosen strategy; a subclass may
        override it, as torch's."""
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        if self._anneal_func_type == "linear":
            return self._annealing_linear(start, end, pct)
        raise ValueError(f"Unknown _anneal_func_type: {self._anneal_func_type}")

    @staticmethod
    def _annealing_cos(start: float, end: float, pct: float) -> float:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start: float, end: float, pct: float) -> float:
        return (end - start) * pct + start


def _uses_beta1(optimizer: Optimizer) -> bool:
    """Whether momentum cycles through ``betas[0]`` (else ``momentum``); neither is an error."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(NO_MOMENTUM)
    return "betas" in optimizer.defaults


def _start_momentum(optimizer: Optimizer, max_momentums, base_momentums, use_beta1) -> None:
    groups = optimizer.param_groups
    for max_m, base_m, group in zip(max_momentums, base_momentums, groups, strict=True):
        set_momentum(group, max_m, use_beta1)
        group["max_momentum"] = max_m
        group["base_momentum"] = base_m


def _total_steps(total_steps, epochs, steps_per_epoch) -> int:
    if total_steps is not None:
        if total_steps <= 0 or not isinstance(total_steps, int):
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is not None and steps_per_epoch is not None:
        if not isinstance(epochs, int) or epochs <= 0:
            raise ValueError(f"Expected positive integer epochs, but got {epochs}")
        if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
            raise ValueError(
                f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
            )
        return epochs * steps_per_epoch
    raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")


def _phases(total_steps: int, pct_start: float, three_phase: bool) -> list[dict]:
    """Each phase: the step it ends at and the group keys it anneals lr and momentum between."""
    rise_end = float(pct_start * total_steps) - 1

    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum) -> dict:
        return {
            "end_step": end_step,
            "start_lr": start_lr,
            "end_lr": end_lr,
            "start_momentum": start_momentum,
            "end_momentum": end_momentum,
        }

    rise = phase(rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if not three_phase:
        fall = phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")
        return [rise, fall]
    back_end = float(2 * pct_start * total_steps) - 2
    back = phase(back_end, "max_lr", "initial_lr", "base_momentum", "max_momentum")
    fall = phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")
    return [rise, back, fall]
