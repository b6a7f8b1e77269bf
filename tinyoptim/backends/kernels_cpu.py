"""Fused optimizer updates for the CPU, compiled by numba (the ``[fast]`` extra).

Each kernel is one pass over flat arrays: every element is read once into a local,
updated, and written once, where the NumPy path makes a dozen passes. (Reading into
locals also matters for speed: the arrays may overlap as far as the compiler knows, so
re-reading ``m[i]`` after writing ``theta[i]`` would stop it vectorising the loop.)
The arithmetic is that of the optimizer's NumPy kernel, operation for operation (no
fast-math, so nothing is fused or reordered), and the per-step scalars (bias
corrections, 1 - beta) arrive precomputed in the arrays' dtype, so a float32 update stays
float32 and both paths agree.

A kernel does not take arrays but a ``PointerTable`` (``pointer_table.py``): one row per
block of elements, holding where each operand's block starts and how long it is. So one
call updates a whole bucket, however many parameters it has, and a large table's rows are
shared among the worker threads (``workers.py``; the kernels release the GIL) whatever
the parameters' sizes. Kernels use NumPy's error model (a division by zero gives inf, as
in NumPy); without it numba checks every division, which stops LLVM from vectorising the
loops.

This module imports numba at load time; ``NumpyBackend.kernel`` imports it lazily and
returns None when numba is missing, so the optimizers fall back to their NumPy kernels.
"""

from __future__ import annotations

import numba
import numpy
from numba.core import types as nbtypes
from numba.extending import intrinsic

from .pointer_table import PointerTable
from .workers import WORKERS, run_split

PARALLEL_ELEMENTS = 1 << 17  # below this, handing rows to worker threads costs more than it saves


class _Kernel:
    """A compiled kernel: ``kernel(theta, grad, *states, *scalars)`` updates one piece;
    ``kernel.over(table, scalars)`` every piece of a ``PointerTable``, in one call or, for
    a large table, one call per worker thread on its share of the rows."""

    def __init__(self, fn, arrays: int):
        self.__name__ = fn.__name__
        self.arrays = arrays  # how many operands a row holds
        self.compiled = numba.njit(cache=True, nogil=True, error_model="numpy")(fn)

    def supports(self, dtype) -> bool:
        """Whether arrays of ``dtype`` can be updated (numba has no float16 arithmetic)."""
        return numpy.dtype(dtype) in (numpy.float32, numpy.float64)

    def __call__(self, *args):
        table = PointerTable([args[: self.arrays]])
        self.over(table, args[self.arrays :])

    def over(self, table: PointerTable, scalars) -> None:
        rows = table.rows
        if table.size < PARALLEL_ELEMENTS or len(rows) < 2:
            self.compiled(rows, table.like, *scalars)
            return
        shares = numpy.array_split(rows, min(WORKERS, len(rows)))
        run_split(self.compiled, shares, table.like, *scalars)


def _jit(arrays: int):
    return lambda fn: _Kernel(fn, arrays)


@intrinsic
def _pointer(typingctx, address, like):
    """``address`` (an int64) as a pointer to ``like``'s dtype."""
    pointer = nbtypes.CPointer(like.dtype)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(address, like), codegen


@numba.njit(inline="always")
def _operand(rows, j, k, like):
    """Operand ``k`` of row ``j``, as a 1-d array."""
    return numba.carray(_pointer(rows[j, k], like), rows[j, -1])


@numba.njit(inline="always")
def _row2(rows, j, like):
    return _operand(rows, j, 0, like), _operand(rows, j, 1, like)


@numba.njit(inline="always")
def _row3(rows, j, like):
    return _row2(rows, j, like) + (_operand(rows, j, 2, like),)


@numba.njit(inline="always")
def _row4(rows, j, like):
    return _row3(rows, j, like) + (_operand(rows, j, 3, like),)


@numba.njit(inline="always")
def _row5(rows, j, like):
    return _row4(rows, j, like) + (_operand(rows, j, 4, like),)


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


@numba.njit(inline="always")
def _moments(x, grad, m, v, shared):
    """What Adam, NAdam and RAdam share for one element: the sign, the weight decay
    (decoupled: on theta; else added to g), then the new moments. Returns (x, g, m, v)."""
    (maximize, weight_decay, decay_factor, decoupled, weight, one_minus_weight, beta2,
     one_minus_beta2) = shared  # fmt: skip
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled:
            x = x * decay_factor
        else:
            g = g + x * weight_decay
    return x, g, _lerp(m, g, weight, one_minus_weight), v * beta2 + (g * one_minus_beta2) * g


