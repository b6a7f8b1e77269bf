"""Optimizers mirroring ``torch.optim``: same names, signatures, state and numbers."""

from . import lr_scheduler as lr_scheduler
from .adam import Adam, AdamW
from .optimizer import (
    Optimizer,
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
    required,
)
from .sgd import SGD

__all__ = [
    "Adam",
    "AdamW",
    "SGD",
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "required",
]
