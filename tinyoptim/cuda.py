"""``tinyoptim.cuda``: is a GPU usable, and how much of CuPy's memory pool is in use."""

from __future__ import annotations

from .backends import cuda_is_available, get_backend


def is_available() -> bool:
    """True when CuPy is installed and sees a CUDA GPU."""
    return cuda_is_available()


def device_count() -> int:
    from .backends.cupy_backend import cuda_device_count

    return cuda_device_count()


def memory_stats(device="cuda") -> dict:
    """Bytes used and held by CuPy's memory pool (``used_bytes``, ``total_bytes``).

    nvidia-smi shows what the pool holds, not what live tensors use.
    """
    return get_backend(device).memory_stats()


def synchronize(device="cuda") -> None:
    """Wait for the GPU to finish its queued work (for timing)."""
    get_backend(device).synchronize()
