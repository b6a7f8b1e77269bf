"""Peak extra memory during one optimizer step, relative to the parameters' bytes.

    python benchmarks/memory.py

NumPy allocations are traced with ``tracemalloc`` (NumPy reports its buffers to it); the
first step, which allocates the state, is excluded. torch's CPU allocator is not visible
to tracemalloc, so torch is not measured here.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from _harness import print_table, save

import tinyoptim

OPTIMIZERS = {
    "SGD-momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW": ("AdamW", dict(lr=1e-3)),
    "RMSprop": ("RMSprop", dict(lr=1e-3)),
    "Adagrad": ("Adagrad", dict(lr=1e-2)),
}


def peak_extra(cls_name, kwargs, size, foreach) -> float:
    rng = np.random.default_rng(0)
    p = tinyoptim.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
    p.grad = tinyoptim.tensor(rng.standard_normal(size).astype(np.float32))
    opt = getattr(tinyoptim.optim, cls_name)([p], foreach=foreach, **kwargs)
    opt.step()  # allocates the state and the work arrays
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    opt.step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / p.data.nbytes


def main() -> None:
    rows = []
    size = 10_000_000
    for name, (cls_name, kwargs) in OPTIMIZERS.items():
        rows.append({
            "optimizer": name,
            "reference (foreach=False)": peak_extra(cls_name, kwargs, size, False),
            "fast (default)": peak_extra(cls_name, kwargs, size, None),
        })  # fmt: skip
    print_table(
        "peak extra bytes in one step after the first / parameter bytes (1x10M float32)",
        rows, ["optimizer", "reference (foreach=False)", "fast (default)"],
    )  # fmt: skip
    print("saved", save("memory", {"rows": rows}))


if __name__ == "__main__":
    main()
