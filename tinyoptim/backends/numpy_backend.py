"""The CPU backend: tensors' data are plain NumPy arrays."""

from __future__ import annotations

import functools
import types

import numpy
import scipy.special

from .pointer_table import PointerTable

SPECIAL = {  # torch's name: SciPy's function (the CPU backends share them)
    "erf": scipy.special.erf,
    "erfc": scipy.special.erfc,
    "erfinv": scipy.special.erfinv,
    "lgamma": scipy.special.gammaln,
    "digamma": scipy.special.psi,
    "trigamma": functools.partial(scipy.special.polygamma, 1),
    "i1": scipy.special.i1,
}


class NumpyBackend:
    """Array math on the CPU through NumPy."""

    name = "cpu"
    xp = numpy

    def asarray(self, data, dtype=None):
        """A backend array from host data (nested lists, scalars, NumPy arrays); copies."""
        return numpy.array(data, dtype=dtype, copy=True)

    def ensure_array(self, value):
        """Turn the NumPy scalars that reductions return back into 0-d arrays."""
        return value if type(value) is numpy.ndarray else numpy.asarray(value)

    def is_array(self, value) -> bool:
        return isinstance(value, numpy.ndarray)

    def from_host(self, array: numpy.ndarray):
        return numpy.array(array, copy=True)

    def to_host(self, array) -> numpy.ndarray:
        return numpy.asarray(array)

    def scatter_add(self, target, indices, values) -> None:
        """``target[indices] += values`` with repeated indices summed."""
        numpy.add.at(target, indices, values)

    def kernel(self, name: str):
        """A fused optimizer kernel compiled by numba, or None without the ``[fast]`` extra."""
        kernels = _compiled_kernels()
        return kernels.get(name) if kernels is not None else None

    def op_kernels(self):
        """The compiled kernels of autograd ops (``kernels_cpu_pool.py``,
        ``kernels_cpu_relu.py``), or None without the ``[fast]`` extra, in which case the
        ops run their NumPy code."""
        return _compiled_op_kernels()

    def pointer_table(self, pieces: list):
        """The operands of a compiled kernel over many pieces (``pointer_table.py``): built
        once, then every ``kernel.over(table, scalars)`` is one call."""
        return PointerTable(pieces)

    def is_contiguous(self, array) -> bool:
        """Whether ``array``'s elements lie in row-major order without gaps."""
        return bool(array.flags.c_contiguous)

    def flat_view(self, array):
        """``array`` as a 1-d view of the same memory, or None when it is not contiguous."""
        return array.reshape(-1) if array.flags.c_contiguous else None

    def span(self, arrays):
        """One 1-d view covering ``arrays`` when they lie back to back, in order, in one
        base buffer (as ``flatten_parameters`` lays them out); else None."""
        return _span(arrays, lambda a: a.__array_interface__["data"][0])

    def erf(self, x):
        """The error function, elementwise (NumPy has none)."""
        return scipy.special.erf(x)

    def erfinv(self, x):
        """The inverse error function, elementwise (for ``nn.init.trunc_normal_``)."""
        return scipy.special.erfinv(x)

    def special(self, name: str, x):
        """The special function torch calls ``name`` (``SPECIAL``), from SciPy."""
        return SPECIAL[name](x)

    def synchronize(self) -> None:
        """Nothing to wait for on the CPU."""


def quiet_math():
    """A context in which NumPy does not warn about overflow, division by zero or invalid
    values: torch computes through inf and NaN silently, and so do the optimizers' steps."""
    return numpy.errstate(all="ignore")


@functools.cache
def _compiled_kernels():
    """numba's kernels, or None without numba; imported once (a failed import is not
    cached by Python, and retrying it on every step costs milliseconds)."""
    try:
        from . import kernels_cpu
    except ImportError:
        return None
    return kernels_cpu.KERNELS


@functools.cache
def _compiled_op_kernels():
    """The op kernels, or None without numba; imported once, as above."""
    try:
        from . import kernels_cpu_pool, kernels_cpu_relu
    except ImportError:
        return None
    return types.SimpleNamespace(
        supports=kernels_cpu_pool.supports,
        max_pool2d_backward=kernels_cpu_pool.max_pool2d_backward,
        relu=kernels_cpu_relu.relu,
        relu_backward=kernels_cpu_relu.relu_backward,
    )


def _span(arrays, address):
    """Shared by the NumPy-like backends: see ``NumpyBackend.span``."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    itemsize = base.itemsize
    expected = address(arrays[0])
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or address(a) != expected:
            return None
        expected += a.size * itemsize
    start = (address(arrays[0]) - address(base)) // itemsize
    stop = (expected - address(base)) // itemsize
    return base[start:stop]
