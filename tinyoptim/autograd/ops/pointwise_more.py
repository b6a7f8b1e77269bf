r"""Still more elementwise ops: binary ones (atan2, hypot, fmod, copysign, logaddexp,
xlogy) and unary special functions (erfc, erfinv, lgamma, digamma, logit, sinc, i0).

Binary ops promote and broadcast as the arithmetic ops do (``broadcast_operands``), then
compute in floating point where torch does; gradients are summed back to each operand's
shape with ``unbroadcast``. A special function comes from the backend when it has one
(``backend.erfc``, ``backend.lgamma``...), else from the series and approximations
of ``special.py``, written with ``xp`` alone (computing in float64), so that
every backend (NumPy, CuPy, strict) runs them.
"""

from __future__ import annotations

import math

from ...backends import as_dtype
from ..function import Function
from ._util import broadcast_operands, floating, unbroadcast


def _float_operands(a, b):
    """Broadcast and promote ``a`` and ``b``, then give integer operands the default float
    dtype (torch's float ops on integer tensors)."""
    a, b, shapes = broadcast_operands(a, b)
    if hasattr(a, "dtype"):
        a = floating(a)
    if hasattr(b, "dtype"):
        b = floating(b)
    return a, b, shapes


def _refuse_integers(name: str, a, b) -> None:
    """torch's error for ops whose CPU kernel has only floating-point dtypes."""
    for x in (a, b):
        if hasattr(x, "dtype") and x.dtype.kind in "iub":
            scalar = as_dtype(x.dtype).scalar_name
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{scalar}'")


def _grads(ctx, grad_a, grad_b):
    """The two gradients, each summed to its operand's shape, None where not needed."""
    shape_a, shape_b = ctx.shapes
    return (
        unbroadcast(grad_a(), shape_a) if ctx.needs_grad[0] else None,
        unbroadcast(grad_b(), shape_b) if ctx.needs_grad[1] else None,
    )


class Atan2(Function):
    r"""z = atan2(a, b);  dz/da = b / (a^2 + b^2),  dz/db = -a / (a^2 + b^2)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        a, b, ctx.shapes = _float_operands(a, b)
        ctx.save_for_backward(a, b)
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        r2 = a * a + b * b
        return _grads(ctx, lambda: grad * b / r2, lambda: grad * -a / r2)


class Hypot(Function):
    r"""z = \sqrt{a^2 + b^2};  dz/da = a / z,  dz/db = b / z (NaN at a = b = 0, as torch)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        _refuse_integers("hypot", a, b)
        a, b, ctx.shapes = broadcast_operands(a, b)
        out = ctx.xp.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        return _grads(ctx, lambda: grad * a / out, lambda: grad * b / out)


