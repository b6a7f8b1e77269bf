r"""The function forms of the layers and losses, with torch's signatures (``nn.functional``).

Layers with a dedicated backward (conv, pooling, embedding, NLL) call their op in
``autograd/ops``; the rest are compositions of tensor ops, exact and cheap, whose
gradients come from the ops they are made of. The losses live in ``_losses.py``, the
pooling functions in ``_pooling.py`` and ``pad`` in ``_padding.py``, re-exported here.
"""

from __future__ import annotations

import warnings

from ..autograd import factories
from ..autograd import inplace as inplace_ops
from ..autograd.functional import where
from ..autograd.grad_mode import no_grad
from ..autograd.ops import activation, linalg
from ..autograd.ops import conv as conv_ops
from ..autograd.ops import elementwise as ew
from ..autograd.ops import embedding as embedding_ops
from ..autograd.ops import loss as loss_ops
from ..autograd.tensor import Tensor
from ._activations import elu, hardtanh, leaky_relu, mish, relu6, silu, softmin, softplus, softsign
from ._adaptive import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
)
from ._distance import cosine_similarity, normalize, one_hot, pairwise_distance
from ._group_norm import dropout1d, dropout2d, group_norm, instance_norm, prelu
from ._losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from ._more_losses import binary_cross_entropy, huber_loss, kl_div, l1_loss, smooth_l1_loss
from ._padding import pad
from ._pooling import avg_pool2d, max_pool2d, max_pool2d_with_indices, max_unpool2d
from ._upsample import interpolate

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout1d",
    "dropout2d",
    "elu",
    "embedding",
    "flatten",
    "gelu",
    "group_norm",
    "hardtanh",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_unpool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "prelu",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
]


# -- layers ----------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""y = x W^T + b: one op for a matrix W and a bias of its row count (or none)."""
    if weight.ndim == 2 and (
        bias is None or (bias.shape == weight.shape[:1] and bias.dtype == weight.dtype)
    ):
        return linalg.Linear.apply(input, weight, bias)
    out = input @ weight.t()  # any other shapes: matmul's and broadcasting's rules
    return out if bias is None else out + bias


def _conv_padding(padding, weight_shape, dilation, stride):
    """``(pair, extra)``: the padding on both sides of each spatial dim, and what to pad on
    the right and bottom only (None if nothing). ``"valid"`` is 0; ``"same"`` keeps the size
    at stride 1, and for an even effective kernel pads the odd cell on the right/bottom."""
    if isinstance(padding, str) and padding not in ("valid", "same"):
        raise ValueError(
            f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
        )
    if padding == "valid":
        return (0, 0), None
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, weight_shape[2:])]
        extra = (0, total[1] % 2, 0, total[0] % 2)  # F.pad's order: width, then height
        return (total[0] // 2, total[1] // 2), extra if any(extra) else None
    return conv_ops.pair(padding, "padding"), None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    r"""2-d cross-correlation: y_{n,o} = b_o + \sum_c W_{o,c} \star x_{n,c} (see ops/conv.py)."""
    stride, dilation = conv_ops.pair(stride, "stride"), conv_ops.pair(dilation, "dilation")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero")
    padding, extra = _conv_padding(padding, weight.shape, dilation, stride)
    if min(padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(
            f"Input type ({input.dtype.c_name}) and bias type ({bias.dtype.c_name}) should be "
            "the same"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}"
        )
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4:
        raise RuntimeError(
            f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"{list(input.shape)}"
        )
    if extra is not None:  # as torch: the asymmetric part first, then a symmetric padding
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created",
            UserWarning,
            stacklevel=2,
        )
        input = pad(input, extra)
    geometry = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if bias is None:
        out = conv_ops.Conv2d.apply(input, weight, **geometry)
    else:
        out = conv_ops.Conv2d.apply(input, weight, bias, **geometry)
    return out.squeeze(0) if unbatched else out


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""\max(x, 0)."""
    return inplace_ops.apply(input, activation.Relu) if inplace else activation.Relu.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    r"""x \Phi(x), or torch's tanh approximation with ``approximate="tanh"``."""
    return activation.Gelu.apply(input, approximate=approximate)


def tanh(input: Tensor) -> Tensor:
    r"""\tanh(x)."""
    return activation.Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    r"""1 / (1 + e^{-x})."""
    return activation.Sigmoid.apply(input)


