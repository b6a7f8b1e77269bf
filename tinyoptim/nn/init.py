r"""Weight initialisers, as ``torch.nn.init``: each fills a tensor in place and returns it.

Every draw is made on the host from tinyoptim's one generator (``tinyoptim.manual_seed``)
and then copied into the tensor, under ``no_grad``, so a CPU and a GPU model built after
the same seed start identical. The variance-preserving rules:

.. math::
    \text{xavier: } \sigma = g \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}, \qquad
    \text{kaiming: } \sigma = g / \sqrt{\text{fan}}

and a uniform draw on [-\sqrt{3}\sigma, \sqrt{3}\sigma] has standard deviation σ.
"""

from __future__ import annotations

import math
import warnings

from ..autograd import factories
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain g for a nonlinearity (1 for linear/sigmoid, √2 for relu, ...)."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple:
    """(fan_in, fan_out): input and output features times the kernel's receptive field."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = 1
    for n in tensor.shape[2:]:
        receptive_field *= n
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill_from_host(tensor: Tensor, draws: Tensor) -> Tensor:
    with no_grad():
        tensor.copy_(draws)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    r"""Fill with draws from U(a, b)."""
    u = factories.rand(tensor.shape, dtype=tensor.dtype, device="cpu")
    return _fill_from_host(tensor, u * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    r"""Fill with draws from N(mean, std²)."""
    z = factories.randn(tensor.shape, dtype=tensor.dtype, device="cpu")
    return _fill_from_host(tensor, z * std + mean)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    r"""Fill with draws from N(mean, std²) truncated to [a, b], by the inverse CDF (torch's
    method): u ~ U(Φ(α), Φ(β)) with α, β the bounds in standard units, then
    x = mean + std \sqrt{2} \operatorname{erfinv}(2u - 1), clamped to [a, b]."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    u = factories.rand(tensor.shape, dtype=tensor.dtype, device="cpu")
    u = u * (2 * high - 2 * low) + (2 * low - 1)  # U(2Φ(α) - 1, 2Φ(β) - 1)
    x = Tensor._make(u.backend.erfinv(u.data), u.device) * (std * math.sqrt(2.0)) + mean
    return _fill_from_host(tensor, x.clamp(min=a, max=b))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity (ones on the diagonal), as ``torch.eye``."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_from_host(tensor, factories.eye(*tensor.shape, dtype=tensor.dtype, device="cpu"))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-d convolution weight with the Dirac delta: each of the first
    input channels of a group passes through to its output channel unchanged."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    with no_grad():
        tensor.zero_()
        for g in range(groups):  # a loop over channels, not elements
            for d in range(min(per_group, tensor.shape[1])):
                tensor[(g * per_group + d, d) + centre] = 1
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), the dims
    after the first flattened: A ~ N(0, 1) of shape (rows, cols), transposed when wide,
    A = QR, and Q · sign(diag R), which makes Q Haar-distributed (Mezzadri, 2007)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = factories.randn((rows, cols), dtype=tensor.dtype, device="cpu")
    if rows < cols:
        flattened = flattened.t()
    xp = flattened.backend.xp
    q, r = xp.linalg.qr(flattened.data)
    q = q * xp.sign(xp.diagonal(r))
    q = Tensor._make(q.T if rows < cols else q, flattened.device)
    return _fill_from_host(tensor, q.reshape(tensor.shape) * gain)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    r"""Fill a 2-d tensor with N(0, std²) draws, then zero \lceil sparsity · rows \rceil
    randomly chosen entries of every column (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    draws = factories.randn((rows, cols), dtype=tensor.dtype, device="cpu") * std
    # a random permutation of the rows per column: the order of uniform draws down each one
    u = factories.rand((rows, cols), device="cpu")
    xp = u.backend.xp
    zeros = xp.argsort(u.data, axis=0)[:num_zeros]
    keep = xp.ones((rows, cols), dtype=bool)
    xp.put_along_axis(keep, zeros, False, axis=0)
    values = xp.where(keep, draws.data, xp.zeros((), dtype=draws.data.dtype))
    return _fill_from_host(tensor, Tensor._make(values, draws.device))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""U(-a, a) with a = g \sqrt{6 / (\text{fan\_in} + \text{fan\_out})} (Glorot, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""N(0, σ²) with σ = g \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    r"""U(-b, b) with b = \sqrt{3} g / \sqrt{\text{fan}} (He et al., 2015); ``a`` is the slope."""
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    r"""N(0, σ²) with σ = g / \sqrt{\text{fan}} (He et al., 2015)."""
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def init_linear_like_(weight: Tensor, bias: Tensor | None) -> None:
    r"""torch's Linear/Conv default: W ~ kaiming_uniform(a=√5), b ~ U(±1/\sqrt{fan_in})."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
