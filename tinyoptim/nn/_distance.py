r"""``one_hot``, ``normalize``, ``cosine_similarity`` and ``pairwise_distance`` (re-exported
by ``nn.functional``), with torch's formulas, so torch's values and gradients:

* ``normalize``: x / \max(\|x\|_p, ε) along ``dim``;
* ``cosine_similarity``: \sum (x_1 / \max(\|x_1\|, ε)) (x_2 / \max(\|x_2\|, ε)) along
  ``dim``; as in torch the clamp of each norm is invisible to autograd (the gradient flows
  through the unclamped norm, whose gradient at 0 is 0);
* ``pairwise_distance``: \|x_1 - x_2 + ε\|_p along the last dim.
"""

from __future__ import annotations

from ..autograd import factories
from ..autograd.function import Function
from ..autograd.tensor import Tensor


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes): 1 where the last index equals the class of ``tensor``."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    empty = tensor.numel() == 0
    if num_classes == -1 and empty:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if not empty:
        if tensor.min().item() < 0:
            raise RuntimeError("Class values must be non-negative.")
        top = tensor.max().item()
        if num_classes == -1:
            num_classes = top + 1
        elif top >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = factories.arange(num_classes, dtype="int64", device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    r"""x / \max(\|x\|_p, ε) along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


class _ClampMinNoGrad(Function):
    r"""\max(a, ε) forward, identity backward: torch's ``clamp_min_`` under ``no_grad``."""

    @staticmethod
    def forward(ctx, a, eps):
        return ctx.xp.maximum(a, ctx.xp.asarray(eps, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""\sum x_1 x_2 / (\max(\|x_1\|, ε) \max(\|x_2\|, ε)) along ``dim`` (broadcast first)."""
    if not x1.is_floating_point():
        x1 = x1.to("float32" if not x2.is_floating_point() else x2.dtype)
    if not x2.is_floating_point():
        x2 = x2.to(x1.dtype)
    shape = _broadcast_shape(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = _ClampMinNoGrad.apply(x1.norm(2, dim, keepdim=True), eps=eps)
    n2 = _ClampMinNoGrad.apply(x2.norm(2, dim, keepdim=True), eps=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape of ``a`` and ``b``, or torch's error."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for k, (i, j) in enumerate(zip(a, b)):
        if i != j and 1 not in (i, j):
            raise RuntimeError(
                f"The size of tensor a ({i}) must match the size of tensor b ({j}) at "
                f"non-singleton dimension {k}"
            )
    return tuple(max(i, j) if 0 not in (i, j) else 0 for i, j in zip(a, b))


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    r"""\|x_1 - x_2 + ε\|_p along the last dim of the broadcast shape."""
    last = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, last, keepdim=keepdim)
