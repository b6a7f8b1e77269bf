r"""Schedulers made of schedulers: ``ChainedScheduler`` and ``SequentialLR``, as in torch 2.13.

.. math::
    \text{ChainedScheduler:}\quad lr_e = lr_{e-1} \cdot \prod_k r_k(e) \\
    \text{SequentialLR:}\quad lr_e = S_i(e - m_{i-1}), \quad i = \#\{m_j \le e\}

ChainedScheduler steps every child in order on each step, so chainable children compose
(their ratios ``r_k`` multiply). SequentialLR hands the optimizer to one child at a time,
switching at each milestone ``m``; a child that takes over starts again from its own
epoch 0 (its closed form when it has one). At construction SequentialLR puts every group's
lr back to ``initial_lr``, takes back the construction step of every child, and redoes
only the first child's.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from .base import LRScheduler, group_values
from .plateau import ReduceLROnPlateau

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..optimizer import Optimizer


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from ``milestones[i-1]`` (epoch 0 for the first) onwards."""

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler, but got no scheduler."
            )
        _check_children(self, schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Take back one epoch from every scheduler below this one (their construction step)."""
        sched = self if sched is None else sched
        if hasattr(sched, "_schedulers"):
            for child in sched._schedulers:
                self.recursive_undo(child)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self) -> None:
        """Step the active child, or restart the one whose milestone is this epoch."""
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """As the base, with each child's ``state_dict()`` under ``_schedulers``."""
        return _state_with_children(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_with_children(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step every scheduler in ``schedulers``, in order, on each step."""

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler to be chained, "
                "but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(self, schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:
        """Step every child in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = group_values(self._schedulers[-1].optimizer, "lr")

    def state_dict(self) -> dict[str, Any]:
        """As the base, with each child's ``state_dict()`` under ``_schedulers``."""
        return _state_with_children(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_with_children(self, state_dict)


def _check_children(parent: LRScheduler, schedulers, optimizer) -> None:
    name = type(parent).__name__
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at "
                f"index {i} in the given schedulers sequence."
            )
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {i} has "
                f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}."
            )


def _state_with_children(parent: LRScheduler) -> dict[str, Any]:
    skip = ("optimizer", "_schedulers")
    state = {k: v for k, v in parent.__dict__.items() if k not in skip}
    state["_schedulers"] = [child.state_dict() for child in parent._schedulers]
    return state


def _load_with_children(parent: LRScheduler, state_dict: dict[str, Any]) -> None:
    children = state_dict.pop("_schedulers")
    parent.__dict__.update(state_dict)
    state_dict["_schedulers"] = children  # the caller's dict is left as it was
    for child, state in zip(parent._schedulers, children):
        child.load_state_dict(state)
