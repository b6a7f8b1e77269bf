"""Keep freed host memory for reuse, so that a training loop stops paying page faults.

glibc's ``malloc`` serves a large request (above its *mmap threshold*, 128 KiB at the
start) with fresh pages from the kernel and hands them back on ``free``; it also gives
back the top of its heap whenever more than its *trim threshold* lies free there. A
training step allocates and frees the same tens of megabytes every iteration
(activations, convolution columns, gradients), so with the starting thresholds every
step touches fresh pages, and each page faults once. In a virtual machine a fault costs
one to several microseconds: the benchmark CNN (``benchmarks/train_step.py``) took 3,400
faults per step, 5 to 25 ms, more than the step's arithmetic.

glibc raises both thresholds by itself once it frees a large block it had mapped: the
mmap threshold to that block's size (up to 32 MiB) and the trim threshold to twice that.
``keep_freed_memory()`` lets that happen at the start, by allocating and freeing one
such block. The block is never written, so it costs no page. Afterwards the heap keeps
up to 64 MiB of freed memory for the next allocations, and the CNN step takes no faults.

Thresholds set explicitly (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
``mallopt``) switch glibc's adjustment off, so they are kept as they are; other C
libraries simply free the block.
"""

from __future__ import annotations

import numpy

# glibc adjusts its thresholds only for blocks up to 32 MiB (on 64-bit systems); the
# margin covers its chunk header and the rounding to whole pages.
BLOCK_BYTES = (32 << 20) - (64 << 10)


def keep_freed_memory() -> None:
    """Raise glibc's mmap and trim thresholds to their adaptive maximum (idempotent)."""
    block = numpy.empty(BLOCK_BYTES, dtype=numpy.uint8)  # mapped, never touched
    del block
