r"""More elementwise functions of one tensor: rounding, logs and powers, trigonometry.

Each is z = f(a) with dz/da = f'(a), written with whichever of a and z makes it cheapest.
The rounding functions are flat almost everywhere, so their gradient is zero, as in torch;
on integer tensors they return a copy, as torch's do.
"""

from __future__ import annotations

import math

from ..function import Function
from ._util import floating


class Sign(Function):
    r"""z = sign(a) (-1, 0 or 1);  dz/da = 0."""

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "b":
            return a.copy()
        out = ctx.xp.sign(a)
        if a.dtype.kind == "f":  # torch's sign of NaN is 0
            out[out != out] = 0
        return out

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


class _Rounding(Function):
    """z = a rounded by ``rule``;  dz/da = 0. Integer tensors are already round."""

    rule = ""

    @classmethod
    def forward(cls, ctx, a):
        return a.copy() if a.dtype.kind in "iub" else getattr(ctx.xp, cls.rule)(a)

    @staticmethod
    def backward(ctx, grad):
        return ctx.xp.zeros_like(grad)


class Floor(_Rounding):
    r"""z = \lfloor a \rfloor;  dz/da = 0."""

    rule = "floor"


class Ceil(_Rounding):
    r"""z = \lceil a \rceil;  dz/da = 0."""

    rule = "ceil"


class Round(_Rounding):
    r"""z = a rounded to the nearest integer, halves to even (as torch);  dz/da = 0."""

    rule = "rint"


class Trunc(_Rounding):
    r"""z = a rounded towards zero;  dz/da = 0."""

    rule = "trunc"


class Log1p(Function):
    r"""z = \ln(1 + a);  dz/da = 1 / (1 + a)."""

    quiet = True

    label = "Log1PBackward0"

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad / (a + 1)


class Expm1(Function):
    r"""z = e^a - 1;  dz/da = z + 1."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.expm1(floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out + 1)


class Exp2(Function):
    r"""z = 2^a;  dz/da = z \ln 2."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.exp2(floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (out * math.log(2))


class _LogBase(Function):
    r"""z = \log_b a;  dz/da = 1 / (a \ln b)."""

    quiet = True

    rule, base = "", 1.0

    @classmethod
    def forward(cls, ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return getattr(ctx.xp, cls.rule)(a)

    @classmethod
    def backward(cls, ctx, grad):
        (a,) = ctx.saved
        return grad / (a * math.log(cls.base))


class Log2(_LogBase):
    r"""z = \log_2 a;  dz/da = 1 / (a \ln 2)."""

    rule, base = "log2", 2.0


class Log10(_LogBase):
    r"""z = \log_{10} a;  dz/da = 1 / (a \ln 10)."""

    rule, base = "log10", 10.0


class Rsqrt(Function):
    r"""z = 1 / \sqrt{a};  dz/da = -z^3 / 2."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        out = 1 / ctx.xp.sqrt(floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (-0.5 * out * out * out)


class Reciprocal(Function):
    r"""z = 1 / a;  dz/da = -z^2."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        out = 1 / floating(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * -(out * out)


class Tan(Function):
    r"""z = \tan a;  dz/da = 1 + z^2."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.tan(floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (1 + out * out)


class Sinh(Function):
    r"""z = \sinh a;  dz/da = \cosh a."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.sinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * ctx.xp.cosh(a)


class Cosh(Function):
    r"""z = \cosh a;  dz/da = \sinh a."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.cosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * ctx.xp.sinh(a)


class Asin(Function):
    r"""z = \arcsin a;  dz/da = 1 / \sqrt{1 - a^2}."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.arcsin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad / ctx.xp.sqrt(1 - a * a)


class Acos(Function):
    r"""z = \arccos a;  dz/da = -1 / \sqrt{1 - a^2}."""

    quiet = True

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.arccos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return -grad / ctx.xp.sqrt(1 - a * a)


class Atan(Function):
    r"""z = \arctan a;  dz/da = 1 / (1 + a^2)."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.xp.arctan(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad / (1 + a * a)


class Erf(Function):
    r"""z = erf(a);  dz/da = 2 e^{-a^2} / \sqrt{\pi}."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        ctx.save_for_backward(a)
        return ctx.backend.erf(a).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * (2 / math.sqrt(math.pi) * ctx.xp.exp(-a * a))
