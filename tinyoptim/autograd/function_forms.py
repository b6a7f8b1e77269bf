"""torch's function forms of tensor methods, and its tensor predicates.

``tinyoptim.exp(x)`` is ``x.exp()``, ``tinyoptim.sum(x, dim=1)`` is ``x.sum(dim=1)``, and so
on for every method below whose torch counterpart is also a top-level function. As in
torch, the first argument must be a tensor (``tinyoptim.exp(1.0)`` raises a TypeError),
except that ``pow`` also takes a number for its base.

Written out: ``pow``, ``is_tensor``, ``numel``, ``isclose``, ``allclose``, ``equal``,
``rand_like`` and ``randn_like``.
"""

from __future__ import annotations

from ..backends import quiet_math
from . import factories
from .tensor import Tensor

METHODS = (
    # arithmetic and comparisons
    "add sub mul div true_divide floor_divide remainder neg matmul mm bmm dot "
    "eq ne lt le gt ge logical_and logical_or logical_xor logical_not "
    "multiply subtract divide absolute negative positive "
    "greater greater_equal less less_equal not_equal "
    # pointwise math
    "abs exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square reciprocal sign "
    "sin cos tan sinh cosh asin acos atan arcsin arccos arctan tanh sigmoid relu erf "
    "floor ceil round trunc frac clamp clip clamp_min clamp_max lerp addcmul addcdiv "
    "masked_fill isnan isinf isfinite nan_to_num "
    # reductions
    "sum mean std var max min amax amin argmax argmin logsumexp norm all any "
    "softmax log_softmax prod cumsum cumprod "
    # ordering
    "sort argsort topk flip roll "
    # indexing
    "scatter scatter_add index_add index_fill index_copy masked_select nonzero "
    "take_along_dim select tril triu diag outer trace repeat_interleave movedim moveaxis "
    "unflatten tensor_split "
    # more math
    "atan2 arctan2 hypot fmod copysign logaddexp xlogy float_power sgn signbit erfc erfinv "
    "lgamma digamma logit sinc deg2rad rad2deg i0 nansum nanmean count_nonzero aminmax "
    "median nanmedian kthvalue mode logcumsumexp "
    # structure
    "reshape flatten squeeze unsqueeze transpose swapaxes permute t narrow chunk split "
    "unbind gather index_select clone detach is_floating_point "
    # in place
    "abs_ atan_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ detach_ erf_ exp_ expm1_ "
    "fill_ floor_ log1p_ log_ neg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sqrt_ "
    "square_ tan_ tanh_ trunc_ zero_"
).split()


def _function_form(name: str):
    def method_as_function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}"
            )
        return getattr(input, name)(*args, **kwargs)

    method_as_function.__name__ = method_as_function.__qualname__ = name
    method_as_function.__doc__ = f"``{name}(input, ...)`` is ``input.{name}(...)``."
    return method_as_function


FUNCTIONS = {name: _function_form(name) for name in METHODS}


def pow(input, exponent):  # noqa: A001 - torch's name
    """``input ** exponent``; ``input`` may be a number when ``exponent`` is a tensor."""
    if isinstance(input, Tensor) or not isinstance(exponent, Tensor):
        return _tensor(input, "pow").pow(exponent)
    return input**exponent


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a tinyoptim Tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """The number of elements of ``input``."""
    return _tensor(input, "numel").numel()


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol |other|``, as torch decides it: equal
    values (infinities included) are close, NaNs only with ``equal_nan``."""
    a, b = _tensor(input, "isclose"), _tensor(other, "isclose", "other", 2)
    if a.dtype != b.dtype:
        raise RuntimeError(f"{a.dtype.scalar_name} did not match {b.dtype.scalar_name}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    xp, x, y = a.device.backend.xp, a.data, b.data
    with quiet_math():
        close = x == y
        if a.dtype.is_floating_point:
            if equal_nan:
                close = close | (xp.isnan(x) & xp.isnan(y))
            finite = xp.isfinite(x) & xp.isfinite(y)
            close = close | (finite & (xp.abs(x - y) <= atol + rtol * xp.abs(y)))
        elif a.dtype.name != "bool":
            difference = xp.abs(x.astype("float64") - y.astype("float64"))
            close = close | (difference <= atol + rtol * xp.abs(y.astype("float64")))
    return Tensor._make(close, a.device)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of ``input`` is close to ``other`` (``isclose``, broadcast)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input, other) -> bool:
    """Whether the two tensors have one size and equal elements."""
    a, b = _tensor(input, "equal"), _tensor(other, "equal", "other", 2)
    return tuple(a.shape) == tuple(b.shape) and bool((a == b).all())


def rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform draws in [0, 1) of ``input``'s shape, dtype and device unless given."""
    shape, options = _like(input, "rand_like", dtype, device, requires_grad)
    return factories.rand(*shape, **options)


def randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal draws of ``input``'s shape, dtype and device unless given."""
    shape, options = _like(input, "randn_like", dtype, device, requires_grad)
    return factories.randn(*shape, **options)


def _like(input, name, dtype, device, requires_grad):
    like = _tensor(input, name)
    device = like.device if device is None else device
    options = dict(dtype=dtype or like.dtype, device=device, requires_grad=requires_grad)
    return tuple(like.shape), options


def _tensor(value, name, argument="input", position=1) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name}(): argument '{argument}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )
    return value
