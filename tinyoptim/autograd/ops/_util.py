"""Helpers shared by the ops: summing broadcast gradients back, normalising axes."""

from __future__ import annotations

import operator

from ...backends import get_default_dtype


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting in the backward pass.

    Leading axes that broadcasting added are summed away; axes where the input had size 1
    are summed with ``keepdims``. ``shape`` None means that nothing was broadcast.
    """
    if shape is None or grad.shape == shape:
        return grad
    shape = tuple(shape)
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


_PYTHON_SCALARS = (int, float, complex)  # bool is an int
# The shapes broadcast_operands gives when neither gradient needs unbroadcast.
NOT_BROADCAST = (None, None)


def shape_of(value) -> tuple:
    """The shape of an array, or ``()`` for a Python scalar."""
    return () if isinstance(value, _PYTHON_SCALARS) else tuple(value.shape)


def broadcast_operands(a, b, true_division: bool = False):
    """``(a, b, (shape_a, shape_b))``: the operands of a binary elementwise op, promoted as
    torch does (see ``promote``), and the shapes to ``unbroadcast`` their gradients to,
    checked to broadcast (None where the gradient has the operand's shape already).

    At least one operand is an array; the other may be a Python scalar.
    """
    if isinstance(a, _PYTHON_SCALARS) or isinstance(b, _PYTHON_SCALARS):
        a, b = promote_operands(a, b, true_division)
        return a, b, NOT_BROADCAST  # a scalar always broadcasts, and gets no gradient
    if true_division or a.dtype != b.dtype:  # two arrays of one dtype: the common case
        a, b = promote_operands(a, b, true_division)
    shape_a, shape_b = a.shape, b.shape
    if shape_a == shape_b:
        return a, b, NOT_BROADCAST
    check_broadcast(shape_a, shape_b)
    return a, b, (shape_a, shape_b)


def promote_operands(a, b, true_division: bool = False):
    """``a`` and ``b`` (arrays, or one Python scalar) in the dtypes NumPy must compute in to
    give torch's result dtype: two arrays are cast to ``result_dtype``; an integer array
    meeting a Python float, or divided, becomes the default float dtype (``promote``)."""
    a_scalar, b_scalar = isinstance(a, _PYTHON_SCALARS), isinstance(b, _PYTHON_SCALARS)
    if a_scalar and b_scalar:  # NumPy's 0-d float64 results are Python floats too
        return a, b
    if not (a_scalar or b_scalar) and a.dtype != b.dtype:
        target = result_dtype(a, b)
        a = a if a.dtype == target else a.astype(target)
        b = b if b.dtype == target else b.astype(target)
    # promote can change something only for an integer or bool array: test that cheaply.
    integral = (b_scalar and a.dtype.kind in "iub") or (a_scalar and b.dtype.kind in "iub")
    if true_division or integral:
        a, b = promote(a, b, true_division)
    return a, b


def normalize_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis, with torch's error when it is out of range."""
    low, high = -max(ndim, 1), max(ndim, 1) - 1
    if not isinstance(dim, int) or isinstance(dim, bool):
        if isinstance(dim, bool) or not hasattr(dim, "__index__"):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        dim = operator.index(dim)  # a NumPy integer, a one-element integer tensor
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
        axes = [normalize_dim(d, ndim) for d in dim]
        for axis in axes:
            if axes.count(axis) > 1:
                raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
        return tuple(sorted(axes))
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


def result_dtype(a, b):
    """torch's result dtype for two arrays of different dtypes (NumPy's differs twice).

    Like NumPy, torch promotes within a category (bool < integer < floating point), but an
    integer meeting a float gives that float (int64 with float32 is float32, not float64).
    And a 0-d array (a "zero-dim tensor") takes part only when its category is higher than
    the other operand's: float32 with a 0-d float64 stays float32, int32 with a 0-d int64
    stays int32, while int64 with a 0-d float64 is float64.
    """
    if (a.ndim == 0) != (b.ndim == 0):
        dimensioned, zero_dim = (a, b) if b.ndim == 0 else (b, a)
        higher = dimensioned.dtype
        if _category(higher) >= _category(zero_dim.dtype) and higher.kind != "b":
            return higher
    return _promote_types(a.dtype, b.dtype)


def _category(dtype) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}[dtype.kind]


def _promote_types(a, b):
    """The wider of two dtypes, torch's way, among tinyoptim's (bool, uint8, int32, int64,
    float16, float32, float64): a float beats an integer, bool loses to all, else size."""
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    if a.kind == "b" or b.kind == "b":
        return b if a.kind == "b" else a
    return a if a.itemsize >= b.itemsize else b


def same_dtype(arrays) -> list:
    """``arrays`` cast to the dtype torch's ``cat``/``stack`` give them (``_promote_types``
    over all: float32 with int64 is float32)."""
    target = arrays[0].dtype
    for a in arrays[1:]:
        target = target if a.dtype == target else _promote_types(target, a.dtype)
    return [a if a.dtype == target else a.astype(target) for a in arrays]


def floating(a):
    """``a`` as torch's float ops see it: an integer or bool array in the default float
    dtype (``tinyoptim.arange(3).exp()`` is float32, where NumPy would give float64)."""
    return a.astype(get_default_dtype().np) if a.dtype.kind in "iub" else a


def _is_integral(value) -> bool:
    if isinstance(value, _PYTHON_SCALARS):
        return False
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind in "iub"
