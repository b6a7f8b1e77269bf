"""Reverse-mode automatic differentiation: ``Tensor``, ``Function`` and the engine."""

from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .sparse import SparseGrad
from .tensor import Tensor

__all__ = [
    "Function",
    "GradcheckError",
    "SparseGrad",
    "Tensor",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "inference_mode",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]
