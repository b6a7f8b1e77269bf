"""The GPU backend: tensors' data are CuPy arrays on one CUDA device.

CuPy is imported here, on the first use of a ``cuda`` device, and never by
``import tinyoptim``.
"""

from __future__ import annotations

import importlib

GPU_EXTRA_HINT = 'pip install -e ".[gpu]" (or pip install cupy-cuda12x)'


def import_cupy():
    """Import CuPy, or raise one clear error that says how to get it."""
    try:
        return importlib.import_module("cupy")
    except ImportError as exc:
        raise RuntimeError(
            f"cannot use a 'cuda' device: CuPy is not installed ({exc}); {GPU_EXTRA_HINT}"
        ) from None


def cuda_device_count() -> int:
    """How many CUDA GPUs CuPy sees (0 without CuPy, a driver or a GPU)."""
    try:
        cupy = importlib.import_module("cupy")
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # no CuPy, no driver, no GPU: all mean "not available"
        return 0


class CupyBackend:
    """Array math on one CUDA GPU through CuPy."""

    def __init__(self, index: int):
        cupy = import_cupy()
        count = cuda_device_count()
        if index >= count:
            found = "no CUDA GPU is visible" if count == 0 else f"only {count} GPU(s) are visible"
            raise RuntimeError(
                f"cannot use device 'cuda:{index}': {found}. Check the driver "
                f"(nvidia-smi) and CuPy's install ({GPU_EXTRA_HINT})"
            )
        self.name = f"cuda:{index}"
        self.index = index
        self.xp = cupy
        self._cupyx = importlib.import_module("cupyx")

    def asarray(self, data, dtype=None):
        with self.xp.cuda.Device(self.index):
            return self.xp.array(data, dtype=dtype, copy=True)

    def ensure_array(self, value):
        return value if isinstance(value, self.xp.ndarray) else self.xp.asarray(value)

    def is_array(self, value) -> bool:
        return isinstance(value, self.xp.ndarray)

    def from_host(self, array):
        with self.xp.cuda.Device(self.index):
            return self.xp.asarray(array).copy()

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def scatter_add(self, target, indices, values) -> None:
        self._cupyx.scatter_add(target, indices, values)

    def kernel(self, name: str):
        """The fused update ``name`` (see ``kernels_cuda.py``), or None if there is none.

        ``kernel(theta, grad, *states, *scalars)`` updates one piece in one launch, and
        ``kernel.over(table, scalars)`` every piece of a ``pointer_table``; float32 and
        float64 only (``kernel.supports(dtype)``).
        """
        from . import kernels_cuda

        return kernels_cuda.KERNELS.get(name)

    def op_kernels(self):
        """No compiled op kernels on the GPU yet: the ops run their CuPy code."""
        return None

    def pointer_table(self, pieces):
        """The device-side table of ``pieces``, tuples ``(theta, grad, *states)`` of 1-d
        contiguous arrays, for ``kernel.over``: built once for a bucket, reused every step.
        It keeps its arrays alive."""
        from . import kernels_cuda

        return kernels_cuda.PointerTable(pieces)

    def is_contiguous(self, array) -> bool:
        return bool(array.flags.c_contiguous)

    def flat_view(self, array):
        return array.reshape(-1) if array.flags.c_contiguous else None

    def span(self, arrays):
        from .numpy_backend import _span

        return _span(arrays, lambda a: a.data.ptr)

    def erf(self, x):
        return importlib.import_module("cupyx.scipy.special").erf(x)

    def special(self, name: str, x):
        """The special function torch calls ``name``, from ``cupyx.scipy.special``."""
        module = importlib.import_module("cupyx.scipy.special")
        if name == "trigamma":
            return module.polygamma(1, x)
        return getattr(module, {"lgamma": "gammaln"}.get(name, name))(x)

    def synchronize(self) -> None:
        self.xp.cuda.Device(self.index).synchronize()

    def memory_stats(self) -> dict:
        pool = self.xp.get_default_memory_pool()
        return {"used_bytes": int(pool.used_bytes()), "total_bytes": int(pool.total_bytes())}


def nccl_communicator(world_size: int, rank: int, host: str, port: int):
    """``(cupyx.distributed.NCCLBackend, GPU index)`` for this process, on GPU
    ``rank % count``. Every rank calls it; rank 0 also serves the rendezvous at ``host:port``.
    """
    cupy = import_cupy()
    count = cuda_device_count()
    if count == 0:
        raise RuntimeError(
            "the 'nccl' backend needs a CUDA GPU, and none is visible. Check the driver "
            f"(nvidia-smi) and CuPy's install ({GPU_EXTRA_HINT}), or use backend='mpi'"
        )
    index = rank % count
    cupy.cuda.Device(index).use()
    distributed = importlib.import_module("cupyx.distributed")
    return distributed.NCCLBackend(world_size, rank, host=host, port=port), index
