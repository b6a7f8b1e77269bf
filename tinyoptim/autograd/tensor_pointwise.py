"""More elementwise methods of ``Tensor``, as torch's: rounding, logs and powers,
trigonometry, blends (``lerp``, ``addcmul``, ``addcdiv``), ``masked_fill`` and the
boolean tests (``isnan``, ``any``, ...).

Each differentiable method applies one op of ``ops/pointwise.py`` or composes ops the
graph already knows, so its gradient is theirs. The boolean ones return tensors without
grad, as comparisons do.
"""

from __future__ import annotations

from . import function
from .function import labelled
from .ops import pointwise as pw
from .ops import selection

ADDCDIV_INTEGERS = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * tinyoptim.trunc(tensor1 / tensor2)).to(input.dtype) "
    "for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The "
    "future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes."
)


class PointwiseOps:
    """Elementwise op methods of ``Tensor``, which inherits them (no state of its own)."""

    __slots__ = ()

    def sign(self):
        return pw.Sign.apply(self)

    def floor(self):
        return pw.Floor.apply(self)

    def ceil(self):
        return pw.Ceil.apply(self)

    def round(self):
        return pw.Round.apply(self)

    def trunc(self):
        return pw.Trunc.apply(self)

    def frac(self):
        return labelled(self - self.trunc(), "FracBackward0")

    def log1p(self):
        return pw.Log1p.apply(self)

    def expm1(self):
        return pw.Expm1.apply(self)

    def exp2(self):
        return pw.Exp2.apply(self)

    def log2(self):
        return pw.Log2.apply(self)

    def log10(self):
        return pw.Log10.apply(self)

    def rsqrt(self):
        return pw.Rsqrt.apply(self)

    def reciprocal(self):
        return pw.Reciprocal.apply(self)

    def square(self):
        return (self.long() if self.dtype.name == "bool" else self) ** 2

    def tan(self):
        return pw.Tan.apply(self)

    def sinh(self):
        return pw.Sinh.apply(self)

    def cosh(self):
        return pw.Cosh.apply(self)

    def asin(self):
        return pw.Asin.apply(self)

    def acos(self):
        return pw.Acos.apply(self)

    def atan(self):
        return pw.Atan.apply(self)

    def erf(self):
        return pw.Erf.apply(self)

    arcsin, arccos, arctan = asin, acos, atan

    def clamp_min(self, min):
        kind = "1" if isinstance(min, function.Tensor) else "0"
        return labelled(self.clamp(min=min), "ClampMinBackward" + kind)

    def clamp_max(self, max):
        kind = "1" if isinstance(max, function.Tensor) else "0"
        return labelled(self.clamp(max=max), "ClampMaxBackward" + kind)

    def true_divide(self, other):
        return self / other

    # torch's other names
    def multiply(self, other):
        return self * other

    def subtract(self, other, *, alpha=1):
        return self.sub(other, alpha=alpha)

    def divide(self, other, *, rounding_mode=None):
        return self.div(other, rounding_mode=rounding_mode)

    def absolute(self):
        return self.abs()

    def negative(self):
        return -self

    def positive(self):
        return self

    def greater(self, other):
        return self.gt(other)

    def greater_equal(self, other):
        return self.ge(other)

    def less(self, other):
        return self.lt(other)

    def less_equal(self, other):
        return self.le(other)

    def not_equal(self, other):
        return self.ne(other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        from .function_forms import isclose

        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        from .function_forms import allclose

        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        from .function_forms import equal

        return equal(self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the
        dtype's largest and lowest finite values); the gradient passes where the element
        was finite, and is 0 elsewhere."""
        xp = self.backend.xp
        filled = xp.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        replacements = function.Tensor._make(filled, self._device)
        out = selection.Where.apply(self.isfinite(), self, replacements)
        return labelled(out, "NanToNumBackward0")

    def lerp(self, end, weight):
        """self + weight (end - self), evaluated as torch does: from ``end`` backwards,
        end - (1 - weight)(end - self), when weight >= 0.5, so that weight 1 gives ``end``."""
        _check_same_dtype(self, end, "end")
        if isinstance(weight, function.Tensor):
            _check_same_dtype(self, weight, "weight")
            near = self + weight * (end - self)
            far = end - (end - self) * (1 - weight)
            out = selection.Where.apply(weight.abs() < 0.5, near, far)
            return labelled(out, "LerpBackward1")
        if abs(weight) < 0.5:
            return labelled(self + weight * (end - self), "LerpBackward0")
        return labelled(end - (end - self) * (1 - weight), "LerpBackward0")

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value tensor1 tensor2."""
        return labelled(self + value * tensor1 * tensor2, "AddcmulBackward0")

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value tensor1 / tensor2."""
        if not (tensor1.dtype.is_floating_point or tensor2.dtype.is_floating_point):
            raise RuntimeError(ADDCDIV_INTEGERS)
        return labelled(self + value * tensor1 / tensor2, "AddcdivBackward0")

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, else this tensor's element."""
        _check_mask(mask, "masked_fill")
        if isinstance(value, function.Tensor) and value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        label = (
            "MaskedFillBackward1" if isinstance(value, function.Tensor) else "MaskedFillBackward0"
        )
        value = value if isinstance(value, function.Tensor) else float(value)
        out = selection.Where.apply(mask, value, self)
        return labelled(out if out.dtype == self.dtype else out.to(self.dtype), label)

    # -- boolean tests: no grad ---------------------------------------------------------

    def isnan(self):
        return self._test("isnan")

    def isinf(self):
        return self._test("isinf")

    def isfinite(self):
        return self._test("isfinite")

    def logical_not(self):
        return self._test("logical_not")

    def logical_and(self, other):
        return self._test("logical_and", other)

    def logical_or(self, other):
        return self._test("logical_or", other)

    def logical_xor(self, other):
        return self._test("logical_xor", other)

    def any(self, dim=None, keepdim: bool = False):
        return self._reduce_test("any", dim, keepdim)

    def all(self, dim=None, keepdim: bool = False):
        return self._reduce_test("all", dim, keepdim)

    def _test(self, name: str, *others):
        for other in others:
            if not isinstance(other, function.Tensor):
                raise TypeError(
                    f"{name}(): argument 'other' (position 1) must be Tensor, not "
                    f"{type(other).__name__}"
                )
        xp = self.backend.xp
        arrays = [o.data if isinstance(o, function.Tensor) else o for o in others]
        return function.Tensor._make(getattr(xp, name)(self.data, *arrays), self._device)

    def _reduce_test(self, name: str, dim, keepdim: bool):
        from .ops.reduce import _axes

        axes = _axes(dim, self.ndim)
        out = getattr(self.backend.xp, name)(self.data, axis=axes, keepdims=keepdim)
        return function.Tensor._make(self.backend.ensure_array(out), self._device)


def _check_same_dtype(t, other, name: str) -> None:
    if isinstance(other, function.Tensor) and other.dtype != t.dtype:
        raise RuntimeError(
            f"expected dtype {t.dtype.c_name} for `{name}` but got dtype {other.dtype.c_name}"
        )


def _check_mask(mask, name: str) -> None:
    if not isinstance(mask, function.Tensor) or mask.dtype.name != "bool":
        got = mask.dtype.c_name if isinstance(mask, function.Tensor) else type(mask)
        raise RuntimeError(f"{name}_ only supports boolean masks, but got mask with dtype {got}")
