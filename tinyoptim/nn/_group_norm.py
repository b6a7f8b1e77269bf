r"""``group_norm``, ``instance_norm``, channel dropout (``dropout1d``/``dropout2d``) and
``prelu`` (re-exported by ``nn.functional``), composed of tensor ops.

Group norm takes μ and the biased σ² of each sample over the channels of a group and its
spatial axes; instance norm over each (sample, channel)'s spatial axes. Both give
y = (x - μ) / \sqrt{σ² + ε}, then the per-channel affine γ y + β.
"""

from __future__ import annotations

import warnings

from ..autograd import factories
from ..autograd import inplace as inplace_ops
from ..autograd.functional import where
from ..autograd.grad_mode import no_grad
from ..autograd.ops import elementwise as ew
from ..autograd.tensor import Tensor


def _channel_view(t: Tensor, ndim: int) -> Tensor:
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _affine(out: Tensor, weight, bias) -> Tensor:
    if weight is not None:
        out = out * _channel_view(weight, out.ndim)
    if bias is not None:
        out = out + _channel_view(bias, out.ndim)
    return out


def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    r"""y = (x - μ_g) / \sqrt{σ_g² + ε} · γ + β, μ_g, σ_g² over each group of channels."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    n, c = input.shape[0], input.shape[1]
    size = [n * c // num_groups, num_groups] + list(input.shape[2:])
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    grouped = input.reshape((n, num_groups, -1))
    mean = grouped.mean(dim=2, keepdim=True)
    var = grouped.var(dim=2, keepdim=True, correction=0)
    out = ((grouped - mean) / (var + eps).sqrt()).reshape(input.shape)
    return _affine(out, weight, bias)


def instance_norm(
    input: Tensor,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""y = (x - μ) / \sqrt{σ² + ε} · γ + β, μ, σ² over each (sample, channel)'s spatial
    axes (or the running statistics without ``use_input_stats``). With input statistics,
    the running ones move as torch's: r ← (1 - m) r + m · (the batch mean of the per-instance
    statistics, unbiased variance)."""
    if use_input_stats:
        size = list(input.shape)
        prod = 1
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {size}"
            )
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        mean = input.mean(dim=axes, keepdim=True)
        var = input.var(dim=axes, keepdim=True, correction=0)
        count = input.numel() // (input.shape[0] * input.shape[1])
        with no_grad():
            if running_mean is not None:
                batch = mean.detach().reshape(input.shape[:2]).mean(0)
                running_mean.mul_(1 - momentum).add_(batch * momentum)
            if running_var is not None:
                unbiased = var.detach().reshape(input.shape[:2]) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased.mean(0) * momentum)
    else:
        mean = _channel_view(running_mean, input.ndim)
        var = _channel_view(running_var, input.ndim)
    out = (input - mean) / (var + eps).sqrt()
    return _affine(out, weight, bias)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Zero whole channels (all but the first two axes) with probability ``p``."""
    if not training or p == 0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    if p == 1:
        mask = factories.zeros(shape, dtype=input.dtype, device=input.device)
    else:
        draws = factories.rand(shape, dtype=input.dtype, device=input.device)
        mask = (draws < 1 - p).to(input.dtype) * (1 / (1 - p))
    return inplace_ops.apply(input, ew.Mul, mask) if inplace else input * mask


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each channel of an (N, C, L) or (C, L) input with probability ``p`` and scale
    the rest by 1/(1-p) (when training)."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs)."
        )
    if input.ndim == 2:
        if inplace:
            return _feature_dropout(input.unsqueeze_(0), p, training, True).squeeze_(0)
        return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each channel of an (N, C, H, W) input with probability ``p`` and scale the rest
    by 1/(1-p) (when training); a 3-d input is read as (N, C, L), as torch does."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else w · x, with one w or one per channel (axis 1)."""
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if input.ndim == 0 or weight.numel() != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {channels}."
            )
        weight = _channel_view(weight, input.ndim) if input.ndim >= 2 else weight
    elif weight.ndim:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)