@_jit(5)
def adam(rows, like, maximize, weight_decay, decay_factor, decoupled, weight,
         one_minus_weight, beta2, one_minus_beta2, amsgrad, bias_correction2_sqrt, eps,
         step_size):  # fmt: skip
    """optim.adam._multi_tensor_adam's kernel, element by element."""
    shared = (maximize, weight_decay, decay_factor, decoupled, weight, one_minus_weight, beta2,
              one_minus_beta2)  # fmt: skip
    for j in range(len(rows)):
        theta, grad, m, v, v_max = _row5(rows, j, like)
        for i in range(theta.size):
            x, g, m_i, second = _moments(theta[i], grad[i], m[i], v[i], shared)
            m[i], v[i] = m_i, second
            if amsgrad:
                second = v_max[i] = _maximum(v_max[i], second)
            denom = numpy.sqrt(second) / bias_correction2_sqrt + eps
            theta[i] = x + (m_i / denom) * step_size


@_jit(3)
def sgd(rows, like, maximize, weight_decay, mu, one_minus_tau, nesterov, momentum, minus_lr):
    """optim.sgd._multi_tensor_sgd's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, buf = _row3(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            b = buf[i] = buf[i] * mu + g * one_minus_tau
            g = g + b * momentum if nesterov else b
            theta[i] = x + g * minus_lr


@_jit(4)
def adadelta(rows, like, maximize, weight_decay, rho, one_minus_rho, eps, minus_lr):
    """optim.adadelta._multi_tensor_adadelta's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, v, u = _row4(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            v_i = v[i] = v[i] * rho + (g * one_minus_rho) * g
            std = numpy.sqrt(v_i + eps)
            u_i = u[i]
            delta = numpy.sqrt(u_i + eps) / std * g
            u[i] = u_i * rho + (delta * one_minus_rho) * delta
            theta[i] = x + delta * minus_lr


@_jit(3)
def adagrad(rows, like, maximize, weight_decay, eps, minus_clr):
    """optim.adagrad._multi_tensor_adagrad's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, s = _row3(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            s_i = s[i] = s[i] + g * g
            theta[i] = x + (g * minus_clr) / (numpy.sqrt(s_i) + eps)


@_jit(4)
def adamax(rows, like, maximize, weight_decay, weight, one_minus_weight, beta2, eps, minus_clr):
    """optim.adamax._multi_tensor_adamax's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, m, u = _row4(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            m_i = m[i] = _lerp(m[i], g, weight, one_minus_weight)
            u_i = u[i] = _maximum(u[i] * beta2, abs(g) + eps)
            theta[i] = x + (m_i * minus_clr) / u_i


@numba.njit(inline="always")
def _minus_square(v, a):
    """``v - a * a`` rounded once, as torch's fused ``addcmul`` (see optim/_ops.py): for
    float32 through float64, where ``a * a`` is exact."""
    return type(v)(numpy.float64(v) - numpy.float64(a) * numpy.float64(a))


@numba.njit(inline="always")
def _rmsprop(x, g, v, buf, g_avg, scalars):
    """One element of RMSprop: the new (theta, v, buf, g_avg)."""
    (maximize, weight_decay, alpha, weight, one_minus_weight, centered, eps, with_momentum,
     momentum, minus_lr) = scalars  # fmt: skip
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + x * weight_decay
    v = v * alpha + (g * weight) * g
    if centered:
        g_avg = _lerp(g_avg, g, weight, one_minus_weight)
        avg = numpy.sqrt(_minus_square(v, g_avg)) + eps
    else:
        avg = numpy.sqrt(v) + eps
    if with_momentum:
        buf = buf * momentum + g / avg
        return x + buf * minus_lr, v, buf, g_avg
    return x + (g * minus_lr) / avg, v, buf, g_avg


