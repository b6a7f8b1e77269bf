r"""``F.pad`` (re-exported by ``nn.functional``): torch's checks, then the padding op.

``pad`` holds (left, right) per dim, the last dim first; a negative entry crops. Mode
"constant" pads any number of dims with ``value``; "reflect", "replicate" and "circular"
pad the last 1, 2 or 3 dims of an input with one or two more (batch and channel) dims.
The math and the gradients are in ``autograd/ops/padding.py``.
"""

from __future__ import annotations

from ..autograd.ops import padding as padding_ops
from ..autograd.tensor import Tensor

_MODES = ("constant", "reflect", "replicate", "circular")
_UNSUPPORTED = (
    "Padding size {size} is not supported for {ndim}D input tensor.\n"
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """``input`` padded by ``pad`` ((left, right) per dim, the last first) with ``mode``."""
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = tuple(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode == "constant":
        return padding_ops.ConstantPad.apply(input, pad=pad, value=0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    dims = len(pad) // 2
    if dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(_UNSUPPORTED.format(size=len(pad), ndim=input.ndim))
    for k, (axis, left, right) in enumerate(padding_ops.padded_dims(input.ndim, pad)):
        n = input.shape[axis]
        if mode == "reflect" and not (left < n and right < n):
            raise RuntimeError(
                f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({left}, {right}) at dimension {axis} of "
                f"input {list(input.shape)}"
            )
        if mode == "circular" and not (left <= n and right <= n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    return padding_ops.Pad.apply(input, pad=pad, mode=mode)
