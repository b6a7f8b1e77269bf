r"""2-d convolution as one matrix product per group (im2col), and its adjoint (col2im).

Every output pixel of ``conv2d`` is a dot product between a kernel and the input patch
under it:

.. math::
    y_{n,o,h,w} = \sum_{c,i,j} W_{o,c,i,j} \, x_{n,c,\,h s_h + i d_h - p_h,\,w s_w + j d_w - p_w}

**im2col.** For each kernel position (i, j), a "tap", the pixels it reads for every output
form a strided slice of the input. ``im2col`` copies the taps of an (A, B, H, W) array into

    cols (A, kH, kW, B, OH, OW),   cols[a, i, j, b, oh, ow] = x[a, b, oh s_h + i d_h - p_h, ...]

a few strided copies per kernel position, never a loop over pixels. Taps are clipped to
the input, so the padding is never built as an array; the cells that would read it keep a
fill value (0 for convolution and average pooling, -inf for max pooling). ``col2im`` is the
adjoint: it adds every tap back where it was read.

NumPy pays for every contiguous run a strided operation walks, and a strided add costs
about three times a strided copy, so both helpers arrange for long runs: at stride 1 along
the height, ``im2col`` first shifts the input along the width once per kernel column, after
which every tap is a block of whole rows; ``col2im`` adds the kernel rows into one stripe per
kernel column (whole rows again), then shifts each stripe by a copy and sums them.

**Convolution.** The input is seen as (C, N, H, W), so the columns reshape for free into a
(C·kH·kW) × (N·OH·OW) matrix, or (groups, C/g·kH·kW, N·OH·OW), whose rows are ordered like
the weight's (C/g, kH, kW) axes. Each product is one GEMM per group on contiguous operands:

    y_g = W_g cols_g,   dW_g = dy_g cols_g^T,   dx = col2im(W_g^T dy_g),

with dy the (O, N·OH·OW) transposed copy of the upstream gradient, and y copied once from
(O, N·OH·OW) to (N, O, OH, OW). dW needs the columns again. Forward keeps them for it when
they take at most ``KEEP_COLUMNS_BYTES`` (copying them out is the costliest part of
backward after the two products); larger ones are rebuilt from the saved input, as torch,
which saves only the input, would, so that a large network's activations do not grow
kH·kW-fold. W_g^T dy_g is formed one kernel row at a time into one reused buffer, so the
full column-sized gradient never exists.

The pooling ops (``pool.py``) use the same helpers with the input seen as (1, N·C, H, W), so
that ``cols[0, i, j]`` is one contiguous (N, C, OH, OW) block per tap.
"""

from __future__ import annotations

from ..function import Function

KEEP_COLUMNS_BYTES = 64 << 20  # forward keeps columns up to this size for backward's dW


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


