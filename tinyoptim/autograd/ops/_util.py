"""Helpers shared by the ops: summing broadcast gradients back, normalising axes."""

from __future__ import annotations


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting in the backward pass.

    Leading axes that broadcasting added are summed away; axes where the input had size 1
    are summed with ``keepdims``.
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def shape_of(value) -> tuple:
    """The shape of an array, or ``()`` for a Python scalar."""
    return tuple(getattr(value, "shape", ()))


def normalize_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis, with torch's error when it is out of range."""
    low, high = -max(ndim, 1), max(ndim, 1) - 1
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})"
        )
    return dim % max(ndim, 1)


def normalize_dims(dim, ndim: int):
    """``dim`` (None, an int or a sequence) as a tuple of axes, or None for all axes."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return tuple(sorted(normalize_dim(d, ndim) for d in dim))
    return (normalize_dim(dim, ndim),)
