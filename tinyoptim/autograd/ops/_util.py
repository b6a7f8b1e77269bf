"""Helpers shared by the ops: summing broadcast gradients back, normalising axes."""

from __future__ import annotations

from ...backends import get_default_dtype


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


def check_broadcast(*shapes) -> tuple:
    """The shape that ``shapes`` broadcast to, with torch's error when they do not.

    Checked before NumPy sees the arrays, so a mismatch reads as torch's message rather than
    NumPy's ``operands could not be broadcast``.
    """
    out = shapes[0]
    for shape in shapes[1:]:
        if shape == out:
            continue
        ndim = max(len(out), len(shape))
        a, b = (1,) * (ndim - len(out)) + out, (1,) * (ndim - len(shape)) + shape
        for dim, (n, m) in enumerate(zip(a, b)):
            if n != m and n != 1 and m != 1:
                raise RuntimeError(
                    f"The size of tensor a ({n}) must match the size of tensor b ({m}) at "
                    f"non-singleton dimension {dim}"
                )
        out = tuple(m if n == 1 else n for n, m in zip(a, b))
    return out


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


def promote(a, b, true_division: bool = False):
    """``a`` and ``b`` with torch's type promotion where NumPy's differs.

    An integer or bool array meeting a Python float, or divided by an integer, becomes the
    default float dtype (torch: ``int_tensor * 1.5`` is float32; NumPy would say float64).
    """
    float_scalar = isinstance(a, float) or isinstance(b, float)
    if not (float_scalar or true_division):
        return a, b
    a_int = _is_integral(a) or (true_division and isinstance(a, int))
    b_int = _is_integral(b) or (true_division and isinstance(b, int))
    if (float_scalar and (a_int or b_int)) or (true_division and a_int and b_int):
        dtype = get_default_dtype().np
        if a_int and hasattr(a, "dtype"):
            a = a.astype(dtype)
        if b_int and hasattr(b, "dtype"):
            b = b.astype(dtype)
    return a, b


def _is_integral(value) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind in "iub"
