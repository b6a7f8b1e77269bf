"""What ``Optimizer.load_state_dict`` makes of each saved state value: torch's policy.

Arrays are copied onto the parameter's device, in its dtype when it is floating point, and
checked against its shape where the key is parameter-shaped (API.md deviation 3). The 0-d
bookkeeping keeps its saved dtype where torch keeps it (``step``, NAdam's ``mu_product``:
deviation 6); a fused group's ``step`` is float32 on the parameter's device. A Python number
under one of those keys (an old checkpoint's) becomes a 0-d tensor, as torch's
``__setstate__`` makes it. Each optimizer class says which keys are which
(``_host_state``, ``_device_scalars``, ``_param_shaped_state``).
"""

from __future__ import annotations

from ..autograd import Tensor
from ..autograd.factories import full
from ..backends.dtype import float32
from ._buckets import scalar_dtype


def cast_state(optimizer, p, index, key, value, fused: bool = False):
    """``value``, saved under ``key`` for parameter number ``index`` (now ``p``), as the
    optimizer's own copy."""
    if isinstance(value, Tensor):
        value = value.detach()
        if key == "step" and fused:
            moved = value.to(p.device, float32)
        elif key in optimizer._host_state:
            return value.clone()
        elif key == "step" and key in optimizer._device_scalars:
            moved = value.to(p.device)
        else:
            if key in optimizer._param_shaped_state and value.shape != p.shape:
                raise ValueError(
                    f"loaded state for parameter {index} has {key!r} of shape "
                    f"{value.shape}, but the parameter has shape {p.shape}"
                )
            moved = value.to(p.device, p.dtype if p.dtype.is_floating_point else value.dtype)
        return moved.clone() if moved.data is value.data else moved
    if isinstance(value, dict):
        return {k: cast_state(optimizer, p, index, k, v, fused) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(cast_state(optimizer, p, index, None, v, fused) for v in value)
    scalar_keys = optimizer._host_state + optimizer._device_scalars
    if optimizer._scalars_become_tensors and key in scalar_keys and _is_number(value):
        fused_step = fused and key == "step"
        device = p.device if key in optimizer._device_scalars or fused_step else "cpu"
        return full((), float(value), dtype=scalar_dtype(fused_step), device=device)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
