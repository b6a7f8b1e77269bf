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
        if low is not None:
            grad = grad * (a >= low)
        if high is not None:
            grad = grad * (a <= high)
        return grad


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
        share = (a > b) + 0.5 * (a == b)
        grad_a = unbroadcast(grad * share, shape_of(a)) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(grad * (1 - share), shape_of(b)) if ctx.needs_grad[1] else None
        return grad_a, grad_b


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
        share = (a < b) + 0.5 * (a == b)
        grad_a = unbroadcast(grad * share, shape_of(a)) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(grad * (1 - share), shape_of(b)) if ctx.needs_grad[1] else None
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
