r"""2-d max and average pooling over strided windows (the helpers of ``conv.py``).

Both ops view the padded input as patches (N, C, OH, OW, kH, kW) and reduce the last two
axes. Backward sends each output's gradient to its window, one kernel position at a time
(``col2im``): to the maximum's position for max pooling, spread evenly for averaging.
"""

from __future__ import annotations

from ..function import Function
from .conv import col2im, crop, out_size, pad2d, windows


def _geometry(x_shape, kernel, stride, padding, dilation, ceil_mode):
    """Output size and the extra end padding that ``ceil_mode`` windows reach into."""
    h, w = x_shape[2:]
    for k, p in zip(kernel, padding):
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
    extra = tuple(
        max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        for o, s, d, k, n, p in zip(out_hw, stride, dilation, kernel, (h, w), padding)
    )
    return out_hw, extra


class MaxPool2d(Function):
    r"""y_{n,c,h,w} = \max over the window;  dy/dx = 1 at the (first) maximum, else 0.

    Padding counts as -inf, so it is never the maximum.
    """

    @staticmethod
    def forward(
        ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False
    ):
        xp = ctx.xp
        out_hw, extra = _geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
        padded = pad2d(xp, x, padding, extra, value=-xp.inf)
        patches = windows(xp, padded, kernel, stride, dilation, out_hw)
        flat = patches.reshape(patches.shape[:4] + (kernel[0] * kernel[1],))
        position = flat.argmax(axis=-1)
        ctx.save_for_backward(position)
        ctx.geometry = (x.shape, padded.shape, kernel, stride, dilation, padding)
        return xp.take_along_axis(flat, position[..., None], axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        (position,) = ctx.saved
        x_shape, padded_shape, kernel, stride, dilation, padding = ctx.geometry
        count = kernel[0] * kernel[1]
        hit = position[..., None] == xp.arange(count)
        routed = (grad[..., None] * hit).reshape(grad.shape + kernel)
        grad_padded = col2im(xp, routed, padded_shape, kernel, stride, dilation)
        return xp.ascontiguousarray(crop(grad_padded, padding, x_shape))


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
        dilation = (1, 1)
        out_hw, extra = _geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
        padded = pad2d(xp, x, padding, extra)
        patches = windows(xp, padded, kernel, stride, dilation, out_hw)
        if divisor_override is not None:
            divisor = divisor_override
        else:
            divisor = _divisors(
                xp, x.shape, out_hw, kernel, stride, padding, count_include_pad, x.dtype
            )
        ctx.divisor = divisor
        ctx.geometry = (x.shape, padded.shape, kernel, stride, dilation, padding)
        return patches.sum(axis=(4, 5)) / divisor

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        x_shape, padded_shape, kernel, stride, dilation, padding = ctx.geometry
        share = grad / ctx.divisor
        spread = xp.broadcast_to(share[..., None, None], share.shape + kernel)
        grad_padded = col2im(xp, spread, padded_shape, kernel, stride, dilation)
        return xp.ascontiguousarray(crop(grad_padded, padding, x_shape))
