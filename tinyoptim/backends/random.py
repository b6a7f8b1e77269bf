"""The one random generator: a NumPy ``Generator`` on the host.

Every random draw (factories, ``nn.init``, dropout masks) is made on the CPU and then
moved to its device, so a CPU run and a GPU run with the same seed start from identical
numbers, and the state is plain data that a checkpoint can hold.
"""

from __future__ import annotations

import numpy

_generator = [numpy.random.Generator(numpy.random.PCG64(0))]


def generator() -> numpy.random.Generator:
    """The process-wide generator that every random draw uses."""
    return _generator[0]


def manual_seed(seed: int) -> None:
    """Seed every backend: all later random draws are reproducible."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected an int seed, got {type(seed).__name__}")
    _generator[0] = numpy.random.Generator(numpy.random.PCG64(seed & 0xFFFF_FFFF_FFFF_FFFF))


def get_rng_state() -> dict:
    """The generator's state as plain data (dicts, strings, ints)."""
    state = _generator[0].bit_generator.state
    return {
        "bit_generator": state["bit_generator"],
        "state": {"state": str(state["state"]["state"]), "inc": str(state["state"]["inc"])},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``: later draws repeat bit for bit."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ValueError("set_rng_state expects a dict returned by tinyoptim.get_rng_state()")
    bit_generator = numpy.random.PCG64()
    bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }
    _generator[0] = numpy.random.Generator(bit_generator)


def _draw_dtype(dtype) -> str:
    """NumPy draws float32 and float64 natively; others are drawn in float32 and cast."""
    return dtype.name if dtype.name in ("float32", "float64") else "float32"


def uniform(shape: tuple, dtype) -> numpy.ndarray:
    """Host array of U[0, 1) draws."""
    return _generator[0].random(shape, dtype=_draw_dtype(dtype)).astype(dtype.np, copy=False)


def normal(shape: tuple, dtype) -> numpy.ndarray:
    """Host array of N(0, 1) draws."""
    draws = _generator[0].standard_normal(shape, dtype=_draw_dtype(dtype))
    return draws.astype(dtype.np, copy=False)


def integers(low: int, high: int, shape: tuple, dtype) -> numpy.ndarray:
    """Host array of integers drawn uniformly from [low, high)."""
    return _generator[0].integers(low, high, size=shape).astype(dtype.np, copy=False)


def bernoulli(shape: tuple, p: float) -> numpy.ndarray:
    """Host boolean array, True with probability ``p``."""
    return _generator[0].random(shape) < p


def permutation(n: int, dtype) -> numpy.ndarray:
    """Host array holding a random permutation of 0..n-1."""
    return _generator[0].permutation(n).astype(dtype.np, copy=False)
