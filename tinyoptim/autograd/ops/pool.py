r"""2-d max and average pooling over the kernel taps of ``conv.py``'s ``im2col``.

The (N, C, H, W) input is seen as (1, N·C, H, W), so ``im2col`` gives one contiguous
(N, C, OH, OW) block per kernel position (tap); for a 2×2 pool of stride 2 that is four
strided copies that de-interleave the input. Pooling then reduces across the kH·kW blocks
with whole-array operations: a running maximum (and the tap it came from) for max pooling,
a sum for averaging. Backward forms the gradient of each kernel row's taps and ``col2im``
puts it back where it was read (plain copies when the windows do not overlap).

With the ``[fast]`` extra, max pooling's backward is one compiled pass instead
(``backends/kernels_cpu_pool.py``) that adds each window's gradient where its maximum was.

Reductions over a reshaped (…, OH, kH, OW, kW) view, ``max(axis=(3, 5))``, look simpler,
but NumPy runs them element by element over the short kernel axes, many times slower.
"""

from __future__ import annotations

from ..function import Function
from .conv import axis_taps, col2im, im2col, out_size


def _geometry(x_shape, kernel, stride, padding, dilation, ceil_mode):
    """The window geometry that ``im2col`` takes, after torch's checks on padding and size."""
    h, w = x_shape[2:]
    if 0 in stride:
        raise RuntimeError("stride should not be zero")
    if min(kernel) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}"
        )
    if min(dilation) <= 0:
        raise RuntimeError(
            "dilation should be greater than zero, but got dilationH: "
            f"{dilation[0]} dilationW: {dilation[1]}"
        )
    for k, p in zip(kernel, padding):
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > k // 2:
            raise RuntimeError(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={dilation[0]}"
            )
    out_hw = (
        out_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode),
        out_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode),
    )
    if out_hw[0] <= 0 or out_hw[1] <= 0:
        raise RuntimeError(
            f"Given input size: ({x_shape[1]}x{h}x{w}). Calculated output size: "
            f"({x_shape[1]}x{out_hw[0]}x{out_hw[1]}). Output size is too small"
        )
    return kernel, stride, padding, dilation, out_hw


def _windows(xp, x, geometry, fill=0.0):
    """The taps of every window, (kH·kW, N, C, OH, OW); ``fill`` where they hit the padding."""
    n, c, h, w = x.shape
    kernel, out_hw = geometry[0], geometry[-1]
    cols = im2col(xp, x.reshape(1, n * c, h, w), *geometry, fill)
    return cols.reshape((kernel[0] * kernel[1], n, c) + out_hw)


def _put_back(xp, kernel_row, x_shape, dtype, geometry):
    """``col2im`` for pooling: kernel_row(i) (1, kW, N·C, OH, OW) into (N, C, H, W)."""
    n, c, h, w = x_shape
    return col2im(xp, kernel_row, (1, n * c, h, w), dtype, *geometry).reshape(x_shape)


def window_max(xp, x, kernel, stride, padding, dilation, ceil_mode):
    r"""``(maximum, position, geometry)`` of max pooling x (N, C, H, W): the maximum of each
    window, (N, C, OH, OW), and the tap (row-major index in the kernel) that holds it.

    As in torch, the position is the first maximum in row-major order among equal values,
    the last NaN if the window holds one (then the maximum is NaN), and never the padding.
    """
    geometry = _geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
    windows = _windows(xp, x, geometry, fill=-xp.inf)
    maximum = windows[0].copy()
    position = _first_inside(xp, x.shape, geometry)
    for tap in range(1, windows.shape[0]):
        candidate = windows[tap]
        better = candidate > maximum
        better |= xp.isnan(candidate)
        xp.maximum(maximum, candidate, out=maximum)
        # tap exceeds every position recorded so far, so max() writes it where better
        xp.maximum(position, xp.multiply(better, tap, dtype=position.dtype), out=position)
    return maximum, position, geometry


def flat_indices(xp, position, width, geometry):
    """torch's ``return_indices``: per output, the row-major index into its (H, W) input
    plane of the cell at ``position``, int64 (the corner ``window_max`` starts from, which
    may lie past the input, for a window wholly on the padding)."""
    kernel, stride, padding, dilation, out_hw = geometry
    tap_row, tap_column = xp.divmod(position.astype(xp.int64), kernel[1])
    rows = xp.arange(out_hw[0], dtype=xp.int64) * stride[0] - padding[0]
    columns = xp.arange(out_hw[1], dtype=xp.int64) * stride[1] - padding[1]
    rows = rows[:, None] + tap_row * dilation[0]
    columns = columns[None, :] + tap_column * dilation[1]
    return rows * width + columns


class MaxPool2d(Function):
    r"""y_{n,c,h,w} = \max over the window;  dy/dx = 1 at the window's maximum, else 0.

    ``window_max`` finds the maxima and where they are, once, for this op and for torch's
    indices; forward takes both and keeps the positions, by which backward routes the
    gradient.
    """

    label = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, maximum, position, geometry):
        ctx.save_for_backward(position)
        ctx.x_shape, ctx.geometry = x.shape, geometry
        return maximum

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (position,) = ctx.saved
        compiled = _compiled(ctx.backend, grad.dtype)
        if compiled is not None:
            return compiled.max_pool2d_backward(grad, position, ctx.x_shape, *ctx.geometry[:-1])
        kernel, out_hw = ctx.geometry[0], ctx.geometry[-1]
        blocks = (1, 1, grad.shape[0] * grad.shape[1]) + out_hw
        grad, position = grad.reshape(blocks), position.reshape(blocks)

        def kernel_row(i):  # the gradient, routed to the taps of kernel row i that won
            taps = xp.arange(i * kernel[1], (i + 1) * kernel[1], dtype=position.dtype)
            return grad * (position == taps.reshape(1, -1, 1, 1, 1))

        return _put_back(xp, kernel_row, ctx.x_shape, grad.dtype, ctx.geometry)


