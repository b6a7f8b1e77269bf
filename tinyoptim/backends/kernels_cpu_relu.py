"""ReLU's forward and backward for the CPU, compiled by numba (the ``[fast]`` extra).

NumPy needs two passes for each: ``maximum(a, zeros)`` (a zero-filled operand, because
NumPy's loop against a scalar is several times slower) and ``grad * ~(out <= 0)`` (a
mask, its negation and a product). Each kernel here is one pass, in torch's rules:

    forward   z = 0 where a < 0, else a         (NaN and -0.0 pass through)
    backward  dz/da = 0 where z <= 0, else g    (a NaN output passes its gradient)

One thread: the pass is bound by memory, and handing half of an 800,000-element array to
a worker thread made it twice as slow.
"""

from __future__ import annotations

import numba
import numpy


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _relu(a, out):
    for k in range(a.size):
        value = a[k]
        out[k] = 0 if value < 0 else value


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _relu_backward(grad, out, result):
    for k in range(grad.size):
        result[k] = 0 if out[k] <= 0 else grad[k]


def relu(a):
    """max(a, 0) of a C-contiguous array, a new array."""
    out = numpy.empty_like(a)
    _relu(a.reshape(-1), out.reshape(-1))
    return out


def relu_backward(grad, out):
    """The gradient of ReLU's input from C-contiguous ``grad`` and the forward's ``out``."""
    result = numpy.empty_like(grad)
    _relu_backward(grad.reshape(-1), out.reshape(-1), result.reshape(-1))
    return result
