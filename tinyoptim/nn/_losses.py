r"""The loss functions of ``nn.functional`` (re-exported there), with torch's semantics.

``reduction`` is "mean", "sum" or "none"; the legacy ``size_average``/``reduce`` flags map
onto it with torch's deprecation warning.
"""

from __future__ import annotations

import warnings

from ..autograd.functional import where
from ..autograd.ops import loss as loss_ops
from ..autograd.tensor import Tensor


def _reduction(size_average, reduce, reduction: str) -> str:
    """torch's legacy ``size_average``/``reduce`` flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        stacklevel=3,
    )
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_size(input: Tensor, target: Tensor) -> None:
    """torch's warning when a regression loss's target broadcasts against its input."""
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def mse_loss(
    input, target, size_average=None, reduce=None, reduction="mean", weight=None
) -> Tensor:
    r"""\ell = (x - y)^2, reduced; with ``weight`` w, \ell = w (x - y)^2 and the mean is
    \sum w (x - y)^2 / \sum w."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    diff = input - target
    loss = diff * diff
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":  # the weighted mean, as torch's
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
) -> Tensor:
    r"""\ell_k = -w_{t_k} x_{k,t_k}; the mean divides by \sum w_{t_k} (see ops/loss.py)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_class_weight(weight, input.shape[0 if input.ndim == 1 else 1], input)
    return loss_ops.NllLoss.apply(
        input, target, weight, ignore_index=ignore_index, reduction=reduction
    )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
) -> Tensor:
    r"""nll_loss(log_softmax(x)), with class-index or class-probability targets.

    Label smoothing ε mixes in the uniform distribution:
    \ell = (1 - ε) \ell_{nll} + \frac{ε}{C} \sum_c -w_c \log p_c.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    logp = input.log_softmax(class_dim)
    classes = input.shape[class_dim]
    _check_class_weight(weight, classes, input)
    w = None if weight is None else weight.reshape((-1,) + (1,) * (input.ndim - class_dim - 1))
    if target.dtype.is_floating_point:
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if target.shape != input.shape:
            raise RuntimeError(
                f"Expected target size {list(input.shape)}, got {list(target.shape)}"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = logp * target if w is None else logp * target * w
        return _reduce(-terms.sum(class_dim), reduction)
    nll = loss_ops.NllLoss.apply(
        logp, target, weight, ignore_index=ignore_index, reduction=reduction
    )
    if label_smoothing == 0:
        return nll
    kept = target != ignore_index
    valid = kept.to(input.dtype)
    # masked with where, not a product: an all-ignored mean divides by zero, and the
    # ignored entries must still get a zero gradient (torch's masked_fill)
    smooth = where(kept, -(logp if w is None else logp * w).sum(class_dim), 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / valid.sum()
        else:
            safe = where(kept, target, 0)
            smooth = smooth.sum() / (weight[safe] * valid).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
) -> Tensor:
    r"""\ell = -w [p y \log σ(x) + (1 - y) \log(1 - σ(x))], p = ``pos_weight``.

    Computed as (1 - y) x - (1 + (p - 1) y) \log σ(x), which never overflows.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    log_sigmoid = loss_ops.LogSigmoid.apply(input)
    if pos_weight is None:
        loss = (1 - target) * input - log_sigmoid
    else:
        loss = (1 - target) * input - (1 + (pos_weight - 1) * target) * log_sigmoid
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_class_weight(weight, classes: int, input) -> None:
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes but "
            f"got weight tensor of shape: {list(weight.shape)}"
        )
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}"
        )
