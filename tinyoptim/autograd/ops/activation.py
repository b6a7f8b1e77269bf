"""The activation functions: tanh, the logistic sigmoid, ReLU and GELU.

Each saves what its derivative needs (the output where the derivative is a function of
it, as for tanh, sigmoid and ReLU; the input for GELU) and gives it in its docstring.
"""

from __future__ import annotations

import math

from ..function import Function
from ._util import floating


class Tanh(Function):
    r"""z = \tanh a;  dz/da = 1 - z^2."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        out = ctx.xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * (1 - out * out)


class Sigmoid(Function):
    r"""z = 1 / (1 + e^{-a});  dz/da = z (1 - z)."""

    @staticmethod
    def forward(ctx, a):
        a = floating(a)
        xp = ctx.xp
        # Two branches so that neither e^{-a} nor e^{a} overflows.
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        return grad * out * (1 - out)


class Relu(Function):
    r"""z = \max(a, 0);  dz/da = 0 where z <= 0, else 1 (so a NaN passes its gradient).

    With the ``[fast]`` extra, a large contiguous array takes one compiled pass each way
    (``backends/kernels_cpu_relu.py``) instead of NumPy's two.
    """

    @staticmethod
    def forward(ctx, a):
        kernels = _compiled(ctx, a)
        if kernels is not None:
            out = kernels.relu(a)
        else:
            # Against an array of zeros rather than the scalar 0: the same results, and
            # NumPy's fast loop for two arrays (the scalar one is several times slower).
            out = ctx.xp.maximum(a, ctx.xp.zeros_like(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved
        kernels = _compiled(ctx, grad)
        if kernels is not None and out.dtype == grad.dtype and out.flags.c_contiguous:
            return kernels.relu_backward(grad, out)
        return grad * ~(out <= 0)  # torch's rule: a NaN input passes its gradient on


COMPILED_ELEMENTS = 1 << 14  # below this, NumPy's two passes cost less than the call


def _compiled(ctx, array):
    """The backend's compiled op kernels when they take ``array``, else None."""
    if array.size < COMPILED_ELEMENTS:
        return None
    kernels = ctx.backend.op_kernels()
    if kernels is None or not kernels.supports(array.dtype):
        return None
    return kernels if array.flags.c_contiguous else None


class Gelu(Function):
    r"""z = a \Phi(a) with \Phi the normal CDF;  dz/da = \Phi(a) + a \phi(a).

    ``approximate="tanh"`` uses torch's tanh formula,
    z = a/2 (1 + \tanh(\sqrt{2/\pi}(a + 0.044715 a^3))).
    """

    @staticmethod
    def forward(ctx, a, approximate="none"):
        a = floating(a)
        xp = ctx.xp
        ctx.approximate = approximate
        ctx.save_for_backward(a)
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a * a * a)
            return 0.5 * a * (1 + xp.tanh(inner))
        if approximate != "none":
            raise RuntimeError("approximate argument must be either none or tanh.")
        return 0.5 * a * (1 + ctx.backend.erf(a * (1 / math.sqrt(2))))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        xp = ctx.xp
        if ctx.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = xp.tanh(k * (a + 0.044715 * a * a * a))
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a))
        cdf = 0.5 * (1 + ctx.backend.erf(a * (1 / math.sqrt(2))))
        pdf = xp.exp(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + a * pdf)