def logsigmoid(input: Tensor) -> Tensor:
    r"""\log \sigma(x), computed without overflow."""
    return loss_ops.LogSigmoid.apply(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's legacy implicit dim, with its deprecation warning."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""e^{x_i} / \sum_j e^{x_j} along ``dim``."""
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_softmax_dim("softmax", x.ndim, _stacklevel) if dim is None else dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""x_i - \log \sum_j e^{x_j} along ``dim``."""
    x = input if dtype is None else input.to(dtype)
    dim = _softmax_dim("log_softmax", x.ndim, _stacklevel) if dim is None else dim
    return x.log_softmax(dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim`` .. ``end_dim`` into one."""
    return input.flatten(start_dim, end_dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    r"""Zero each element with probability p and scale the rest by 1/(1-p) (when training)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        mask = factories.zeros(input.shape, dtype=input.dtype, device=input.device)
    else:
        draws = factories.rand(input.shape, dtype=input.dtype, device=input.device)
        mask = (draws < 1 - p).to(input.dtype) * (1 / (1 - p))
    return inplace_ops.apply(input, ew.Mul, mask) if inplace else input * mask


def _channel_view(t: Tensor, ndim: int) -> Tensor:
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast over an (N, C, ...) input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
) -> Tensor:
    r"""y = (x - μ) / \sqrt{σ² + ε} · γ + β, per channel (axis 1).

    Training uses the batch's mean and biased variance, and moves the running statistics:
    r ← (1 - m) r + m s, with the unbiased variance for ``running_var``. Otherwise the
    running statistics normalise.
    """
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != input.shape[1]:
            raise RuntimeError(f"{name} should contain {input.shape[1]} elements not {t.numel()}")
    mixed = _check_mixed(input, running_mean, running_var, weight, bias)
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        count = input.numel() // input.shape[1]
        if count == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}"
            )
        mean = input.mean(dim=axes, keepdim=True)
        var = input.var(dim=axes, keepdim=True, correction=0)
        if count == 0:  # an empty batch leaves the running statistics alone, as in torch
            running_mean = running_var = None
        if running_mean is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(-1) * momentum)
        if running_var is not None:
            with no_grad():
                unbiased = var.detach().reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        mean = _channel_view(running_mean, input.ndim)
        var = _channel_view(running_var, input.ndim)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * _channel_view(weight, input.ndim)
    if bias is not None:
        out = out + _channel_view(bias, input.ndim)
    return out.to(input.dtype) if mixed else out


def _check_mixed(input, *params) -> bool:
    """torch's CPU rule for normalisation parameters of another dtype than the input: only
    float32 ones with a float16 input (the result is float16 then: returns True)."""
    dtypes = {p.dtype.name for p in params if p is not None}
    if not dtypes or dtypes == {input.dtype.name}:
        return False
    if input.dtype.name == "float16" and dtypes == {"float32"}:
        return True
    if input.dtype.name == "float32":
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5) -> Tensor:
    r"""y = (x - μ) / \sqrt{σ² + ε} · γ + β over the last ``len(normalized_shape)`` axes."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(n) for n in shape)}], but got input of size{list(input.shape)}"
        )
    mixed = _check_mixed(input, weight, bias)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(dim=axes, keepdim=True)
    var = input.var(dim=axes, keepdim=True, correction=0)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(input.dtype) if mixed else out


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``.

    With ``max_norm``, the rows looked up whose ``norm_type``-norm exceeds it are first
    scaled down to it, in place and without grad, as torch does.
    """
    padding_idx = _normalise_padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    return embedding_ops.Embedding.apply(
        weight,
        input,
        padding_idx=padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
        sparse=sparse,
    )


def _renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    r"""torch's ``embedding_renorm_``: W_r \mathrel{*}= m / (\|W_r\|_p + 10^{-7}) for each row
    r in ``input`` with \|W_r\|_p > m; the scale is formed in float64, as torch's."""
    rows = weight.backend.xp.unique(input.data.reshape(-1))
    outside = (rows < -weight.shape[0]) | (rows >= weight.shape[0])
    if weight.backend.to_host(outside.any()).item():  # explicit crossing: torch raises too
        bad = weight.backend.to_host(rows[outside])[0].item()
        raise IndexError(
            f"select(): index {bad} out of range for tensor of size {list(weight.shape)} at "
            "dimension 0"
        )
    rows = Tensor._make(rows, weight.device)
    with no_grad():
        picked = weight[rows]
        norms = picked.norm(norm_type, dim=1).double()
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).to(weight.dtype)
        weight[rows] = picked * scale.unsqueeze(1)


def _normalise_padding_idx(padding_idx, rows: int):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        assert padding_idx < rows, "Padding_idx must be within num_embeddings"
    elif padding_idx < 0:
        assert padding_idx >= -rows, "Padding_idx must be within num_embeddings"
        padding_idx += rows
    return padding_idx
