r"""2-d convolution by im2col and one matrix product per group.

Every output pixel of ``conv2d`` is a dot product between a kernel and the input patch
under it. ``windows`` lays those patches out as a strided view, shape
(N, C, OH, OW, kH, kW), without copying; a reshape turns the view into the "column"
matrix and the convolution into a batched GEMM:

.. math::
    y_{n,o,h,w} = \sum_{c,i,j} W_{o,c,i,j} \, x_{n,c,\,h s_h + i d_h - p_h,\,w s_w + j d_w - p_w}

Backward is two more products: dW = cols^T dy and dcols = dy W, and ``col2im`` adds each
kernel position's slice of dcols back into the (padded) input gradient: a loop over the
kH·kW kernel positions, never over pixels. The pooling ops (``pool.py``) share the helpers.
"""

from __future__ import annotations

from ..function import Function


def pair(value, name: str = "value") -> tuple:
    """``(v, v)`` for an int, the pair itself for a 2-sequence (torch's ``_pair``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return value


def out_size(length: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode=False):
    """Output length along one axis, with torch's rule for ``ceil_mode``.

    In ceil mode the last window must still start inside the input or its left padding.
    """
    span = length + 2 * pad - dilation * (kernel - 1) - 1
    if ceil_mode:
        size = -(-span // stride) + 1
        if (size - 1) * stride >= length + pad:
            size -= 1
        return size
    return span // stride + 1


def windows(xp, padded, kernel, stride, dilation, out_hw):
    """The strided view (N, C, OH, OW, kH, kW) of every patch of a padded (N, C, H, W) array."""
    n, c = padded.shape[:2]
    s_n, s_c, s_h, s_w = padded.strides
    return xp.lib.stride_tricks.as_strided(
        padded,
        shape=(n, c, out_hw[0], out_hw[1], kernel[0], kernel[1]),
        strides=(
            s_n,
            s_c,
            s_h * stride[0],
            s_w * stride[1],
            s_h * dilation[0],
            s_w * dilation[1],
        ),
    )


def pad2d(xp, x, pad, extra=(0, 0), value=0.0):
    """``x`` (N, C, H, W) padded by ``pad`` each side (and ``extra`` at the end), contiguous."""
    if pad == (0, 0) and extra == (0, 0):
        return xp.ascontiguousarray(x)
    widths = ((0, 0), (0, 0), (pad[0], pad[0] + extra[0]), (pad[1], pad[1] + extra[1]))
    return xp.pad(x, widths, mode="constant", constant_values=value)


def col2im(xp, cols, padded_shape, kernel, stride, dilation):
    """The adjoint of ``windows``: add each patch (N, C, OH, OW, kH, kW) back where it came from."""
    out = xp.zeros(padded_shape, dtype=cols.dtype)
    oh, ow = cols.shape[2:4]
    for i in range(kernel[0]):
        top = i * dilation[0]
        rows = slice(top, top + stride[0] * (oh - 1) + 1, stride[0])
        for j in range(kernel[1]):
            left = j * dilation[1]
            columns = slice(left, left + stride[1] * (ow - 1) + 1, stride[1])
            out[:, :, rows, columns] += cols[:, :, :, :, i, j]
    return out


def crop(padded, pad, shape):
    """The (N, C, H, W) interior of a padded array."""
    return padded[:, :, pad[0] : pad[0] + shape[2], pad[1] : pad[1] + shape[3]]


class Conv2d(Function):
    r"""y = W \star x (cross-correlation) with stride, padding, dilation and groups.

    Shapes: x (N, C, H, W), W (O, C/groups, kH, kW), y (N, O, OH, OW). The bias is added
    by the caller. dW_g = cols_g^T dy_g and dx = col2im(dy_g W_g), per group g.
    """

    @staticmethod
    def forward(ctx, x, weight, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = ctx.xp
        n, c, h, w = x.shape
        o, c_per_group, kh, kw = weight.shape
        if c != c_per_group * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                f"{list(x.shape)} to have {c_per_group * groups} channels, but got {c} "
                "channels instead"
            )
        out_hw = (
            out_size(h, kh, stride[0], padding[0], dilation[0]),
            out_size(w, kw, stride[1], padding[1], dilation[1]),
        )
        if out_hw[0] <= 0 or out_hw[1] <= 0:
            raise RuntimeError(
                f"Calculated output size: ({o}x{out_hw[0]}x{out_hw[1]}). Output size is too small"
            )
        padded = pad2d(xp, x, padding)
        patches = windows(xp, padded, (kh, kw), stride, dilation, out_hw)
        # cols[g]: (N*OH*OW, C/g*kH*kW), rows ordered (n, oh, ow)
        k = c_per_group * kh * kw
        cols = patches.reshape(n, groups, c_per_group, out_hw[0], out_hw[1], kh, kw)
        cols = cols.transpose(1, 0, 3, 4, 2, 5, 6).reshape(groups, n * out_hw[0] * out_hw[1], k)
        kernels = weight.reshape(groups, o // groups, k).transpose(0, 2, 1)
        y = xp.matmul(cols, kernels)  # (g, N*OH*OW, O/g)
        y = y.reshape(groups, n, out_hw[0], out_hw[1], o // groups).transpose(1, 0, 4, 2, 3)
        ctx.save_for_backward(cols, weight)
        ctx.geometry = (x.shape, padded.shape, (kh, kw), stride, dilation, padding, groups)
        return xp.ascontiguousarray(y.reshape(n, o, out_hw[0], out_hw[1]))

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        cols, weight = ctx.saved
        x_shape, padded_shape, kernel, stride, dilation, padding, groups = ctx.geometry
        n, o, oh, ow = grad.shape
        c_per_group = weight.shape[1]
        # dy as (g, N*OH*OW, O/g), matching the rows of cols
        dy = grad.reshape(n, groups, o // groups, oh, ow).transpose(1, 0, 3, 4, 2)
        dy = dy.reshape(groups, n * oh * ow, o // groups)
        grad_x = grad_w = None
        if ctx.needs_grad[1]:
            grad_w = xp.matmul(cols.transpose(0, 2, 1), dy)  # (g, K, O/g)
            grad_w = grad_w.transpose(0, 2, 1).reshape(weight.shape)
        if ctx.needs_grad[0]:
            kernels = weight.reshape(groups, o // groups, -1)
            dcols = xp.matmul(dy, kernels)  # (g, N*OH*OW, K)
            dcols = dcols.reshape(groups, n, oh, ow, c_per_group, kernel[0], kernel[1])
            dcols = dcols.transpose(1, 0, 4, 2, 3, 5, 6).reshape(
                n, groups * c_per_group, oh, ow, kernel[0], kernel[1]
            )
            grad_padded = col2im(xp, dcols, padded_shape, kernel, stride, dilation)
            grad_x = xp.ascontiguousarray(crop(grad_padded, padding, x_shape))
        return grad_x, grad_w