class MaxUnpool2d(Function):
    r"""y = zeros (N, C, H, W) with y_{n,c}[idx_{n,c,k}] = x_{n,c,k} (torch's flat (H, W)
    indices);  dy/dx_{n,c,k} = dy_{n,c}[idx_{n,c,k}]. A repeated index keeps the last
    value written, as torch's CPU loop does."""

    label = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, indices, out_hw=(1, 1)):
        xp = ctx.xp
        planes = x.shape[:-2]
        flat = indices.reshape(planes + (-1,))
        size = out_hw[0] * out_hw[1]
        outside = (flat < 0) | (flat >= size)
        if ctx.backend.to_host(outside.any()).item():  # explicit crossing: torch raises here
            # torch's loop goes on after a bad index, and names the last one it met
            bad = ctx.backend.to_host(flat[outside])[-1].item()
            raise RuntimeError(
                f"Found an invalid max index: {bad} (output volumes are of size "
                f"{out_hw[0]}x{out_hw[1]})"
            )
        y = xp.zeros(planes + (size,), dtype=x.dtype)
        xp.put_along_axis(y, flat, x.reshape(planes + (-1,)), axis=-1)
        ctx.save_for_backward(flat)
        ctx.x_shape = x.shape
        return y.reshape(planes + tuple(out_hw))

    @staticmethod
    def backward(ctx, grad):
        (flat,) = ctx.saved
        rows = grad.reshape(flat.shape[:-1] + (-1,))
        return ctx.xp.take_along_axis(rows, flat, axis=-1).reshape(ctx.x_shape)


def _compiled(backend, dtype):
    """The backend's compiled max-pooling backward when it takes ``dtype``, else None."""
    kernels = backend.op_kernels()
    return kernels if kernels is not None and kernels.supports(dtype) else None


def _first_inside(xp, x_shape, geometry):
    """Per output (N, C, OH, OW): the first tap, in row-major order, inside the input.

    A window's maximum starts out there, so that a window whose values are all -inf
    points at one of them rather than at the padding, as torch's does. Along an axis where
    a window reads no cell of the input, torch starts from its first tap at or past 0.
    """
    kernel, stride, padding, dilation, out_hw = geometry
    dtype = xp.int8 if kernel[0] * kernel[1] <= 127 else xp.int32
    shape = tuple(x_shape[:2]) + tuple(out_hw)
    firsts = []
    for a in (0, 1):
        taps = axis_taps(kernel[a], stride[a], padding[a], dilation[a], x_shape[2 + a], out_hw[a])
        reaches = [range(tap[1].start, tap[1].stop) if tap else range(0) for tap in taps]
        firsts.append(
            [
                next(
                    (k for k, r in enumerate(reaches) if o in r),
                    -(min(0, o * stride[a] - padding[a]) // dilation[a]),
                )
                for o in range(out_hw[a])
            ]
        )
    if not any(firsts[0]) and not any(firsts[1]):
        return xp.zeros(shape, dtype=dtype)
    rows = xp.asarray(firsts[0], dtype=dtype).reshape(-1, 1)
    columns = xp.asarray(firsts[1], dtype=dtype).reshape(1, -1)
    return xp.broadcast_to(rows * kernel[1] + columns, shape).astype(dtype)


def _divisors(xp, x_shape, out_hw, kernel, stride, padding, count_include_pad, dtype):
    """How many elements each window averages over, as torch counts them.

    With ``count_include_pad`` the window is clipped to the padded input (not to the extra
    cells ``ceil_mode`` adds); without it, to the input itself.
    """
    counts = []
    for length, out, k, s, p in zip(x_shape[2:], out_hw, kernel, stride, padding):
        axis = []
        for i in range(out):
            start = i * s - p
            end = min(start + k, length + p)
            clipped = min(end, length) - max(start, 0)
            axis.append(end - start if count_include_pad else clipped)
        counts.append(axis)
    rows = xp.asarray(counts[0], dtype=dtype)
    columns = xp.asarray(counts[1], dtype=dtype)
    return rows[:, None] * columns[None, :]


class AvgPool2d(Function):
    r"""y_{n,c,h,w} = \frac{1}{|window|} \sum_{window} x;  dy/dx = 1/|window| in each window."""

    label = "AvgPool2DBackward0"

    @staticmethod
    def forward(
        ctx,
        x,
        kernel=(2, 2),
        stride=(2, 2),
        padding=(0, 0),
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        xp = ctx.xp
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        geometry = _geometry(x.shape, kernel, stride, padding, (1, 1), ceil_mode)
        total = _windows(xp, x, geometry).sum(axis=0)
        if divisor_override is not None:
            divisor = divisor_override
        else:
            out_hw = geometry[-1]
            divisor = _divisors(
                xp, x.shape, out_hw, kernel, stride, padding, count_include_pad, x.dtype
            )
        ctx.divisor = divisor
        ctx.x_shape, ctx.geometry = x.shape, geometry
        return total / divisor

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        kernel, out_hw = ctx.geometry[0], ctx.geometry[-1]
        blocks = (1, 1, grad.shape[0] * grad.shape[1]) + out_hw
        share = (grad / ctx.divisor).reshape(blocks)

        def kernel_row(i):  # every tap of a window gets the same share
            return xp.broadcast_to(share, (1, kernel[1]) + blocks[2:])

        return _put_back(xp, kernel_row, ctx.x_shape, grad.dtype, ctx.geometry)
