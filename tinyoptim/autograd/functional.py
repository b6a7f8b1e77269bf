"""Top-level functions that take several tensors: ``cat``, ``stack``, ``where``, ..."""

from __future__ import annotations

from .ops import selection, shape
from .tensor import Tensor, _operand


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    _check_tensors(tensors)
    return shape.Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _check_tensors(tensors)
    return shape.Stack.apply(*tensors, dim=dim)


def where(condition: Tensor, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (either may be a number)."""
    like = condition
    return selection.Where.apply(condition, _operand(input, like), _operand(other, like))


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return selection.Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return selection.Minimum.apply(input, other)


def _check_tensors(tensors) -> None:
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
