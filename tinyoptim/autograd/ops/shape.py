"""Shape ops: reshape, transpose, permute, squeeze, unsqueeze, expand, cat, stack.

They move elements without changing them, so each backward moves the gradient back
(``expand`` sums it over the broadcast axes).
"""

from __future__ import annotations

import math

from ..function import Function
from ..views import ViewFunction
from ._util import normalize_dim, same_dtype, unbroadcast


def _infer_shape(shape, size: int, original) -> tuple:
    """``shape`` with one -1 filled in, or torch's error when it cannot hold ``size``."""
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    if math.prod(shape) != size or any(n < 0 for n in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


class Reshape(ViewFunction):
    r"""z = a with a new shape;  dz/da: the gradient reshaped back."""

    label = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape=()):
        ctx.shape = a.shape
        return a.reshape(_infer_shape(tuple(shape), a.size, a.shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


def flatten(t, start_dim: int = 0, end_dim: int = -1):
    """Merge axes ``start_dim..end_dim`` into one (a reshape)."""
    start, end = normalize_dim(start_dim, t.ndim), normalize_dim(end_dim, t.ndim)
    if t.ndim == 0:  # dims 0 and -1 only, checked above
        return t.reshape(1)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:  # nothing to merge: torch returns the tensor itself
        return t
    shape = t.shape
    return t.reshape(shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])


class Transpose(ViewFunction):
    r"""z = a with axes ``dim0`` and ``dim1`` swapped;  the gradient is swapped back."""

    @staticmethod
    def forward(ctx, a, dim0=0, dim1=1):
        if a.ndim == 0:
            ctx.dims = (0, 0)
            return a.copy()
        ctx.dims = normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)
        return a.swapaxes(*ctx.dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.swapaxes(*ctx.dims) if grad.ndim else grad


class Permute(ViewFunction):
    r"""z = a with its axes reordered by ``dims``;  the gradient is reordered back."""

    @staticmethod
    def forward(ctx, a, dims=()):
        if len(dims) != a.ndim:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {a.ndim} "
                f"is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(normalize_dim(d, a.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Squeeze(ViewFunction):
    r"""z = a without size-1 axes (all, or those in ``dim``);  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, a, dim=None):
        ctx.shape = a.shape
        if dim is None:
            return a.reshape(tuple(n for n in a.shape if n != 1))
        ctx.label = "SqueezeBackward1"
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {normalize_dim(d, a.ndim) for d in dims} if a.ndim else set()
        return a.reshape(tuple(n for i, n in enumerate(a.shape) if not (i in drop and n == 1)))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Unsqueeze(ViewFunction):
    r"""z = a with a new size-1 axis at ``dim``;  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, a, dim=0):
        ctx.shape = a.shape
        return ctx.xp.expand_dims(a, normalize_dim(dim, a.ndim + 1))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Expand(ViewFunction):
    r"""z = a broadcast to ``sizes`` (-1 keeps a size);  the gradient is summed back."""

    @staticmethod
    def forward(ctx, a, sizes=()):
        lead = len(sizes) - a.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand(tinyoptim.Tensor{{{list(a.shape)}}}, size={list(sizes)}): the number "
                "of sizes provided "
                f"({len(sizes)}) must be greater or equal to the number of dimensions in the "
                f"tensor ({a.ndim})"
            )
        shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        for i, n in enumerate(a.shape):
            if n != 1 and n != shape[i + lead]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                    f"existing size ({n}) at non-singleton dimension {i + lead}.  Target sizes: "
                    f"{list(sizes)}.  Tensor sizes: {list(a.shape)}"
                )
        ctx.shape = a.shape
        if shape[lead:] == a.shape and all(n == 1 for n in shape[:lead]):
            return a.reshape(shape)  # nothing repeats: a writable view, as torch's
        return ctx.xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


class Cat(Function):
    r"""z = the inputs joined along ``dim``;  each input gets its slice of the gradient.

    As in torch, 1-d empty inputs (``tensor([])``, the legacy way to start a loop's
    accumulator) take no part in the shape checks and add nothing but their dtype.
    """

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        if not arrays:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise RuntimeError(
                    f"zero-dimensional tensor (at position {i}) cannot be concatenated"
                )
        ctx.joined = [i for i, a in enumerate(arrays) if a.shape != (0,)] or [0]
        first = arrays[ctx.joined[0]]
        ctx.dim = normalize_dim(dim, first.ndim)
        for i in ctx.joined:
            a = arrays[i]
            if a.ndim != first.ndim:
                raise RuntimeError(
                    f"Tensors must have same number of dimensions: got {first.ndim} and {a.ndim}"
                )
            for d in range(first.ndim):
                if d != ctx.dim and a.shape[d] != first.shape[d]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {ctx.dim}. Expected "
                        f"size {first.shape[d]} but got size {a.shape[d]} for tensor number "
                        f"{i} in the list."
                    )
        ctx.sizes = [a.shape[ctx.dim] if i in ctx.joined else 0 for i, a in enumerate(arrays)]
        arrays = same_dtype(arrays)
        return ctx.xp.concatenate([arrays[i] for i in ctx.joined], axis=ctx.dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for i, (size, needed) in enumerate(zip(ctx.sizes, ctx.needs_grad)):
            if i not in ctx.joined:  # a skipped empty input: an empty gradient
                grads.append(ctx.xp.zeros((0,), dtype=grad.dtype) if needed else None)
                continue
            index = [slice(None)] * grad.ndim
            index[ctx.dim] = slice(start, start + size)
            grads.append(grad[tuple(index)] if needed else None)
            start += size
        return tuple(grads)


class Stack(Function):
    r"""z = the inputs stacked along a new axis ``dim``;  each input gets its slice."""

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        if not arrays:
            raise RuntimeError("stack expects a non-empty TensorList")
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise RuntimeError(
                    "stack expects each tensor to be equal size, but got "
                    f"{list(arrays[0].shape)} at entry 0 and {list(a.shape)} at entry {i}"
                )
        ctx.dim = normalize_dim(dim, arrays[0].ndim + 1)
        return ctx.xp.stack(same_dtype(arrays), axis=ctx.dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            grad.take(i, axis=ctx.dim) if needed else None
            for i, needed in enumerate(ctx.needs_grad)
        )


class Repeat(Function):
    r"""z = a tiled ``repeats`` times along each axis (leading 1s added to a);
    dz/da: the gradient summed over the tiles."""

    @staticmethod
    def forward(ctx, a, repeats=()):
        if len(repeats) < a.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        ctx.shape = a.shape
        return ctx.xp.tile(a, repeats)

    @staticmethod
    def backward(ctx, grad):
        lead = grad.ndim - len(ctx.shape)
        sizes = (1,) * lead + tuple(ctx.shape)
        # (tiles, size) pairs per axis, summed over the tiles
        split = []
        for total, size in zip(grad.shape, sizes):
            split += [total // size, size]
        summed = grad.reshape(split).sum(axis=tuple(range(0, 2 * grad.ndim, 2)))
        return summed.reshape(ctx.shape)
