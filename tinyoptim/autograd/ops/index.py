"""Indexing: ``a[key]`` and ``a[key] = v`` with slices, integers, integer arrays and masks.

Basic indexing (ints, slices, None, Ellipsis) selects each element at most once, so its
gradient is written back with plain assignment. Advanced indexing (integer arrays) may
pick an element twice, so its gradient is scattered with repeated indices summed.
"""

from __future__ import annotations

from ..function import Function
from ..views import ViewFunction
from ._util import shape_of, unbroadcast


def as_key(key, like):
    """An index for ``like.data``: tensors and host arrays in it move to ``like``'s device."""
    from ..tensor import Tensor

    if isinstance(key, tuple):
        return tuple(as_key(k, like) for k in key)
    if isinstance(key, Tensor):
        if key.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return key.data if key.device == like.device else like.backend.from_host(key.numpy())
    if isinstance(key, list) and not key:
        return like.backend.asarray(key, dtype="int64")  # no indices: an empty selection
    if isinstance(key, list) or hasattr(key, "__array__"):
        return like.backend.asarray(key)
    if isinstance(key, slice) and key.step is not None and key.step <= 0:
        raise ValueError("step must be greater than zero")
    return key


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _has_ellipsis(key) -> bool:
    return any(part is Ellipsis for part in (key if isinstance(key, tuple) else (key,)))


def _check_bounds(a, key, backend) -> None:
    """torch's IndexError for an index past the end of its axis or a mask of the wrong shape.

    An integer array is checked on its device and only the verdict crosses to the host
    (torch raises here too), so the error is torch's rather than NumPy's.
    """
    parts = key if isinstance(key, tuple) else (key,)
    axis = 0
    for part in parts:
        if part is Ellipsis:
            axis = a.ndim - sum(
                p is not None and p is not Ellipsis for p in parts[parts.index(part) + 1 :]
            )
            continue
        if part is None:
            continue
        if getattr(part, "dtype", None) is not None and part.dtype.kind == "b":
            _check_mask(a, part, axis)
            axis += part.ndim
            continue
        if getattr(part, "dtype", None) is not None and axis < a.ndim:
            size = a.shape[axis]
            outside = (part < -size) | (part >= size)
            if backend.to_host(outside.any()).item():
                bad = backend.to_host(part[outside][:1]).item()
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {axis} with size {size}"
                )
        if isinstance(part, int) and not isinstance(part, bool):
            if axis >= a.ndim:
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            size = a.shape[axis]
            if not -size <= part < size:
                raise IndexError(
                    f"index {part} is out of bounds for dimension {axis} with size {size}"
                )
        axis += 1


def _check_mask(a, mask, axis: int) -> None:
    indexed = a.shape[axis : axis + mask.ndim]
    for i, n in enumerate(mask.shape):
        if i >= len(indexed) or n != indexed[i]:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {i} does not match the shape "
                f"of the indexed tensor {list(a.shape)} at index {axis + i}"
            )


def _check_value_shape(value_shape: tuple, target: tuple) -> tuple:
    """torch's error when the value of ``a[key] = value`` does not broadcast to ``a[key]``;
    else the value's shape without the leading 1s that ``a[key]`` lacks (NumPy refuses
    those, torch drops them: ``x[1] = tensor([5.])``)."""
    while len(value_shape) > len(target) and value_shape[0] == 1:
        value_shape = value_shape[1:]
    offset = len(target) - len(value_shape)
    for i, n in enumerate(value_shape):
        if offset + i < 0 or n not in (1, target[offset + i]):
            dim = max(offset + i, 0)
            expected = target[dim] if target else 1
            raise RuntimeError(
                f"The expanded size of the tensor ({expected}) must match the existing size "
                f"({n}) at non-singleton dimension {dim}.  Target sizes: {list(target)}.  "
                f"Tensor sizes: {list(value_shape)}"
            )
    return value_shape


class GetItem(ViewFunction):
    r"""z = a[key];  dz/da: the gradient placed back at the selected positions."""

    @staticmethod
    def forward(ctx, a, key=None):
        _check_bounds(a, key, ctx.backend)
        ctx.shape, ctx.dtype = a.shape, a.dtype
        ctx.label = _label(key)
        ctx.keys = _select_first(key)
        if len(ctx.keys) == 2:
            a = a[ctx.keys[0]]
            ctx.shape_after_select = a.shape
            return a[ctx.keys[1]]
        if _is_basic(key) and not _has_ellipsis(key):  # a view even when one element is
            return a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]  # left
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        shapes = [ctx.shape]
        if len(ctx.keys) == 2:
            shapes.append(ctx.shape_after_select)
        for key, shape in reversed(list(zip(ctx.keys, shapes))):
            full = ctx.xp.zeros(shape, dtype=grad.dtype)
            if _is_basic(key):
                full[key] = grad
            else:
                ctx.backend.scatter_add(full, key, grad)
            grad = full
        return grad


