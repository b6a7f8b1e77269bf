r"""``LRScheduler``: the bookkeeping every learning-rate scheduler shares, as in torch 2.13.

A scheduler owns an epoch counter ``last_epoch`` and writes a learning rate into each of the
optimizer's ``param_groups`` whenever it steps:

.. math::
    e \leftarrow e + 1, \qquad \mathrm{lr}_g \leftarrow \mathrm{get\_lr}()_g

``get_lr`` is written by each subclass. Most subclasses are *chainable*: they multiply the
group's current lr, so several schedulers compose and edits made by hand persist. Those that
also have a closed form ``lr(e)`` in terms of ``base_lrs`` use it for the deprecated
``step(epoch)``.

As in torch:

- construction records ``initial_lr`` in every group (kept if already there) and performs
  one step, so the epoch-0 lr is in place before training starts (``last_epoch`` becomes 0);
- the optimizer's ``step`` is replaced, on the instance and once, by a wrapper that records
  that it ran, so the first user call to ``scheduler.step()`` can warn when it comes before
  ``optimizer.step()`` or when ``optimizer.step`` was replaced after the scheduler was made;
- ``state_dict()`` is the scheduler's ``__dict__`` without the optimizer.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from typing import Any

from ..optimizer import Optimizer

HOW_TO = "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
STEP_OVERRIDDEN = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    f"`lr_scheduler.step()`. See more details at {HOW_TO}"
)
STEP_ORDER = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    f"See more details at {HOW_TO}"
)
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)
USE_GET_LAST_LR = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)
NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


class LRScheduler:
    """Base class of the schedulers: ``LRScheduler(optimizer, last_epoch=-1)``."""

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't "
                        "properly loaded the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run "
                        "(not recommended)"
                    )
        self.base_lrs = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _record_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """The step taken at construction: it puts the epoch-0 lr in place."""
        self._step_count = 0
        with self._flag("_is_initial"):
            self.step()

    def state_dict(self) -> dict[str, Any]:
        """Everything in ``__dict__`` but the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list[float]:
        """The lrs written by the most recent step, one per param group."""
        return self._last_lr

    def get_lr(self) -> list[float]:
        """The lrs for the current ``last_epoch``: the rule each scheduler defines."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or, deprecated, jump to ``epoch``) and write the new lrs."""
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(STEP_OVERRIDDEN, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(STEP_ORDER, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        with self._flag("_get_lr_called_within_step"):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = group_values(self.optimizer, "lr")

    def _warn_if_called_by_user(self, stacklevel: int = 2) -> None:
        """``get_lr`` is internal: called from outside ``step`` it points to ``get_last_lr``.

        As torch's, the warning names the ``get_lr`` line (SWALR's names its caller's).
        """
        if not self._get_lr_called_within_step:
            warnings.warn(USE_GET_LAST_LR, UserWarning, stacklevel=stacklevel)

    def _flag(self, name: str):
        return _set_flag(self, name)


class _LRScheduler(LRScheduler):
    """The former name of ``LRScheduler``, kept (as torch keeps it) for old subclasses."""


def check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def group_values(optimizer: Optimizer, key: str) -> list:
    """``group[key]`` for every param group, as a new list."""
    return [group[key] for group in optimizer.param_groups]


def per_group(name: str, optimizer: Optimizer, value) -> list:
    """A scalar repeated once per param group, or a list checked to have one per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n}."
            )
        return list(value)
    return [value] * n


def set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """Write a cycled momentum: ``betas[0]`` for the Adam family, else ``momentum``."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _record_optimizer_steps(optimizer: Optimizer) -> None:
    """Replace ``optimizer.step`` on the instance, once, by a wrapper that notes each call."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    step = optimizer.step.__func__
    owner = weakref.ref(optimizer)  # the wrapper lives on the optimizer: no cycle

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        opt = owner()
        opt._opt_called = True
        return step.__get__(opt, type(opt))(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


class _set_flag:
    """Set a boolean attribute for the duration of a ``with`` block."""

    def __init__(self, owner: LRScheduler, name: str) -> None:
        self.owner, self.name = owner, name

    def __enter__(self) -> None:
        setattr(self.owner, self.name, True)

    def __exit__(self, *exc) -> None:
        setattr(self.owner, self.name, False)
