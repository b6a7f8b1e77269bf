"""Elementwise ops: arithmetic with NumPy broadcasting, and the unary math functions.

Each op gives its formula and partial derivatives. Broadcast gradients are summed back to
each input's shape with ``unbroadcast``. Python scalars stay scalars, so a float32 tensor
times 0.5 stays float32 (NumPy 2's weak scalar promotion, as in torch).
"""

from __future__ import annotations

import math

from ..function import Function
from ._util import (
    broadcast_operands,
    floating,
    shape_of,
    unbroadcast,
)


class Add(Function):
    r"""z = a + b;  dz/da = 1,  dz/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        a, b, ctx.shapes = broadcast_operands(a, b)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(grad, a_shape) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(grad, b_shape) if ctx.needs_grad[1] else None
        return grad_a, grad_b


class Sub(Function):
    r"""z = a - b;  dz/da = 1,  dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        _refuse_bool_subtraction(a, b)
        if not hasattr(a, "dtype"):
            ctx.label = "RsubBackward1"  # number - tensor
        a, b, ctx.shapes = broadcast_operands(a, b)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(grad, a_shape) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(-grad, b_shape) if ctx.needs_grad[1] else None
        return grad_a, grad_b


def _refuse_bool_subtraction(a, b) -> None:
    """torch's errors for ``-`` on bool tensors (``^`` or ``~`` is what is meant)."""
    bools = [getattr(x, "dtype", None) is not None and x.dtype.kind == "b" for x in (a, b)]
    if all(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


class Mul(Function):
    r"""z = a * b;  dz/da = b,  dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        a, b, ctx.shapes = broadcast_operands(a, b)
        # Each operand is needed only for the other's gradient (torch saves no more).
        ctx.save_for_backward(a if ctx.needs_grad[1] else None, b if ctx.needs_grad[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(grad * b, a_shape) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(grad * a, b_shape) if ctx.needs_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    r"""z = a / b;  dz/da = 1/b,  dz/db = -a/b^2."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        if not hasattr(a, "dtype"):
            ctx.label = "MulBackward0"  # number / tensor: torch multiplies by the reciprocal
        a, b, ctx.shapes = broadcast_operands(a, b, true_division=True)
        ctx.save_for_backward(a if ctx.needs_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        a_shape, b_shape = ctx.shapes
        grad_a = unbroadcast(grad / b, a_shape) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(-grad * a / (b * b), b_shape) if ctx.needs_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    r"""z = a^b;  dz/da = b a^{b-1} (0 where b = 0),  dz/db = a^b \log a (at a = 0: 0 for
    b >= 0 and -inf for b < 0, as torch has them)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        if not hasattr(a, "dtype"):
            ctx.label = "PowBackward2"  # number ** tensor
        elif hasattr(b, "dtype"):
            ctx.label = "PowBackward1"  # tensor ** tensor
        a, b, ctx.shapes = broadcast_operands(a, b)
        if isinstance(b, int) and b < 0 and getattr(a, "dtype", None) is not None:
            if a.dtype.kind in "iu":
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        xp = ctx.xp
        grad_a = grad_b = None
        if ctx.needs_grad[0]:
            if not hasattr(b, "shape"):
                if b == 0:
                    grad_a = xp.zeros_like(grad * a)  # torch: d(a^0)/da = 0, even at a = 0
                else:
                    grad_a = unbroadcast(grad * b * a ** (b - 1), ctx.shapes[0])
            else:  # b - 1 only where b != 0, so that 0^(0-1) never appears
                power = a ** xp.where(b == 0, 1, b - 1)
                grad_a = unbroadcast(grad * xp.where(b == 0, 0, b * power), ctx.shapes[0])
        if ctx.needs_grad[1]:
            if hasattr(a, "shape"):
                zero = a == 0
                term = out * xp.log(xp.where(zero, 1, a))
                term = xp.where(zero, xp.where(b >= 0, 0, -math.inf), term)
            elif a == 0:
                term = xp.where(b >= 0, out * 0, -math.inf)
            else:
                term = out * (math.log(a) if a > 0 else math.nan)
            grad_b = unbroadcast(grad * term, ctx.shapes[1])
        return grad_a, grad_b


class FloorDivide(Function):
    r"""z = \lfloor a / b \rfloor (rounding down, as Python's ``//``); not differentiable."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        a, b, _ = broadcast_operands(a, b)
        return ctx.xp.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Function):
    r"""z = a - b \lfloor a / b \rfloor (the sign of b, as Python's ``%``);
    dz/da = 1,  dz/db = -\lfloor a / b \rfloor."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        a, b, ctx.shapes = broadcast_operands(a, b)
        if ctx.needs_grad[1]:
            ctx.save_for_backward(ctx.xp.floor_divide(a, b))
        return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        grad_a = unbroadcast(grad, shape_a) if ctx.needs_grad[0] else None
        grad_b = unbroadcast(-grad * ctx.saved[0], shape_b) if ctx.needs_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    r"""z = -a;  dz/da = -1."""

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Function):
    r"""z = e^a;  dz/da = z."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        out = ctx.xp.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * out


class Log(Function):
    r"""z = \ln a;  dz/da = 1/a."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad / a


class Sqrt(Function):
    r"""z = \sqrt{a};  dz/da = 1 / (2 z)."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        out = ctx.xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad / (2 * out)


class Sin(Function):
    r"""z = \sin a;  dz/da = \cos a."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * ctx.xp.cos(a)


class Cos(Function):
    r"""z = \cos a;  dz/da = -\sin a."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return -grad * ctx.xp.sin(a)


class Abs(Function):
    r"""z = |a|;  dz/da = sign(a) (0 at 0)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * ctx.xp.sign(a)


class Clone(Function):
    r"""z = a (a copy);  dz/da = 1."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Overwrite(Function):
    r"""z = b broadcast to a's shape and cast to its dtype (``a.copy_(b)``);  dz/da = 0,
    dz/db = 1."""

    label = "CopyBackwards"  # copy_; fill_ and zero_ name their nodes as torch does

    @staticmethod
    def forward(ctx, a, b, label=None):
        ctx.shape = shape_of(b)
        if label is not None:
            ctx.label = label
        return ctx.xp.broadcast_to(b, a.shape).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        overwritten = ctx.xp.zeros_like(grad) if ctx.needs_grad[0] else None
        return overwritten, unbroadcast(grad, ctx.shape)


class ToCopy(Function):
    r"""z = a on another device and/or dtype;  dz/da = the gradient moved and cast back."""

    @staticmethod
    def forward(ctx, a, device=None, dtype=None):
        ctx.source_dtype = a.dtype
        target = device.backend
        if target is not ctx.backend:
            a = target.from_host(ctx.backend.to_host(a))
        ctx.out_device = device
        return a.astype(dtype.np) if a.dtype != dtype.np else a.copy()

    @staticmethod
    def backward(ctx, grad):
        target = ctx.out_device.backend
        if target is not ctx.backend:
            grad = ctx.backend.from_host(target.to_host(grad))
        return grad.astype(ctx.source_dtype)