class SetItem(Function):
    r"""z = a with z[key] = v;  dz/da: the gradient with z[key] zeroed, dz/dv = g[key]."""

    label = "CopySlices"

    @staticmethod
    def forward(ctx, a, value, key=None):
        _check_bounds(a, key, ctx.backend)
        ctx.keys, ctx.value_shape = _select_first(key), shape_of(value)
        out = a.copy()
        target = _selected(out, ctx.keys)  # a view of out where the first key is basic
        ctx.fitted_shape = _check_value_shape(ctx.value_shape, target[ctx.keys[-1]].shape)
        if ctx.fitted_shape != ctx.value_shape:
            value = value.reshape(ctx.fitted_shape)
        target[ctx.keys[-1]] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad_v = None
        if ctx.needs_grad[0]:
            grad_a = grad.copy()
            _selected(grad_a, ctx.keys)[ctx.keys[-1]] = 0
        if ctx.needs_grad[1]:
            grad_v = unbroadcast(_selected(grad, ctx.keys)[ctx.keys[-1]], ctx.fitted_shape)
            grad_v = grad_v.reshape(ctx.value_shape)
        return grad_a, grad_v


def _label(key) -> str:
    """torch's node for ``a[key]``: Index for arrays, else that of its last basic step."""
    parts = key if isinstance(key, tuple) else (key,)
    if not _is_basic(key):
        return "IndexBackward0"
    steps = [p for p in parts if p is not Ellipsis and p != slice(None)] or [slice(None)]
    last = steps[-1]
    if last is None:
        return "UnsqueezeBackward0"
    return "SliceBackward0" if isinstance(last, slice) else "SelectBackward0"


def _select_first(key) -> tuple:
    """torch applies integer indices before advanced ones: ``a[0, :, [1, 2]]`` is
    ``a[0][:, [1, 2]]``, shape (3, 2) for a (2, 3, 4) array, where NumPy would count the 0
    as advanced too and move the indexed axes to the front, (2, 3). Returns ``(key,)``,
    or ``(select, rest)`` when the key mixes integers with arrays."""
    if not isinstance(key, tuple):
        return (key,)
    ints = [isinstance(k, int) and not isinstance(k, bool) for k in key]
    arrays = [not (k is None or k is Ellipsis or isinstance(k, (int, slice))) for k in key]
    if not (any(ints) and any(arrays)):
        return (key,)
    select, rest = [], []
    for k, is_int, is_array in zip(key, ints, arrays):
        if is_int:
            select.append(k)
        elif k is None:  # the new axis exists once select has run
            select.append(None)
            rest.append(slice(None))
        elif is_array:  # a bool mask spans as many axes as it has
            select.extend([slice(None)] * (k.ndim if k.dtype.kind == "b" else 1))
            rest.append(k)
        else:  # a slice or Ellipsis
            select.append(slice(None) if isinstance(k, slice) else k)
            rest.append(k)
    return (tuple(select), tuple(rest))


def _selected(array, keys):
    """``array[keys[0]]`` (a view: that key is basic) when there are two keys, else array."""
    return array[keys[0]] if len(keys) == 2 else array


class Gather(Function):
    r"""z[i][j] = a[index[i][j]][j] along ``dim`` (for dim 0; likewise for the others);
    dz/da: the gradient added back at the gathered positions (repeats summed)."""

    @staticmethod
    def forward(ctx, a, index, dim=0):
        ctx.dim, ctx.shape = dim, a.shape
        for axis, (n, m) in enumerate(zip(index.shape, a.shape)):
            if axis != dim and n > m:
                raise RuntimeError(
                    f"Size does not match at dimension {axis} expected index "
                    f"{list(index.shape)} to be no larger than self {list(a.shape)} apart from "
                    f"dimension {dim}"
                )
        if index.size:
            bounds = ctx.backend.to_host(ctx.xp.stack([index.min(), index.max()]))
            low, high = int(bounds[0]), int(bounds[1])
            if low < 0 or high >= a.shape[dim]:
                bad = low if low < 0 else high
                raise RuntimeError(
                    f"index {bad} is out of bounds for dimension {dim} with size {a.shape[dim]}"
                )
        ctx.save_for_backward(index)
        # the output has the index's shape: take from the matching corner of a
        corner = tuple(
            slice(None) if axis == dim else slice(0, n) for axis, n in enumerate(index.shape)
        )
        return ctx.xp.take_along_axis(a[corner], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (index,) = ctx.saved
        full = xp.zeros(ctx.shape, dtype=grad.dtype)
        key = [
            xp.arange(n).reshape((1,) * axis + (n,) + (1,) * (index.ndim - axis - 1))
            for axis, n in enumerate(index.shape)
        ]
        key[ctx.dim] = index
        ctx.backend.scatter_add(full, tuple(key), grad)
        return full
