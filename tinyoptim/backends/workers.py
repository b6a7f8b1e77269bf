"""The CPU worker threads: one small process-wide pool for array work that releases the
GIL (NumPy's loops, numba's ``nogil`` kernels), shared by the optimizers' sweeps.

Plain threads that sleep while idle, rather than an OpenMP team: OpenMP's threads spin
after each parallel region and take the cores OpenBLAS needs for the next matmul.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

WORKERS = max(1, min(4, os.cpu_count() or 1))

_pool: list = []  # created on first use
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The pool (``WORKERS`` threads). Its tasks must never wait on the pool themselves."""
    with _lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(WORKERS, thread_name_prefix="tinyoptim-worker"))
    return _pool[0]


def run_split(fn, parts: list, *args) -> None:
    """``fn(part, *args)`` for every part: the first on this thread, the rest on the pool."""
    jobs = [executor().submit(fn, part, *args) for part in parts[1:]]
    try:
        if parts:
            fn(parts[0], *args)
    finally:
        for job in jobs:
            job.result()
