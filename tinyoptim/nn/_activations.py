r"""More activation functions of ``nn.functional`` (re-exported there), with torch's values
and gradients, at the kinks too.

Each but ``elu`` (its own op, see there) is a composition of differentiable tensor ops, so
its gradient is theirs. ``where`` selects a branch rather than multiplying by a mask, and a
branch that could overflow where it is not selected reads a masked input instead, so that
no 0 · inf = NaN comes back from it (softplus for large x). Where the branch is chosen
decides the gradient at a kink, as in torch: ``leaky_relu``'s at 0 is the slope,
``hardtanh``'s at its bounds is 0. NumPy's warnings about inf and NaN are silenced, as
torch computes through them quietly.

The composed ``inplace=True`` forms compute out of place and write the result into the
input (see ``_inplace``): the values and gradients are torch's, the node is a copy's.
"""

from __future__ import annotations

from ..autograd import inplace as inplace_ops
from ..autograd.function import quiet_math  # what Function.quiet ops run under
from ..autograd.functional import where
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.ops import activation_more
from ..autograd.tensor import Tensor

__all__ = [
    "elu",
    "hardtanh",
    "leaky_relu",
    "mish",
    "relu6",
    "silu",
    "softmin",
    "softplus",
    "softsign",
]


def _floating(input: Tensor, kernel: str) -> None:
    """torch's refusal to run a floating-point kernel on an integer or bool tensor."""
    if not input.dtype.is_floating_point:
        where_ = "cuda" if input.device.type == "cuda" else "cpu"
        raise NotImplementedError(
            f"\"{kernel}_{where_}\" not implemented for '{input.dtype.scalar_name}'"
        )


def _inplace(input: Tensor, fn) -> Tensor:
    """``input`` overwritten with ``fn(input)``. When the write is recorded, ``fn`` reads a
    copy (which the graph keeps), so the gradient reaches the input's old value through
    ``fn``; a leaf that requires grad is refused, as torch refuses it."""
    source = input.clone() if input.requires_grad and is_grad_enabled() else input
    return input.copy_(fn(source))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""x where x > 0, else s x;  the derivative is 1 where x > 0, else s (s at 0 and NaN)."""
    _floating(input, "leaky_relu")
    if inplace:
        return _inplace(input, lambda x: leaky_relu(x, negative_slope))
    with quiet_math():
        return where(input > 0, input, input * negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""x where x > 0, else α (e^x - 1);  the derivative is 1 where x > 0, else α e^x (α at
    0, NaN at NaN). Its own op (``ops/activation_more.py``): a composition with ``expm1`` would
    lose the derivative's e^x for very negative x."""
    _floating(input, "elu")
    if inplace:
        return inplace_ops.apply(input, activation_more.Elu, alpha=alpha)
    return activation_more.Elu.apply(input, alpha=alpha)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""x σ(x);  the derivative is σ(x) (1 + x (1 - σ(x)))."""
    _floating(input, "silu")
    if inplace:
        return _inplace(input, silu)
    with quiet_math():
        return input * input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""\frac{1}{β} \log(1 + e^{β x}), and x itself where β x > ``threshold`` (torch's
    switch to the linear part, which keeps large x from overflowing);  the derivative is
    e^{β x} / (1 + e^{β x}), or 1 past the threshold."""
    _floating(input, "softplus")
    scaled = input * beta
    linear = scaled > threshold
    with quiet_math():
        safe = where(linear, 0.0, scaled)  # e^{βx} only where it is used: no 0 · inf
        return where(linear, input, safe.exp().log1p() / beta)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""x \tanh(\operatorname{softplus}(x));  the derivative is
    \tanh(sp) + x σ(x) (1 - \tanh^2(sp)). Past softplus's threshold (x > 20) \tanh is 1
    either way, so the values are torch's, and the gradient does not overflow."""
    _floating(input, "mish")
    if inplace:
        return _inplace(input, mish)
    with quiet_math():
        return input * softplus(input).tanh()


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    r"""\min(\max(x, lo), hi);  the derivative is 1 where lo < x < hi, else 0: 0 at the
    bounds themselves (not clamp's 1), and at NaN as in torch's vectorised kernel (its
    scalar loop, which takes a short tensor's tail, passes a NaN's gradient)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _inplace(input, lambda x: hardtanh(x, min_val, max_val))
    # the values outside, as torch's kernel gives them (x itself at x = lo, so -0.0 stays
    # -0.0), held out of the graph: at and past the bounds the gradient is 0
    fixed = input.detach()
    bounded = where(fixed < min_val, min_val, where(fixed > max_val, max_val, fixed))
    if not input.dtype.is_floating_point:  # torch keeps an integer input's dtype
        bounded = bounded.to(input.dtype)
    return where((input > min_val) & (input < max_val), input, bounded)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    r"""\min(\max(x, 0), 6): ``hardtanh(x, 0, 6)``, so the gradient at 0 and at 6 is 0."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softsign(input: Tensor) -> Tensor:
    r"""x / (1 + |x|), composed as torch composes it."""
    with quiet_math():
        return input / (input.abs() + 1)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""e^{-x_i} / \sum_j e^{-x_j} along ``dim``: the softmax of -x."""
    from .functional import _softmax_dim  # functional imports this module

    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    negated = -input
    return (negated if dtype is None else negated.to(dtype)).softmax(dim)
