r"""Weight averaging, mirroring ``torch.optim.swa_utils``: SWA, EMA, ``SWALR`` and ``update_bn``.

An ``AveragedModel`` keeps a copy of a model whose weights W are a running average of the
model's weights w_t, one term per call of ``update_parameters``:

.. math::
    W_1 = w_1, \qquad
    \text{SWA:}\; W_{n+1} = W_n + \frac{w_{n+1} - W_n}{n + 1}, \qquad
    \text{EMA:}\; W_{n+1} = d \, W_n + (1 - d) \, w_{n+1}

n = ``n_averaged`` (the number of models already averaged), d = ``decay``. ``SWALR`` anneals
each group's lr from its value lr_0 at construction to ``swa_lr`` over ``anneal_epochs`` = T
steps, with a = (1 - cos(pi t)) / 2 ('cos') or a = t ('linear'):

.. math::
    lr_k = a_k \, \mathrm{swa\_lr} + (1 - a_k) \, lr_0, \qquad a_k = a(\min(1, k / T))

As in torch 2.13:

- the first update copies the model's weights; buffers (batch-norm statistics) are copied
  from the model on every update unless ``use_buffers=True``, which averages them too;
- the default average divides, ``W + (w - W) / (n + 1)``, with n a 0-d int64 tensor; only on
  a GPU does torch take the list path, a ``lerp`` with weight 1 / (n + 1);
- the list helpers move floating weights with ``lerp`` (``W + c (w - W)`` for c < 0.5, else
  ``w - (w - W)(1 - c)``): the same sums, rounded differently. The SWA one computes
  1 / (n + 1) as a tensor of the default dtype, so with float32 as default its weight is
  rounded to float32 even for float64 weights; it refuses integer buffers (torch's errors),
  while the EMA one blends them in floating point and truncates;
- ``SWALR`` is recursive: it recovers lr_0 from the current lr by inverting the previous
  step's blend, so an lr changed by hand steers the rest of the annealing.

Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization" (2018).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.factories import tensor
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ..nn.norm import _BatchNorm
from ._ops import lerp_
from .lr_scheduler.base import LRScheduler, per_group
from .optimizer import Optimizer

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

INVALID_DECAY = "Invalid decay value {} provided. Please provide a value in [0,1] range."
BOTH_AVG_FNS = "Only one of avg_fn and multi_avg_fn should be provided"
INTEGER_ADDCDIV = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes."
)
INTEGER_ALPHA = "For integral input tensors, argument alpha must not be a floating point number."

AvgFn = Callable[[Tensor, Tensor, "Tensor | int"], Tensor]
MultiAvgFn = Callable[[list, list, "Tensor | int"], None]


# -- averaging functions -----------------------------------------------------------------------


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    r"""An EMA update of lists of tensors, in place: W <- d W + (1 - d) w.

    Args:
        decay: d, in [0, 1].

    Returns:
        ``fn(averaged, current, n_averaged)``, for ``AveragedModel(multi_avg_fn=...)``.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_params: list, current_params: list, _num_averaged) -> None:
        if ema_params[0].is_floating_point():
            for ema, current in zip(ema_params, current_params, strict=True):
                _check_same_dtype(ema, current)
                lerp_(ema.data, current.data, 1 - decay)
        else:  # lerp is for floats: integers blend in floating point and truncate
            for ema, current in zip(ema_params, current_params, strict=True):
                ema.copy_(ema * decay + current * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    r"""The equal-weight running mean of lists of tensors, in place: W <- lerp(W, w, 1/(n+1)).

    Returns:
        ``fn(averaged, current, n_averaged)``, for ``AveragedModel(multi_avg_fn=...)``.
    """

    @no_grad()
    def swa_update(averaged_params: list, current_params: list, num_averaged) -> None:
        if not averaged_params[0].is_floating_point():
            tensor_count = isinstance(num_averaged, Tensor)  # torch fails in addcdiv, or add
            raise RuntimeError(INTEGER_ADDCDIV if tensor_count else INTEGER_ALPHA)
        weight = 1 / (num_averaged + 1)  # a default-dtype tensor when n is one, as in torch
        if isinstance(weight, Tensor):
            weight = weight.item()
        for averaged, current in zip(averaged_params, current_params, strict=True):
            _check_same_dtype(averaged, current)
            lerp_(averaged.data, current.data, weight)

    return swa_update


def _check_same_dtype(averaged: Tensor, current: Tensor) -> None:
    """torch's lerp refuses to blend weights of two dtypes (the list helpers use it)."""
    if current.dtype != averaged.dtype:
        raise RuntimeError(
            f"expected dtype {averaged.dtype.c_name} for `end` but got dtype {current.dtype.c_name}"
        )


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    r"""An EMA of one tensor: returns d W + (1 - d) w.

    Args:
        decay: d, in [0, 1].

    Returns:
        ``fn(averaged, current, n_averaged)``, for ``AveragedModel(avg_fn=...)``.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, _num_averaged) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    r"""The equal-weight running mean of one tensor: returns W + (w - W) / (n + 1).

    Returns:
        ``fn(averaged, current, n_averaged)``, for ``AveragedModel(avg_fn=...)``.
    """

    @no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


# -- the averaged model ------------------------------------------------------------------------


class AveragedModel(Module):
    r"""A copy of ``model`` (in ``.module``) holding a running average of its weights.

    Args:
        model: the model to average; it is deep-copied (grads are not).
        device: where the copy, and the ``n_averaged`` buffer, live (default: where they are).
        avg_fn: ``fn(averaged, current, n_averaged) -> tensor``, applied to each weight.
        multi_avg_fn: ``fn(averaged_list, current_list, n_averaged)``, updating in place
            one list per (device, dtype). Without either, the SWA running mean is used.
        use_buffers: average the buffers too, instead of copying them from ``model``.

    Example:
        >>> import tinyoptim
        >>> from tinyoptim.optim.swa_utils import AveragedModel
        >>> model = tinyoptim.nn.Linear(1, 1, bias=False)
        >>> swa_model = AveragedModel(model)
        >>> for value in (1.0, 2.0, 6.0):
        ...     with tinyoptim.no_grad():
        ...         _ = model.weight.fill_(value)
        ...     swa_model.update_parameters(model)
        >>> swa_model.module.weight.item(), swa_model.n_averaged.item()
        (3.0, 3)
    """

    n_averaged: Tensor

    def __init__(
        self,
        model: Module,
        device=None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError(BOTH_AVG_FNS)
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype="int64", device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        pairs = [
            (averaged.detach(), current.detach().to(averaged.device))
            for averaged, current in zip(
                _weights(self.module, self.use_buffers), _weights(model, self.use_buffers)
            )
        ]
        if self.n_averaged.item() == 0:
            for averaged, current in pairs:
                averaged.copy_(current)
        else:
            self._average(pairs)
        if not self.use_buffers:  # buffers not averaged follow the model
            for b_averaged, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_averaged.detach().copy_(b_model.detach().to(b_averaged.device))
        self.n_averaged += 1

    def _average(self, pairs: list[tuple[Tensor, Tensor]]) -> None:
        if self.avg_fn is not None:
            for averaged, current in pairs:
                n_averaged = self.n_averaged.to(averaged.device)
                averaged.copy_(self.avg_fn(averaged, current, n_averaged))
            return
        for device, (averaged, current) in _by_device_and_dtype(pairs):
            n_averaged = self.n_averaged.to(device)
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, n_averaged)
            elif device.type == "cuda":  # torch takes its list (foreach) path on GPUs only
                get_swa_multi_avg_fn()(averaged, current, n_averaged)
            else:
                swa = get_swa_avg_fn()
                for p_averaged, p_current in zip(averaged, current):
                    p_averaged.copy_(swa(p_averaged, p_current, n_averaged))


# -- batch-norm statistics ---------------------------------------------------------------------


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader``.

    The statistics are reset and accumulated as an equal-weight average over the batches
    (momentum ``None``); momenta and the train/eval mode are restored afterwards. A batch
    is a tensor or a list/tuple whose first element is the model's input; ``device`` moves
    it first. A model without BatchNorm is left as it is.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


# -- the SWA learning rate ---------------------------------------------------------------------


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` steps, then hold it.

    Args:
        optimizer: the optimizer whose lrs to set.
        swa_lr: the final lr, one for all groups or a list with one per group.
        anneal_epochs: steps to get there (an int >= 0; 0 jumps at the first step).
        anneal_strategy: ``'cos'`` or ``'linear'``.
        last_epoch: the index of the last epoch (-1 to start afresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        for lr, group in zip(per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_called_by_user(stacklevel=3)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        epochs = max(1, self.anneal_epochs)
        previous_alpha = self.anneal_func(max(0, min(1, (step - 1) / epochs)))
        alpha = self.anneal_func(max(0, min(1, step / epochs)))
        groups = self.optimizer.param_groups
        start_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], previous_alpha) for g in groups]
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, start_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """Everything in ``__dict__`` but the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict``, and the annealing function."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    # The annealing functions, static as torch's (subclasses rely on them).
    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """lr_0 from lr = alpha swa_lr + (1 - alpha) lr_0 (swa_lr itself once alpha is 1)."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)


# -- private helpers ---------------------------------------------------------------------------


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(INVALID_DECAY.format(decay))


def _weights(model: Module, use_buffers: bool) -> list[Tensor]:
    """The tensors an AveragedModel averages: parameters, then buffers with ``use_buffers``."""
    return list(model.parameters()) + (list(model.buffers()) if use_buffers else [])


def _by_device_and_dtype(pairs: list[tuple[Tensor, Tensor]]):
    """``(device, (averaged, current))`` lists per (device, dtype) of the averaged tensors."""
    groups: dict = {}
    for averaged, current in pairs:
        lists = groups.setdefault((averaged.device, averaged.dtype), ([], []))
        lists[0].append(averaged)
        lists[1].append(current)
    return [(device, lists) for (device, _), lists in groups.items()]