def axis_taps(kernel: int, stride: int, pad: int, dilation: int, length: int, out: int) -> list:
    """Along one axis, per kernel offset: (input slice, output slice), or None.

    Output ``o`` reads input ``o * stride + offset * dilation - pad``. The slices keep the
    outputs for which that index lies inside the input; None means that the offset reads
    padding for every output.
    """
    taps = []
    for offset in range(kernel):
        shift = offset * dilation - pad
        first = max(0, -(shift // stride))  # the first o with o * stride + shift >= 0
        stop = min(out, (length - 1 - shift) // stride + 1)
        if first >= stop:
            taps.append(None)
            continue
        start = first * stride + shift
        taps.append(
            (slice(start, start + (stop - first - 1) * stride + 1, stride), slice(first, stop))
        )
    return taps


def im2col(xp, x, kernel, stride, padding, dilation, out_hw, fill=0.0):
    """cols (A, kH, kW, B, OH, OW) of an (A, B, H, W) array: the input under each kernel
    position for every output pixel; ``fill`` where the position lies on the padding.

    Each tap is one strided copy whose runs are rows of OW pixels. At stride 1 along the
    height, the input is first shifted along the width once per kernel column, into a
    stripe (A, B, H + 2 pad, OW) padded above and below; every tap is then a block of
    whole stripe rows, one long run per image.
    """
    a, b, h, w = x.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    columns = axis_taps(kw, stride[1], padding[1], dilation[1], w, ow)
    if stride[0] == 1:
        pad = padding[0]
        shape = (kw, a, b, h + 2 * pad, ow)
        inside = pad == 0 and all(c is not None and c[1] == slice(0, ow) for c in columns)
        stripes = xp.empty(shape, x.dtype) if inside else xp.full(shape, fill, x.dtype)
        for j, column in enumerate(columns):
            if column is not None:
                stripes[j][:, :, pad : pad + h, column[1]] = x[:, :, :, column[0]]
        cols = xp.empty((a, kh, kw, b, oh, ow), dtype=x.dtype)
        for i in range(kh):
            top = i * dilation[0]
            for j in range(kw):
                cols[:, i, j] = stripes[j][:, :, top : top + oh]
        return cols
    rows = axis_taps(kh, stride[0], padding[0], dilation[0], h, oh)
    shape = (a, kh, kw, b, oh, ow)
    inside = all(
        tap is not None and tap[1] == slice(0, out)
        for taps, out in ((rows, oh), (columns, ow))
        for tap in taps
    )
    cols = xp.empty(shape, dtype=x.dtype) if inside else xp.full(shape, fill, dtype=x.dtype)
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            if row is not None and column is not None:
                cols[:, i, j, :, row[1], column[1]] = x[:, :, row[0], column[0]]
    return cols


def col2im(xp, kernel_row, x_shape, dtype, kernel, stride, padding, dilation, out_hw):
    """The adjoint of ``im2col``: the (A, B, H, W) sum of the kernel taps, each put back
    where ``im2col`` read it; what fell on the padding is dropped.

    ``kernel_row(i)`` returns the taps of kernel row i, (A, kW, B, OH, OW): one row of a
    cols array at a time, so that the whole array never has to exist. When windows do not
    overlap, the taps write disjoint cells and are copied straight into the result.
    Otherwise the sum runs in two passes, because NumPy adds short strided runs slowly:
    per kernel column j, the kernel rows are added into a stripe (A, B, H, OW) whole rows
    at a time (one long run per image at stride 1); then each stripe is shifted along the
    width by a copy into a plane of its own, and the kW planes are summed.
    """
    a, b, h, w = x_shape
    (kh, kw), (oh, ow) = kernel, out_hw
    rows = axis_taps(kh, stride[0], padding[0], dilation[0], h, oh)
    columns = axis_taps(kw, stride[1], padding[1], dilation[1], w, ow)
    inside = [(i, row) for i, row in enumerate(rows) if row is not None]
    if all(s > d * (k - 1) for k, s, d in zip(kernel, stride, dilation)):  # no overlap
        covered = all(_reach(taps) == length for taps, length in ((rows, h), (columns, w)))
        result = (xp.empty if covered else xp.zeros)(x_shape, dtype=dtype)
        for i, row in inside:
            taps = kernel_row(i)
            for j, column in enumerate(columns):
                if column is not None:
                    result[:, :, row[0], column[0]] = taps[:, j, :, row[1], column[1]]
        return result
    stripes = xp.zeros((kw, a, b, h, ow), dtype=dtype)
    for i, row in inside:
        taps = kernel_row(i)
        for j in range(kw):
            stripe = stripes[j][:, :, row[0]]
            stripe += taps[:, j, :, row[1]]
    planes = xp.zeros((kw,) + tuple(x_shape), dtype=dtype)
    for j, column in enumerate(columns):
        if column is not None:
            planes[j][:, :, :, column[0]] = stripes[j][:, :, :, column[1]]
    del stripes
    return planes.sum(axis=0)


def _reach(taps) -> int:
    """How many input cells along an axis the taps read, counting repeats."""
    return sum(len(range(tap[0].start, tap[0].stop, tap[0].step)) for tap in taps if tap)


def _columns(xp, x, kernel, stride, padding, dilation, out_hw, groups):
    """im2col of x (N, C, H, W) as (groups, C/g·kH·kW, N·OH·OW), a free reshape."""
    n, c = x.shape[:2]
    cols = im2col(xp, x.transpose(1, 0, 2, 3), kernel, stride, padding, dilation, out_hw)
    return cols.reshape(groups, c // groups * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])


class Conv2d(Function):
    r"""y = W \star x (cross-correlation) with stride, padding, dilation and groups.

    Shapes: x (N, C, H, W), W (O, C/groups, kH, kW), optional b (O,), y (N, O, OH, OW).
    Per group g: y_g = W_g cols_g (+ b), dW_g = dy_g cols_g^T, db = the sum of dy over its
    columns, and dx = col2im(W_g^T dy_g).
    """

    label = "ConvolutionBackward0"

    @staticmethod
    def forward(
        ctx, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1
    ):
        xp = ctx.xp
        n, c, h, w = x.shape
        o, c_per_group, kh, kw = weight.shape
        if c != c_per_group * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                f"{list(x.shape)} to have {c_per_group * groups} channels, but got {c} "
                "channels instead"
            )
        if bias is not None and bias.shape != (o,):
            raise RuntimeError(
                f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                f"with {o} elements, but got bias of size {list(bias.shape)} instead"
            )
        oh = out_size(h, kh, stride[0], padding[0], dilation[0])
        ow = out_size(w, kw, stride[1], padding[1], dilation[1])
        if oh <= 0 or ow <= 0:
            raise RuntimeError(f"Calculated output size: ({o}x{oh}x{ow}). Output size is too small")
        geometry = ((kh, kw), stride, padding, dilation, (oh, ow))
        cols = _columns(xp, x, *geometry, groups)
        y = xp.matmul(weight.reshape(groups, o // groups, -1), cols)  # (g, O/g, N*OH*OW)
        keep = ctx.needs_grad[1] and cols.nbytes <= KEEP_COLUMNS_BYTES
        ctx.save_for_backward(x, weight, cols if keep else None)
        del cols
        ctx.geometry, ctx.groups = geometry, groups
        if bias is not None:  # added along y's long rows, before the layout copy
            rows = y.reshape(o, -1)
            xp.add(rows, bias.reshape(o, 1), out=rows)
        return xp.ascontiguousarray(y.reshape(o, n, oh, ow).transpose(1, 0, 2, 3))

    @staticmethod
    def backward(ctx, grad):
        xp = ctx.xp
        x, weight, cols = ctx.saved
        geometry, groups = ctx.geometry, ctx.groups
        n, c, h, w = x.shape
        o, c_per_group, kh, kw = weight.shape
        if ctx.needs_grad[1] and cols is None:
            cols = _columns(xp, x, *geometry, groups)
        if not ctx.needs_grad[0] and cols is not None and _per_image(grad, cols, groups):
            return _weight_grad_per_image(ctx, grad, cols, groups, weight.shape)
        # dy as (g, O/g, N*OH*OW), its columns ordered like those of cols
        dy = xp.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(groups, o // groups, -1)
        grad_x = grad_w = None
        if ctx.needs_grad[1]:
            # cols dy^T rather than dy cols^T: the same sum, and BLAS is faster with the
            # long rows of cols as the left operand
            grad_w = xp.matmul(cols, dy.transpose(0, 2, 1)).transpose(0, 2, 1)
            grad_w = grad_w.reshape(weight.shape)
            del cols
        if ctx.needs_grad[0]:
            kernels = weight.reshape(groups, o // groups, c_per_group, kh, kw)
            dtype = xp.result_type(weight.dtype, dy.dtype)
            taps = xp.empty((groups, c_per_group * kw, dy.shape[2]), dtype=dtype)

            def kernel_row(i):  # W_g^T dy_g for kernel row i, as (C, kW, N, OH, OW)
                rows = kernels[:, :, :, i].reshape(groups, o // groups, c_per_group * kw)
                xp.matmul(rows.transpose(0, 2, 1), dy, out=taps)
                return taps.reshape((c, kw, n) + grad.shape[2:])

            grad_x = col2im(xp, kernel_row, (c, n, h, w), dtype, *geometry)
            grad_x = xp.ascontiguousarray(grad_x.transpose(1, 0, 2, 3))  # (C, N, ..) to (N, C, ..)
        if len(ctx.needs_grad) == 2:  # no bias
            return grad_x, grad_w
        grad_b = dy.sum(axis=2).reshape(o) if ctx.needs_grad[2] else None
        return grad_x, grad_w, grad_b


PER_IMAGE_RATIO = 8  # per-image products when their partial sums are this much below dy


def _per_image(grad, cols, groups) -> bool:
    """Whether dW is best summed from one product per image: when no dx is needed (the
    first layer), so dy is never transposed, and the N partial dWs are small beside it."""
    n, o = grad.shape[:2]
    return n * o * cols.shape[1] * PER_IMAGE_RATIO <= grad.size * groups


def _weight_grad_per_image(ctx, grad, cols, groups, weight_shape):
    """dW (and db) without transposing dy: dW_g = sum over images n of dy_{g,n} cols_{g,n}^T,
    with dy read in place as (g, N, O/g, OH*OW) and cols as (g, N, OH*OW, C/g*kH*kW)."""
    xp = ctx.xp
    n, o = grad.shape[:2]
    pixels = grad.shape[2] * grad.shape[3]
    dy = grad.reshape(n, groups, o // groups, pixels).transpose(1, 0, 2, 3)
    taps = cols.reshape(groups, cols.shape[1], n, pixels).transpose(0, 2, 3, 1)
    grad_w = xp.matmul(dy, taps).sum(axis=1).reshape(weight_shape) if ctx.needs_grad[1] else None
    if len(ctx.needs_grad) == 2:
        return None, grad_w
    grad_b = grad.sum(axis=(0, 2, 3)) if ctx.needs_grad[2] else None
    return None, grad_w, grad_b
