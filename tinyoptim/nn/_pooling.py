r"""The pooling functions of ``nn.functional`` (re-exported there), with torch's signatures.

Max pooling finds each window's maximum and the kernel tap that holds it in one pass
(``autograd/ops/pool.py``); the tap becomes torch's ``return_indices``, a row-major index
into the input's (H, W) plane, which ``max_unpool2d`` takes to put the maxima back.
"""

from __future__ import annotations

from ..autograd.ops import pool as pool_ops
from ..autograd.ops.conv import pair
from ..autograd.tensor import Tensor


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """The maximum of each window (padding never wins); with ``return_indices`` also where
    each maximum is, as ``max_pool2d_with_indices``."""
    if return_indices:
        return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    values, _ = _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, False)
    return values


def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
) -> tuple[Tensor, Tensor]:
    """``(values, indices)``: the maximum of each window, and its row-major index (int64)
    into the input's (H, W) plane; ``return_indices`` is ignored, as in torch."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    x, unbatched = _pool_input(input, "max_pool2d")
    xp = x.backend.xp
    maximum, position, geometry = pool_ops.window_max(
        xp, x.data, kernel, stride, pair(padding, "padding"), pair(dilation, "dilation"), ceil_mode
    )
    values = pool_ops.MaxPool2d.apply(x, maximum, position, geometry)
    indices = None
    if with_indices:
        flat = pool_ops.flat_indices(xp, position, x.shape[3], geometry)
        indices = Tensor._make(flat, x.device)
    if unbatched:
        values = values.squeeze(0)
        indices = None if indices is None else indices.squeeze(0)
    return values, indices


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool2d``'s selection: zeros, with each value of ``input`` written
    at its index from ``max_pool2d(..., return_indices=True)``; the gradient is read back
    from those indices."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding")
    size = _unpool_output_size(input.shape, kernel, stride, padding, output_size)
    if indices.dtype.name != "int64":
        raise RuntimeError(
            f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}"
        )
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
            f"{input.ndim} dimensions."
        )
    if indices.shape != input.shape:
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    return pool_ops.MaxUnpool2d.apply(input, indices.data, out_hw=tuple(size))


def _unpool_output_size(input_shape, kernel, stride, padding, output_size) -> list:
    """torch's ``_unpool_output_size``: the size ``max_pool2d`` came from, or the given
    ``output_size`` ((H, W) or (N, C, H, W)) when it is within a stride of it."""
    default = [(input_shape[-2 + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(2)]
    if output_size is None:
        return default
    if len(output_size) == 4:
        output_size = output_size[2:]
    if len(output_size) != 2:
        raise ValueError(
            "output_size should be a sequence containing 2 or 4 elements, but it has a "
            f"length of '{len(output_size)}'"
        )
    for d in range(2):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})'
            )
    return list(output_size)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """The mean of each window; zero padding counts in the divisor if ``count_include_pad``."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    x, unbatched = _pool_input(input, "avg_pool2d")
    out = pool_ops.AvgPool2d.apply(
        x,
        kernel=kernel,
        stride=stride,
        padding=pair(padding, "padding"),
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )
    return out.squeeze(0) if unbatched else out


def _pool_input(input: Tensor, name: str):
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise RuntimeError(f"{name}: Expected 3D or 4D tensor, but got {list(input.shape)}")
    return input, False
