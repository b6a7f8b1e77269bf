"""Max pooling's backward for the CPU, compiled by numba (the ``[fast]`` extra).

Max pooling's forward (``autograd/ops/pool.py``) records, per window, the tap that holds
the maximum. Its NumPy backward routes the gradient to every tap through a comparison, a
product and a strided copy per tap; here one pass over the windows adds each gradient to
the input cell its window took, visiting the windows in torch's order, so that
overlapping windows sum as torch's do. Taps on the padding (only a window wholly on the
padding records one) take nothing.

The kernel takes (R, OH, OW) gradient and position planes and (R, H, W) result planes,
with R the batch times the channels; the planes are independent, so a large call is split
among the worker threads (``workers.py``; the kernel releases the GIL).

(A compiled forward was slower than NumPy's whole-array passes: with the kernel size known
only at run time, numba neither unrolls the window loop nor vectorises across windows.)
"""

from __future__ import annotations

import numba
import numpy

from .workers import WORKERS, run_split

PARALLEL_ELEMENTS = 1 << 16  # below this, handing planes to worker threads costs more


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _max_pool2d_backward(grad, position, result, rows, columns, stride):
    """``rows[t]``, ``columns[t]``: where tap t lies relative to its window's corner."""
    planes, h, w = result.shape
    _, oh, ow = grad.shape
    for r in range(planes):
        result[r] = 0
        for a in range(oh):
            for b in range(ow):
                tap = position[r, a, b]
                y, z = a * stride[0] + rows[tap], b * stride[1] + columns[tap]
                if 0 <= y < h and 0 <= z < w:
                    result[r, y, z] += grad[r, a, b]


def _split(fn, size: int, arrays: tuple, geometry: tuple) -> None:
    """``fn(*arrays, *geometry)`` over every plane of the arrays, on the worker threads
    when the work is large enough."""
    planes = len(arrays[0])
    if size < PARALLEL_ELEMENTS or planes < 2:
        fn(*arrays, *geometry)
        return
    bounds = numpy.linspace(0, planes, min(WORKERS, planes) + 1).astype(int)
    parts = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
    run_split(lambda part: fn(*(a[part] for a in arrays), *geometry), parts)


def supports(dtype) -> bool:
    """Whether the kernel takes ``dtype`` (numba has no float16 arithmetic)."""
    return numpy.dtype(dtype) in (numpy.float32, numpy.float64)


def max_pool2d_backward(grad, position, x_shape, kernel, stride, padding, dilation):
    """The gradient of ``max_pool2d``'s input: each window's gradient at the tap it took."""
    n, c, h, w = x_shape
    result = numpy.empty(x_shape, dtype=grad.dtype)
    out_shape = (n * c,) + grad.shape[2:]
    planes = (grad.reshape(out_shape), position.reshape(out_shape), result.reshape(n * c, h, w))
    taps = numpy.indices(kernel).reshape(2, -1)  # tap t is kernel cell (taps[0, t], taps[1, t])
    rows = taps[0] * dilation[0] - padding[0]
    columns = taps[1] * dilation[1] - padding[1]
    _split(_max_pool2d_backward, result.size, planes, (rows, columns, tuple(stride)))
    return result
