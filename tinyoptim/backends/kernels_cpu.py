"""Fused optimizer updates for the CPU, compiled by numba (the ``[fast]`` extra).

Each kernel is one parallel pass over flat arrays: every element is read once, updated,
and written once, where the NumPy path makes a dozen passes. The arithmetic is that of
the optimizer's NumPy kernel, operation for operation (no fast-math, so nothing is fused
or reordered), and the per-step scalars (bias corrections, 1 - beta) arrive precomputed
in the arrays' dtype, so a float32 update stays float32 and both paths agree.

This module imports numba at load time; ``NumpyBackend.kernel`` imports it lazily and
returns None when numba is missing, so the optimizers fall back to their NumPy kernels.
"""

from __future__ import annotations

import numba
import numpy

_jit = numba.njit(parallel=True, cache=True)


@numba.njit(inline="always")
def _lerp(start, end, weight, one_minus_weight):
    """torch's CPU lerp, as optim/_ops.lerp_ rounds it (formula switches at 0.5)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * one_minus_weight


@_jit
def adam(theta, grad, m, v, v_max, maximize, weight_decay, decay_factor, decoupled,
         weight, one_minus_weight, beta2, one_minus_beta2, amsgrad, bias_correction2_sqrt,
         eps, step_size):  # fmt: skip
    """optim.adam._multi_tensor_adam's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            if decoupled:
                theta[i] *= decay_factor
            else:
                g = g + theta[i] * weight_decay
        m[i] = _lerp(m[i], g, weight, one_minus_weight)
        v[i] = v[i] * beta2 + (g * one_minus_beta2) * g
        second = v[i]
        if amsgrad:
            second = max(v_max[i], second)
            v_max[i] = second
        denom = numpy.sqrt(second) / bias_correction2_sqrt + eps
        theta[i] += (m[i] / denom) * step_size


@_jit
def sgd(theta, grad, buf, maximize, weight_decay, mu, one_minus_tau, nesterov, momentum,
        minus_lr):  # fmt: skip
    """optim.sgd._multi_tensor_sgd's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        buf[i] = buf[i] * mu + g * one_minus_tau
        g = g + buf[i] * momentum if nesterov else buf[i]
        theta[i] += g * minus_lr


KERNELS = {"adam": adam, "sgd": sgd}
