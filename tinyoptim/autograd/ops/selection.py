"""Selection ops: each output element is one of the inputs' (clamp, maximum, minimum,
where), so the gradient goes to whichever input was chosen."""

from __future__ import annotations

from ...backends import get_default_dtype
from ..function import Function
from ._util import check_broadcast, promote_operands, shape_of, unbroadcast


class Clamp(Function):
    r"""z = \min(\max(a, lo), hi);  dz/da = 1 where lo <= a <= hi, else 0."""

    @staticmethod
    def forward(ctx, a, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        for bound in (min, max):
            if not (bound is None or isinstance(bound, (int, float)) or hasattr(bound, "dtype")):
                raise TypeError(
                    f"clamp() expects min and max to be numbers or tensors, got "
                    f"{type(bound).__name__}"
                )
        ctx.save_for_backward(a)
        ctx.bounds = min, max
        numbers = all(bound is None or isinstance(bound, (int, float)) for bound in (min, max))
        ctx.label = "ClampBackward1" if numbers else "ClampBackward0"
        out = a
        if min is not None:
            out = ctx.xp.maximum(*promote_operands(out, min))
        if max is not None:
            out = ctx.xp.minimum(*promote_operands(out, max))
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        low, high = ctx.bounds
        zero = ctx.xp.zeros((), dtype=grad.dtype)  # selected, not multiplied: a NaN in the
        if low is not None:  # gradient stays where it belongs, as torch's where
            grad = ctx.xp.where(a >= low, grad, zero)
        if high is not None:
            grad = ctx.xp.where(a <= high, grad, zero)
        return grad


class ClampTensors(Function):
    r"""z = \min(\max(a, lo), hi) for tensor bounds that need a gradient (either may be
    None);  dz/da = 1 where lo <= a <= hi, dz/dlo = 1 where a < lo (and lo <= hi),
    dz/dhi = 1 where a > hi or lo > hi (then z = hi), each where-selected, as torch's."""

    label = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, low, high):
        xp = ctx.xp
        out = a
        if low is not None:
            out = xp.maximum(*promote_operands(out, low))
        if high is not None:
            out = xp.minimum(*promote_operands(out, high))
        ctx.save_for_backward(a, low, high)
        return out

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        a, low, high = ctx.saved
        zero = xp.zeros((), dtype=grad.dtype)
        inside = xp.ones(grad.shape, dtype=bool)
        below = above = None
        if low is not None:
            inside &= a >= low
            below = a < low
        if high is not None:
            inside &= a <= high
            above = a > high
        if low is not None and high is not None:
            below = below & (low <= high)
            above = above | (low > high)
        grads = [unbroadcast(xp.where(inside, grad, zero), a.shape) if ctx.needs_grad[0] else None]
        for i, (bound, hit) in enumerate(((low, below), (high, above)), start=1):
            needed = bound is not None and ctx.needs_grad[i]
            grads.append(unbroadcast(xp.where(hit, grad, zero), bound.shape) if needed else None)
        return tuple(grads)


class Maximum(Function):
    r"""z = \max(a, b);  the gradient goes to the larger input, split evenly on ties."""

    @staticmethod
    def forward(ctx, a, b):
        check_broadcast(shape_of(a), shape_of(b))
        a, b = promote_operands(a, b)
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return _split(ctx, grad, a, b, a > b, b > a)


class Minimum(Function):
    r"""z = \min(a, b);  the gradient goes to the smaller input, split evenly on ties."""

    @staticmethod
    def forward(ctx, a, b):
        check_broadcast(shape_of(a), shape_of(b))
        a, b = promote_operands(a, b)
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return _split(ctx, grad, a, b, a < b, b < a)


def _split(ctx, grad, a, b, a_wins, b_wins):
    """The gradients of maximum (or minimum): all to a where it wins, all to b where b
    wins, half each on ties; selected rather than multiplied, so that a NaN in ``grad``
    goes only where it belongs, as with torch."""
    xp = ctx.xp
    zero = xp.zeros((), dtype=grad.dtype)
    tie = xp.where(a == b, grad * 0.5, zero)
    grad_a = unbroadcast(xp.where(a_wins, grad, tie), shape_of(a)) if ctx.needs_grad[0] else None
    grad_b = unbroadcast(xp.where(b_wins, grad, tie), shape_of(b)) if ctx.needs_grad[1] else None
    return grad_a, grad_b


class Where(Function):
    r"""z = a where cond else b;  dz/da = cond,  dz/db = not cond."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = shape_of(a), shape_of(b)
        check_broadcast(shape_of(cond), *ctx.shapes)
        out = ctx.xp.where(cond, *promote_operands(a, b))
        if not hasattr(a, "dtype") and not hasattr(b, "dtype") and out.dtype.kind == "f":
            out = out.astype(get_default_dtype().np)  # numbers only: torch's default dtype
        return out

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved
        a_shape, b_shape = ctx.shapes
        zero = ctx.xp.zeros((), dtype=grad.dtype)
        grad_a = unbroadcast(ctx.xp.where(cond, grad, zero), a_shape) if ctx.needs_grad[1] else None
        grad_b = unbroadcast(ctx.xp.where(cond, zero, grad), b_shape) if ctx.needs_grad[2] else None
        return None, grad_a, grad_b
