"""Fused optimizer updates for the CPU, compiled by numba (the ``[fast]`` extra).

Each kernel is one pass over flat arrays: every element is read once, updated, and
written once, where the NumPy path makes a dozen passes. Large arrays get the parallel
build of a kernel (numba's threads); small ones the serial build, which skips waking the
thread pool. The arithmetic is that of
the optimizer's NumPy kernel, operation for operation (no fast-math, so nothing is fused
or reordered), and the per-step scalars (bias corrections, 1 - beta) arrive precomputed
in the arrays' dtype, so a float32 update stays float32 and both paths agree.

This module imports numba at load time; ``NumpyBackend.kernel`` imports it lazily and
returns None when numba is missing, so the optimizers fall back to their NumPy kernels.
"""

from __future__ import annotations

import types

import numba
import numpy

PARALLEL_ELEMENTS = 1 << 16  # below this, waking numba's threads costs more than they save


class _Kernel:
    """A kernel compiled twice, serial and parallel, called by the size of its arrays."""

    def __init__(self, fn):
        self.__name__ = fn.__name__
        self.parallel = numba.njit(parallel=True, cache=True, nogil=True)(fn)
        twin = types.FunctionType(fn.__code__, fn.__globals__, f"{fn.__name__}_serial")
        twin.__qualname__ = f"{fn.__qualname__}_serial"  # its own entry in numba's cache
        self.serial = numba.njit(cache=True, nogil=True)(twin)  # callable from worker threads

    def __call__(self, theta, *args):
        build = self.parallel if theta.size >= PARALLEL_ELEMENTS else self.serial
        return build(theta, *args)


def _jit(fn):
    return _Kernel(fn)


@numba.njit(inline="always")
def _lerp(start, end, weight, one_minus_weight):
    """torch's CPU lerp, as optim/_ops.lerp_ rounds it (formula switches at 0.5)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * one_minus_weight


@numba.njit(inline="always")
def _maximum(a, b):
    """``numpy.maximum`` of two scalars: a NaN in either wins."""
    if a != a or a >= b:
        return a
    return b


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


@_jit
def adadelta(theta, grad, v, u, maximize, weight_decay, rho, one_minus_rho, eps,
             minus_lr):  # fmt: skip
    """optim.adadelta._multi_tensor_adadelta's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        v[i] = v[i] * rho + (g * one_minus_rho) * g
        std = numpy.sqrt(v[i] + eps)
        delta = numpy.sqrt(u[i] + eps) / std * g
        u[i] = u[i] * rho + (delta * one_minus_rho) * delta
        theta[i] += delta * minus_lr


@_jit
def adagrad(theta, grad, s, maximize, weight_decay, eps, minus_clr):
    """optim.adagrad._multi_tensor_adagrad's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        s[i] += g * g
        theta[i] += (g * minus_clr) / (numpy.sqrt(s[i]) + eps)


@_jit
def adamax(theta, grad, m, u, maximize, weight_decay, weight, one_minus_weight, beta2, eps,
           minus_clr):  # fmt: skip
    """optim.adamax._multi_tensor_adamax's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        m[i] = _lerp(m[i], g, weight, one_minus_weight)
        u[i] = _maximum(u[i] * beta2, abs(g) + eps)
        theta[i] += (m[i] * minus_clr) / u[i]


@_jit
def rmsprop(theta, grad, v, buf, g_avg, maximize, weight_decay, alpha, weight,
            one_minus_weight, centered, eps, with_momentum, momentum, minus_lr):  # fmt: skip
    """optim.rmsprop._multi_tensor_rmsprop's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        v[i] = v[i] * alpha + (g * weight) * g
        if centered:
            g_avg[i] = _lerp(g_avg[i], g, weight, one_minus_weight)
            avg = numpy.sqrt(v[i] - g_avg[i] * g_avg[i]) + eps
        else:
            avg = numpy.sqrt(v[i]) + eps
        if with_momentum:
            buf[i] = buf[i] * momentum + g / avg
            theta[i] += buf[i] * minus_lr
        else:
            theta[i] += (g * minus_lr) / avg


@_jit
def nadam(theta, grad, m, v, maximize, weight_decay, decay_factor, decoupled, weight,
          one_minus_weight, beta2, one_minus_beta2, bias_correction2, eps, grad_coef,
          momentum_coef):  # fmt: skip
    """optim.nadam._multi_tensor_nadam's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            if decoupled:
                theta[i] *= decay_factor
            else:
                g = g + theta[i] * weight_decay
        m[i] = _lerp(m[i], g, weight, one_minus_weight)
        v[i] = v[i] * beta2 + (g * one_minus_beta2) * g
        denom = numpy.sqrt(v[i] / bias_correction2) + eps
        theta[i] += (g * grad_coef) / denom
        theta[i] += (m[i] * momentum_coef) / denom


@_jit
def radam(theta, grad, m, v, maximize, weight_decay, decay_factor, decoupled, weight,
          one_minus_weight, beta2, one_minus_beta2, bias_correction1, lr, adaptive,
          bias_correction2_sqrt, eps, rect):  # fmt: skip
    """optim.radam._multi_tensor_radam's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            if decoupled:
                theta[i] *= decay_factor
            else:
                g = g + theta[i] * weight_decay
        m[i] = _lerp(m[i], g, weight, one_minus_weight)
        v[i] = v[i] * beta2 + (g * one_minus_beta2) * g
        update = m[i] / bias_correction1 * lr
        if adaptive:
            update = update * (bias_correction2_sqrt / (numpy.sqrt(v[i]) + eps)) * rect
        theta[i] -= update


@_jit
def rprop(theta, grad, prev, step_size, maximize, etaplus, etaminus, step_size_min,
          step_size_max, zero, one):  # fmt: skip
    """optim.rprop._multi_tensor_rprop's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        s = g * prev[i]
        if s > 0:
            factor, keep = etaplus, one
        elif s < 0:
            factor, keep = etaminus, zero
        elif s == 0:
            factor, keep = one, one
        else:  # NaN: the step size becomes NaN, and g is kept
            factor, keep = s, one
        size = step_size[i] * factor
        if size < step_size_min:
            size = step_size_min
        if size > step_size_max:
            size = step_size_max
        step_size[i] = size
        g = g * keep
        prev[i] = g
        if g > 0:
            direction = one
        elif g < 0:
            direction = -one
        elif g == 0:
            direction = zero
        else:
            direction = g
        theta[i] -= direction * size


@_jit
def asgd(theta, grad, ax, maximize, weight_decay, decay_factor, minus_eta, averaging, mu):
    """optim.asgd._multi_tensor_asgd's kernel, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        x = theta[i] * decay_factor
        x += g * minus_eta
        theta[i] = x
        if averaging:
            ax[i] += (x - ax[i]) * mu
        else:
            ax[i] = x


@_jit
def sgd_plain(theta, grad, maximize, weight_decay, minus_lr):
    """optim.sgd._single_tensor_sgd without momentum, element by element."""
    for i in numba.prange(theta.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = g + theta[i] * weight_decay
        theta[i] += g * minus_lr


KERNELS = {
    "sgd_plain": sgd_plain,
    "adam": adam,
    "sgd": sgd,
    "adadelta": adadelta,
    "adagrad": adagrad,
    "adamax": adamax,
    "rmsprop": rmsprop,
    "nadam": nadam,
    "radam": radam,
    "rprop": rprop,
    "asgd": asgd,
}