@_jit(5)
def rmsprop(rows, like, maximize, weight_decay, alpha, weight, one_minus_weight, centered,
            eps, with_momentum, momentum, minus_lr):  # fmt: skip
    """optim.rmsprop._multi_tensor_rmsprop's kernel, element by element.

    A buffer the settings leave out is v again, and a loop that might write aliased
    arrays is not vectorised, so each setting has a loop that touches only its own
    buffers (v's value stands in for the others).
    """
    s = (maximize, weight_decay, alpha, weight, one_minus_weight, centered, eps,
         with_momentum, momentum, minus_lr)  # fmt: skip
    for j in range(len(rows)):
        theta, grad, v, buf, g_avg = _row5(rows, j, like)
        if centered and with_momentum:
            for i in range(theta.size):
                new = _rmsprop(theta[i], grad[i], v[i], buf[i], g_avg[i], s)
                theta[i], v[i], buf[i], g_avg[i] = new
        elif centered:
            for i in range(theta.size):
                v_i = v[i]
                theta[i], v[i], _, g_avg[i] = _rmsprop(theta[i], grad[i], v_i, v_i, g_avg[i], s)
        elif with_momentum:
            for i in range(theta.size):
                v_i = v[i]
                theta[i], v[i], buf[i], _ = _rmsprop(theta[i], grad[i], v_i, buf[i], v_i, s)
        else:
            for i in range(theta.size):
                v_i = v[i]
                theta[i], v[i], _, _ = _rmsprop(theta[i], grad[i], v_i, v_i, v_i, s)


@_jit(4)
def nadam(rows, like, maximize, weight_decay, decay_factor, decoupled, weight,
          one_minus_weight, beta2, one_minus_beta2, bias_correction2, eps, grad_coef,
          momentum_coef):  # fmt: skip
    """optim.nadam._multi_tensor_nadam's kernel, element by element."""
    shared = (maximize, weight_decay, decay_factor, decoupled, weight, one_minus_weight, beta2,
              one_minus_beta2)  # fmt: skip
    for j in range(len(rows)):
        theta, grad, m, v = _row4(rows, j, like)
        for i in range(theta.size):
            x, g, m_i, v_i = _moments(theta[i], grad[i], m[i], v[i], shared)
            m[i], v[i] = m_i, v_i
            denom = numpy.sqrt(v_i / bias_correction2) + eps
            x += (g * grad_coef) / denom
            theta[i] = x + (m_i * momentum_coef) / denom


@_jit(4)
def radam(rows, like, maximize, weight_decay, decay_factor, decoupled, weight,
          one_minus_weight, beta2, one_minus_beta2, bias_correction1, lr, adaptive,
          bias_correction2_sqrt, eps, rect):  # fmt: skip
    """optim.radam._multi_tensor_radam's kernel, element by element."""
    shared = (maximize, weight_decay, decay_factor, decoupled, weight, one_minus_weight, beta2,
              one_minus_beta2)  # fmt: skip
    for j in range(len(rows)):
        theta, grad, m, v = _row4(rows, j, like)
        for i in range(theta.size):
            x, g, m_i, v_i = _moments(theta[i], grad[i], m[i], v[i], shared)
            m[i], v[i] = m_i, v_i
            update = m_i / bias_correction1 * lr
            if adaptive:
                update = update * (bias_correction2_sqrt / (numpy.sqrt(v_i) + eps)) * rect
            theta[i] = x - update


@_jit(4)
def rprop(rows, like, maximize, etaplus, etaminus, step_size_min, step_size_max, zero, one):
    """optim.rprop._multi_tensor_rprop's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, prev, step_size = _row4(rows, j, like)
        for i in range(theta.size):
            g = -grad[i] if maximize else grad[i]
            s = g * prev[i]
            if s > 0:
                factor = etaplus
            elif s < 0:
                factor = etaminus
                g = zero  # forgotten where the sign flipped (an infinite g too)
            else:  # 0 or NaN (torch's sign of NaN is 0)
                factor = one
            size = step_size[i] * factor
            if size < step_size_min:
                size = step_size_min
            if size > step_size_max:
                size = step_size_max
            step_size[i] = size
            prev[i] = g
            if g > 0:
                direction = one
            elif g < 0:
                direction = -one
            else:  # 0 or NaN
                direction = zero
            theta[i] -= direction * size


@_jit(3)
def asgd(rows, like, maximize, weight_decay, decay_factor, minus_eta, averaging, mu):
    """optim.asgd._multi_tensor_asgd's kernel, element by element."""
    for j in range(len(rows)):
        theta, grad, ax = _row3(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            x = x * decay_factor
            x += g * minus_eta
            theta[i] = x
            if averaging:
                ax[i] += (x - ax[i]) * mu
            else:
                ax[i] = x


@_jit(2)
def sgd_plain(rows, like, maximize, weight_decay, minus_lr):
    """optim.sgd._single_tensor_sgd without momentum, element by element."""
    for j in range(len(rows)):
        theta, grad = _row2(rows, j, like)
        for i in range(theta.size):
            x, g = theta[i], -grad[i] if maximize else grad[i]
            if weight_decay != 0:
                g = g + x * weight_decay
            theta[i] = x + g * minus_lr


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