class Logaddexp(Function):
    r"""z = \ln(e^a + e^b);  dz/da = 1 / (1 + e^{b - a}),  dz/db = 1 / (1 + e^{a - b})."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        _refuse_integers("logaddexp", a, b)
        a, b, ctx.shapes = broadcast_operands(a, b)
        ctx.save_for_backward(a, b)
        return ctx.xp.logaddexp(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        exp = ctx.xp.exp
        return _grads(ctx, lambda: grad / (1 + exp(b - a)), lambda: grad / (1 + exp(a - b)))


class Fmod(Function):
    r"""z = a - b\,trunc(a / b) (the sign of a, as C's fmod);  dz/da = 1,
    dz/db = -trunc(a / b). Integer tensors stay integers."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.label = "FmodBackward1" if hasattr(b, "dtype") else "FmodBackward0"
        a, b, ctx.shapes = broadcast_operands(a, b)
        if ctx.needs_grad[1]:
            ctx.save_for_backward(ctx.xp.trunc(a / b))
        return ctx.xp.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _grads(ctx, lambda: grad, lambda: -grad * ctx.saved[0])


class Copysign(Function):
    r"""z = |a| \operatorname{sign}(b) (b's sign bit, so -0.0 counts as negative);
    dz/da = z / a (0 where a = 0),  dz/db = 0."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.label = "CopysignBackward0" if hasattr(b, "dtype") else "CopysignBackward1"
        a, b, ctx.shapes = _float_operands(a, b)
        out = ctx.xp.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved
        xp = ctx.xp
        return _grads(
            ctx,
            lambda: grad * xp.where(a == 0, 0, out / xp.where(a == 0, 1, a)),
            lambda: xp.zeros_like(grad),
        )


class Xlogy(Function):
    r"""z = a \ln b, and 0 where a = 0 (unless b is NaN);  dz/da = \ln b (0 where a = 0),
    dz/db = a / b."""

    quiet = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.label = "XlogyBackward0" if hasattr(b, "dtype") else "XlogyBackward2"
        a, b, ctx.shapes = _float_operands(a, b)
        xp = ctx.xp
        ctx.save_for_backward(a, b)
        log_b = xp.log(b)
        return xp.where((a == 0) & ~xp.isnan(log_b), 0, a * log_b).astype(
            _dtype_of(a, b), copy=False
        )

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        xp = ctx.xp
        return _grads(
            ctx,
            lambda: grad * xp.where((a == 0) & ~xp.isnan(b), 0, xp.log(b)),
            lambda: grad * a / b,
        )


def _dtype_of(a, b):
    return a.dtype if hasattr(a, "dtype") else b.dtype


# -- unary --------------------------------------------------------------------------------


class _Unary(Function):
    """z = f(a) in floating point; subclasses give ``value`` and ``slope`` (dz/da), and
    save what torch saves (``saves``: "a", "out" or nothing), so that in-place changes
    are caught alike."""

    quiet = True
    saves = "a"

    @classmethod
    def forward(cls, ctx, a):
        a = floating(a)
        out = cls.value(ctx, a).astype(a.dtype, copy=False)
        if cls.saves:
            ctx.save_for_backward(a if cls.saves == "a" else out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        saved = ctx.saved[0] if cls.saves else None
        return grad * cls.slope(ctx, saved, saved)


def special(ctx, name: str, a):
    """The backend's special function ``name`` of ``a`` (SciPy's on the CPU, CuPy's on a
    GPU; see ``backends``)."""
    return ctx.backend.special(name, a)


class Erfc(_Unary):
    r"""z = 1 - erf(a);  dz/da = -2 e^{-a^2} / \sqrt{\pi}."""

    @staticmethod
    def value(ctx, a):
        return special(ctx, "erfc", a)

    @staticmethod
    def slope(ctx, a, out):
        return -2 / math.sqrt(math.pi) * ctx.xp.exp(-a * a)


class Erfinv(_Unary):
    r"""z = erf^{-1}(a);  dz/da = \frac{\sqrt{\pi}}{2} e^{z^2}."""

    saves = "out"

    @staticmethod
    def value(ctx, a):
        return special(ctx, "erfinv", a)

    @staticmethod
    def slope(ctx, a, out):
        return math.sqrt(math.pi) / 2 * ctx.xp.exp(out * out)


class Lgamma(_Unary):
    r"""z = \ln|\Gamma(a)| (+inf at ±inf, as C's ``lgamma``, where SciPy gives -inf at
    -inf);  dz/da = \psi(a) (digamma)."""

    @staticmethod
    def value(ctx, a):
        return ctx.xp.where(a == -math.inf, math.inf, special(ctx, "lgamma", a))

    @staticmethod
    def slope(ctx, a, out):
        return special(ctx, "digamma", a)


class Digamma(_Unary):
    r"""z = \psi(a) = \Gamma'(a) / \Gamma(a) (-inf at 0, NaN at negative integers);
    dz/da = \psi_1(a) (trigamma)."""

    @staticmethod
    def value(ctx, a):
        return special(ctx, "digamma", a)

    @staticmethod
    def slope(ctx, a, out):
        return special(ctx, "trigamma", a)


class I0(_Unary):
    r"""z = I_0(a), the modified Bessel function of order 0;  dz/da = I_1(a)."""

    @staticmethod
    def value(ctx, a):
        return ctx.xp.i0(a)

    @staticmethod
    def slope(ctx, a, out):
        return special(ctx, "i1", a)


class Sinc(_Unary):
    r"""z = \sin(\pi a) / (\pi a), 1 at 0;
    dz/da = (\pi a \cos(\pi a) - \sin(\pi a)) / (\pi a^2), 0 at 0."""

    @staticmethod
    def value(ctx, a):
        return ctx.xp.sinc(a)

    @staticmethod
    def slope(ctx, a, out):
        xp = ctx.xp
        pa = math.pi * a
        safe = xp.where(a == 0, 1, a)
        return xp.where(a == 0, 0, (pa * xp.cos(pa) - xp.sin(pa)) / (math.pi * safe * safe))


class Deg2rad(_Unary):
    r"""z = a \pi / 180;  dz/da = \pi / 180."""

    label = "Deg2RadBackward0"
    saves = ""

    @staticmethod
    def value(ctx, a):
        return a * (math.pi / 180)

    @staticmethod
    def slope(ctx, a, out):
        return math.pi / 180


class Rad2deg(_Unary):
    r"""z = a \cdot 180 / \pi;  dz/da = 180 / \pi."""

    label = "Rad2DegBackward0"
    saves = ""

    @staticmethod
    def value(ctx, a):
        return a * (180 / math.pi)

    @staticmethod
    def slope(ctx, a, out):
        return 180 / math.pi


class Logit(Function):
    r"""z = \ln(a / (1 - a)), a first clamped to [eps, 1 - eps] when eps is given;
    dz/da = 1 / (a (1 - a)): 0 outside [eps, 1 - eps] with eps, NaN outside [0, 1]
    without (as torch's logit_backward)."""

    quiet = True

    @staticmethod
    def forward(ctx, a, eps=None):
        a = floating(a)
        xp = ctx.xp
        ctx.eps = eps
        ctx.save_for_backward(a)
        x = a if eps is None else xp.clip(a, eps, 1 - eps)
        return xp.log(x / (1 - x)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        xp, eps = ctx.xp, ctx.eps
        slope = grad / (a * (1 - a))
        if eps is None:
            return xp.where((a < 0) | (a > 1), math.nan, slope).astype(grad.dtype, copy=False)
        return xp.where((a < eps) | (a > 1 - eps), 0, slope).astype(grad.dtype, copy=False)
