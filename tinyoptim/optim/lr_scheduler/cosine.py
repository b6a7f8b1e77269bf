r"""Cosine annealing, with and without warm restarts, mirroring torch 2.13.

.. math::
    \text{CosineAnnealingLR:}\quad lr_e = \eta_{min} + (base - \eta_{min})
        \frac{1 + \cos(\pi e / T_{max})}{2} \\
    \text{CosineAnnealingWarmRestarts:}\quad lr = \eta_{min} + (base - \eta_{min})
        \frac{1 + \cos(\pi T_{cur} / T_i)}{2}

``base`` is a group's ``initial_lr``. CosineAnnealingLR does not restart: past ``T_max`` the
lr climbs back, with period ``2 T_max``. torch computes it chainably, as the ratio of two
consecutive cosines applied to ``lr - eta_min``; where that ratio is 0/0 (the lr sits at
``eta_min``, ``e - 1 = T_max`` modulo ``2 T_max``) it adds the rise
``(base - eta_min)(1 - cos(pi / T_max)) / 2`` instead. The closed form serves ``step(epoch)``
and a scheduler resumed with ``last_epoch > 0``.

CosineAnnealingWarmRestarts counts ``T_cur`` up by one per step; on reaching ``T_i`` it wraps
to ``T_cur - T_i`` and the period grows to ``T_i * T_mult``. ``step(epoch)`` may take a
fractional epoch and finds ``T_cur`` and ``T_i`` in closed form.
Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts" (2017).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .base import LRScheduler, group_values

if TYPE_CHECKING:
    from ..optimizer import Optimizer


class CosineAnnealingLR(LRScheduler):
    """Anneal each lr from its ``initial_lr`` to ``eta_min`` along a cosine of period 2 T_max."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_by_user()
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        if self._step_count == 1 and e > 0:  # resumed: nothing to chain from
            return self._get_closed_form_lr()
        if (e - 1 - T) % (2 * T) == 0:  # leaving the trough, where the ratio is 0/0
            rise = (1 - math.cos(math.pi / T)) / 2
            return [
                group["lr"] + (base_lr - eta_min) * rise
                for base_lr, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [
            eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * e / T)) / 2
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every ``T_i`` epochs, the period growing by ``T_mult``."""

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_by_user()
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or jump to ``epoch`` (which may be fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        elif epoch < self.T_0:
            self.T_i = self.T_0
            self.T_cur = epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            # Restart n begins at epoch T_0 (T_mult^n - 1) / (T_mult - 1).
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
        self.last_epoch = math.floor(epoch)
        with self._flag("_get_lr_called_within_step"):
            values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = group_values(self.optimizer, "lr")
