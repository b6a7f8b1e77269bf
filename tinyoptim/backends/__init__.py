"""Array backends: the only place that imports NumPy or CuPy to compute.

A backend is one small object per array library with ``xp`` (its array namespace),
``asarray``/``from_host``/``to_host`` and the few kernels a library lacks
(``scatter_add``). A ``Device`` resolves to its backend.
"""

from .device import (
    Device,
    cuda_is_available,
    device,
    get_backend,
    get_default_device,
    resolve,
    set_default_device,
)
from .dtype import DType, as_dtype, get_default_dtype, set_default_dtype
from .numpy_backend import quiet_math
from .random import generator, get_rng_state, manual_seed, set_rng_state

__all__ = [
    "DType",
    "Device",
    "as_dtype",
    "cuda_is_available",
    "device",
    "generator",
    "get_backend",
    "get_default_device",
    "get_default_dtype",
    "get_rng_state",
    "manual_seed",
    "quiet_math",
    "resolve",
    "set_default_device",
    "set_default_dtype",
    "set_rng_state",
]
