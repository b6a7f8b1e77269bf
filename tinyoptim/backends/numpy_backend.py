"""The CPU backend: tensors' data are plain NumPy arrays."""

from __future__ import annotations

import numpy
import scipy.special


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

    def erf(self, x):
        """The error function, elementwise (NumPy has none)."""
        return scipy.special.erf(x)

    def synchronize(self) -> None:
        """Nothing to wait for on the CPU."""
