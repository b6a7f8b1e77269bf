r"""Ops that a composition of tensor ops cannot make match torch: ELU and binary
cross-entropy.

ELU's value needs ``expm1`` (e^a - 1 loses a near 0) and its derivative e^a, which
``expm1``'s backward would rebuild as (e^a - 1) + 1, losing it for very negative a (in
float32, all of it from a < -17): the op computes each as torch does.

torch's ``binary_cross_entropy`` clamps each log at -100, so that a probability of exactly
0 or 1 costs 100 rather than inf, and its gradient divides by \max(x (1 - x), 10^{-12})
rather than by x (1 - x). A composition of log, clamp and products would give that
loss but not that gradient (0 · inf = NaN at x = 0 or 1), so the op is written out here,
with torch's formulas:

.. math::
    \ell = w \left[(y - 1) \max(\log(1 - x), -100) - y \max(\log x, -100)\right], \quad
    \frac{\partial \ell}{\partial x} = w \frac{x - y}{\max(x (1 - x), 10^{-12})}, \quad
    \frac{\partial \ell}{\partial y} = -w \operatorname{logit}(x)
"""

from __future__ import annotations

from ..function import Function

# torch's floor for x (1 - x) in the gradient: its C++ constant is the float 1e-12, which is
# this double (so that a float64 gradient agrees to the last bit)
EPSILON = 9.999999960041972e-13


class Elu(Function):
    r"""z = a where a > 0, else α (e^a - 1);  dz/da = 1 where a > 0, else α e^a (α at 0).
    A NaN's derivative is NaN, as in torch's vectorised kernel (its scalar loop, which
    takes a short tensor's tail, gives 1)."""

    quiet = True  # e^a overflows where a is large, in the branch not taken

    @staticmethod
    def forward(ctx, a, alpha=1.0):
        xp = ctx.xp
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return xp.where(a > 0, a, xp.expm1(a) * alpha)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (a,) = ctx.saved
        return xp.where(a > 0, grad, grad * ctx.alpha * xp.exp(a))


class BinaryCrossEntropy(Function):
    r"""Binary cross-entropy of probabilities ``x`` against targets ``y`` in [0, 1], with
    an optional ``weight`` (no gradient, as torch's) broadcast to ``x``; reduced by
    ``reduction`` ("mean" divides by the element count). Values outside [0, 1], NaN
    included, raise torch's ``RuntimeError``."""

    quiet = True  # log(0), and the mean of nothing (NaN)

    @staticmethod
    def forward(ctx, x, y, weight=None, reduction="mean"):
        xp = ctx.xp
        _check_range(ctx.backend, x, "input")
        _check_range(ctx.backend, y, "target")
        loss = (y - 1) * xp.maximum(xp.log1p(-x), -100) - y * xp.maximum(xp.log(x), -100)
        if weight is not None:
            weight = weight.astype(x.dtype, copy=False)
            loss = loss * weight
        ctx.save_for_backward(x, y, weight)
        ctx.reduction = reduction
        if reduction == "none":
            return loss
        total = loss.sum()
        return total if reduction == "sum" else total / x.size

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        x, y, weight = ctx.saved
        grads = [None, None, None]
        if ctx.needs_grad[0]:
            grads[0] = grad * (x - y) / xp.maximum((1 - x) * x, EPSILON)
        if ctx.needs_grad[1]:
            grads[1] = -xp.log(x / (1 - x)) * grad  # -logit(x), unclamped as torch's
        for i in (0, 1):  # in torch's order: the weight, then the mean's count
            if grads[i] is not None and weight is not None:
                grads[i] = grads[i] * weight
            if grads[i] is not None and ctx.reduction == "mean":
                grads[i] = grads[i] / x.size
        return tuple(grads)


def _check_range(backend, values, name: str) -> None:
    """torch's check that every element lies in [0, 1] (an explicit host crossing)."""
    outside = ~((values >= 0) & (values <= 1))
    if backend.to_host(outside.any()).item():
        raise RuntimeError(f"all elements of {name} should be between 0 and 1")
