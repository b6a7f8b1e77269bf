r"""More loss functions of ``nn.functional`` (re-exported there), with torch's semantics.

``l1_loss``, ``smooth_l1_loss`` and ``huber_loss`` warn, as torch and ``mse_loss`` do,
when the target's size differs from the input's, then broadcast the two. They and
``kl_div`` are compositions of tensor ops (``where`` picks the branch, so the gradient at
a kink is torch's); ``binary_cross_entropy`` needs its own op for torch's clamped logs and
gradient (``autograd/ops/activation_more.py``). ``reduction`` is "mean", "sum" or "none"
("batchmean" too for ``kl_div``), with the legacy ``size_average``/``reduce`` flags.
"""

from __future__ import annotations

import warnings

from ..autograd.function import quiet_math  # what Function.quiet ops run under
from ..autograd.functional import where
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.ops import activation_more
from ..autograd.tensor import Tensor
from ._losses import _reduce, _reduction, _warn_size

__all__ = ["binary_cross_entropy", "huber_loss", "kl_div", "l1_loss", "smooth_l1_loss"]

KL_DIV_MEAN = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release."
)


def _floating(diff: Tensor, kernel: str) -> None:
    if not diff.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{diff.dtype.scalar_name}'")


def _weighted(loss: Tensor, reduction: str, weight: Tensor | None = None) -> Tensor:
    r"""``loss`` (already weighted) reduced as torch's weighted Python path does: the mean
    divides the sum by \sum w where ``weight`` is given (l1), else by the count (huber)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if weight is None else loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _check_weight(weight: Tensor, input: Tensor) -> None:
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None) -> Tensor:
    r"""\ell = |x - y|, reduced; with ``weight`` w, \ell = w |x - y| and the mean is
    \sum w |x - y| / \sum w. The derivative at x = y is 0 (that of |·|)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is None:
        return _reduce(loss, reduction)
    _check_weight(weight, input)
    loss = loss * weight
    return _weighted(loss, reduction, weight)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction="mean", beta=1.0
) -> Tensor:
    r"""\ell = \frac{1}{2} d^2 / β where |d| < β, else |d| - β/2, with d = x - y; β = 0 is
    ``l1_loss``. The derivative is d / β inside, sign(d) outside (±1 at |d| = β)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = input - target
    _floating(diff, "smooth_l1_cpu")
    size = diff.abs()
    loss = where(size < beta, diff * diff * 0.5 / beta, size - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None) -> Tensor:
    r"""\ell = \frac{1}{2} d^2 where |d| < δ, else δ (|d| - δ/2), with d = x - y; the
    derivative is d inside, δ sign(d) outside. With ``weight`` w the loss is w \ell and the
    mean is its plain mean (torch's)."""
    _warn_size(input, target)
    if weight is None and reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = input - target
    _floating(diff, "huber_cpu")
    size = diff.abs()
    loss = where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)
    if weight is None:
        return _reduce(loss, reduction)
    _check_weight(weight, input)
    loss = loss * weight
    return _weighted(loss, reduction)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    r"""\ell = -w [y \max(\log x, -100) + (1 - y) \max(\log(1 - x), -100)] on probabilities
    x; the gradient is w (x - y) / \max(x (1 - x), 10^{-12}) (see ops/activation_more.py).
    ``weight`` broadcasts to the target and gets no gradient."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        shape = _broadcast_weight(target.shape, weight.shape)
        if shape != input.shape:
            raise RuntimeError(
                f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                f"{list(shape)}"
            )
        if weight.requires_grad and is_grad_enabled():
            raise RuntimeError(
                "The function 'binary_cross_entropy' is not differentiable with respect to "
                "argument 'weight'. This input cannot have requires_grad True."
            )
    if not input.dtype.is_floating_point:
        raise NotImplementedError(
            f"\"binary_cross_entropy\" not implemented for '{input.dtype.scalar_name}'"
        )
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}"
        )
    return activation_more.BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def _broadcast_weight(target_shape: tuple, weight_shape: tuple) -> tuple:
    """The shape the target and weight broadcast to, with torch's ``broadcast_shapes``
    error (dimensions from the right, the target's first)."""
    common = [1] * max(len(target_shape), len(weight_shape))
    for index, shape in enumerate((target_shape, weight_shape)):
        for dim in range(-1, -1 - len(shape), -1):
            if common[dim] == 1:
                common[dim] = shape[dim]
            elif shape[dim] not in (1, common[dim]):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[dim]} at {dim}! "
                    f"Mismatching argument at index {index} had {shape}; but expected shape "
                    f"should be broadcastable to {common}"
                )
    return tuple(common)


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target=False
) -> Tensor:
    r"""\ell = y (\log y - x) on log-probabilities x (0 where y = 0), or
    e^{y} (y - x) with ``log_target``; "batchmean" divides the sum by the batch size
    (the KL divergence), "mean" by the element count, with torch's warning."""
    if size_average is not None or reduce is not None:
        mode = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(KL_DIV_MEAN, stacklevel=2)
        mode = "sum" if reduction == "batchmean" else reduction
    if mode not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    with quiet_math():  # y log y at y = 0 is 0 · -inf before where drops it
        if log_target:
            loss = target.exp() * (target - input)
        else:
            loss = where(target == 0, 0.0, target * target.log()) - target * input
    reduced = _reduce(loss, mode)
    if reduction == "batchmean" and input.ndim != 0:
        reduced = reduced / input.shape[0]
    return reduced
