r"""Loss ops with dedicated backwards: the negative log-likelihood and log-sigmoid.

``NllLoss`` follows torch's ``nll_loss`` exactly: class axis 1, targets equal to
``ignore_index`` contribute nothing, and the weighted mean divides by the summed weights
of the targets that count (not by their number):

.. math::
    \ell_k = -w_{t_k} \, x_{k, t_k}, \qquad
    \text{mean} = \frac{\sum_k \ell_k}{\sum_{k: t_k \ne \text{ignore}} w_{t_k}}
"""

from __future__ import annotations

from ..function import Function

REDUCTIONS = ("none", "mean", "sum")


class NllLoss(Function):
    r"""Negative log-likelihood of integer targets;  d\ell_k/dx_{k,c} = -w_{t_k} [c = t_k]."""

    quiet = True

    @staticmethod
    def forward(ctx, logp, target, weight=None, ignore_index=-100, reduction="mean"):
        xp = ctx.xp
        if reduction not in REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        if target.dtype.kind not in "iu":
            raise RuntimeError(f"expected scalar type Long but found {_torch_name(target.dtype)}")
        if target.dtype.name not in ("int64", "uint8"):
            raise RuntimeError(
                f"expected target dtype to be Long or Byte, but got {_torch_name(target.dtype)}"
            )
        ctx.input_shape = logp.shape
        if logp.ndim == 1:  # one sample: (C,) with a 0-d target
            logp, target = logp[None], target.reshape(1)
        if target.ndim == 0 or logp.shape[0] != target.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({logp.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.ndim else 0})."
            )
        expected = (logp.shape[0],) + tuple(logp.shape[2:])
        if logp.ndim == 2 and target.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if tuple(target.shape) != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
        classes = logp.shape[1]
        valid = target != ignore_index
        _check_targets(ctx.backend, target, valid, classes)
        safe = xp.where(valid, target, 0)
        mask = valid.astype(logp.dtype)
        w = weight[safe] * mask if weight is not None else mask
        moved = xp.moveaxis(logp, 1, -1)
        picked = xp.take_along_axis(moved, safe[..., None], axis=-1)[..., 0]
        losses = xp.where(valid, -w * picked, 0.0)
        ctx.save_for_backward(safe, w)
        ctx.reduction, ctx.classes = reduction, classes
        if reduction == "none":
            return losses.reshape(()) if len(ctx.input_shape) == 1 else losses
        total = losses.sum()
        if reduction == "sum":
            return total
        ctx.total_weight = w.sum()
        return total / ctx.total_weight

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        safe, w = ctx.saved
        if ctx.reduction == "none":
            coefficient = -w * grad.reshape(w.shape)
        elif ctx.reduction == "sum":
            coefficient = -w * grad
        else:
            # every target ignored: the loss is 0/0, but torch's gradient is 0, not NaN
            total = xp.where(ctx.total_weight == 0, 1, ctx.total_weight)
            coefficient = -w * (grad / total)
        one_hot = safe[..., None] == xp.arange(ctx.classes)
        moved = one_hot * coefficient[..., None]
        return xp.moveaxis(moved, -1, 1).reshape(ctx.input_shape), None, None


def _check_targets(backend, target, valid, classes: int) -> None:
    """torch's ``IndexError: Target 10 is out of bounds.`` (an explicit host crossing)."""
    bad = valid & ((target < 0) | (target >= classes))
    if backend.to_host(bad.any()).item():
        first = backend.to_host(target)[backend.to_host(bad)].reshape(-1)[0]
        raise IndexError(f"Target {first} is out of bounds.")


def _torch_name(dtype) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}
    return {**names, "int32": "Int", "int64": "Long", "uint8": "Byte"}.get(str(dtype), str(dtype))


class LogSigmoid(Function):
    r"""z = \log \sigma(a) = -(\max(-a, 0) + \log(1 + e^{-|a|}));  dz/da = \sigma(-a)."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        ctx.save_for_backward(a)
        return -(xp.maximum(-a, 0) + xp.log1p(xp.exp(-xp.abs(a))))

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (a,) = ctx.saved
        e = xp.exp(-xp.abs(a))
        return grad * xp.where(a >= 0, e / (1 + e), 1 / (1 + e))
