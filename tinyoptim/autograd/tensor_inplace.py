"""The in-place methods of ``Tensor``: ``add_``, ``mul_``, ``exp_``, ``x += y`` and friends.

Each is one line that hands an op of ``autograd/ops/`` to ``inplace.py``, which runs it,
writes the result into the tensor's own array, bumps the version counter and, inside a
graph, makes the tensor the op's output (for a view, its base too: ``views.py``).
"""

from __future__ import annotations

from . import function, inplace
from .ops import activation, selection
from .ops import elementwise as ew
from .ops import pointwise as pw


class InplaceOps:
    """The in-place op methods of ``Tensor``, which inherits them (no state of its own)."""

    __slots__ = ()

    def zero_(self):
        return inplace.fill(self, 0, label="ZeroBackward0")

    def fill_(self, value):
        return inplace.fill(self, value)

    def copy_(self, src):
        return inplace.copy(self, src)

    def add_(self, other, alpha=1):
        return inplace.apply(self, ew.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return inplace.apply(self, ew.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return inplace.apply(self, ew.Mul, other)

    def div_(self, other):
        return inplace.apply(self, ew.Div, other)

    def pow_(self, exponent):
        return inplace.apply(self, ew.Pow, exponent)

    def clamp_(self, min=None, max=None):
        if any(isinstance(b, function.Tensor) and b.requires_grad for b in (min, max)):
            # the bounds get gradients; clamped from a copy, whose saved values stay put
            return inplace.copy(self, self.clone().clamp(min, max))
        return inplace.apply(self, selection.Clamp, min=_bound(min), max=_bound(max))

    clip_ = clamp_

    def neg_(self):
        return inplace.apply(self, ew.Neg)

    def abs_(self):
        return inplace.apply(self, ew.Abs)

    def exp_(self):
        return inplace.apply(self, ew.Exp)

    def log_(self):
        return inplace.apply(self, ew.Log)

    def sqrt_(self):
        return inplace.apply(self, ew.Sqrt)

    def sin_(self):
        return inplace.apply(self, ew.Sin)

    def cos_(self):
        return inplace.apply(self, ew.Cos)

    def tanh_(self):
        return inplace.apply(self, activation.Tanh)

    def sigmoid_(self):
        return inplace.apply(self, activation.Sigmoid)

    def relu_(self):
        return inplace.apply(self, activation.Relu)

    def lerp_(self, end, weight):
        return _named(self.add_(weight * (end - self)), "LerpBackward0")

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _named(self.add_(value * tensor1 * tensor2), "AddcmulBackward0")

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _named(self.add_(value * tensor1 / tensor2), "AddcdivBackward0")

    def masked_fill_(self, mask, value):
        filled = inplace.copy(self, self.masked_fill(mask, value))
        label = (
            "MaskedFillBackward1" if isinstance(value, function.Tensor) else "MaskedFillBackward0"
        )
        return _named(filled, label)

    def uniform_(self, a: float = 0.0, b: float = 1.0):
        """Fill with draws from U(a, b) (the global generator, on the host)."""
        from .factories import rand

        if not self.dtype.is_floating_point:
            raise NotImplementedError(
                f"\"check_uniform_bounds\" not implemented for '{self.dtype.scalar_name}'"
            )
        if a > b:
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
            )
        draws = rand(self.shape, dtype=self.dtype, device=self.device)
        return inplace.copy(self, draws * (b - a) + a)

    def normal_(self, mean: float = 0.0, std: float = 1.0):
        """Fill with draws from N(mean, std^2) (the global generator, on the host)."""
        from .factories import randn

        if not self.dtype.is_floating_point:
            raise NotImplementedError(
                f"\"normal_kernel_cpu\" not implemented for '{self.dtype.scalar_name}'"
            )
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        draws = randn(self.shape, dtype=self.dtype, device=self.device)
        return inplace.copy(self, draws * std + mean)

    def sign_(self):
        return inplace.apply(self, pw.Sign)

    def floor_(self):
        return inplace.apply(self, pw.Floor)

    def ceil_(self):
        return inplace.apply(self, pw.Ceil)

    def round_(self):
        return inplace.apply(self, pw.Round)

    def trunc_(self):
        return inplace.apply(self, pw.Trunc)

    def log1p_(self):
        return inplace.apply(self, pw.Log1p)

    def expm1_(self):
        return inplace.apply(self, pw.Expm1)

    def rsqrt_(self):
        return inplace.apply(self, pw.Rsqrt)

    def reciprocal_(self):
        return inplace.apply(self, pw.Reciprocal)

    def square_(self):
        return self.mul_(self)

    def tan_(self):
        return inplace.apply(self, pw.Tan)

    def atan_(self):
        return inplace.apply(self, pw.Atan)

    def erf_(self):
        return inplace.apply(self, pw.Erf)

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)


def _named(t, label: str):
    """``t``, its node named as torch names the node of the in-place method that made it
    (for a view, the base's node stays CopySlices and the view's AsStridedBackward0)."""
    return function.labelled(t, label) if t._view is None else t


def _bound(value):
    """A clamp bound as ``Clamp`` takes it: a tensor's array (bounds get no gradient); a
    number, None or anything else as it is (``Clamp`` says what it cannot take)."""
    return value.data if isinstance(value, function.Tensor) else value
