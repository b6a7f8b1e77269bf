"""One optimizer step on a CUDA GPU, tinyoptim (CuPy) against torch in the same run.

    python benchmarks/gpu_step.py [--optimizers Adam SGD-momentum ...] [--shapes 1x100M 100x100]

Shapes are (number of tensors) x (elements each), float32, gradients fixed. tinyoptim's
default path (fused CuPy kernels over a pointer table) is timed against torch's foreach
and fused CUDA steps, with the GPU synchronised around each step. The table also gives
the CuPy pool's peak growth during a step after the first, relative to parameter bytes
(the pool is never freed inside ``step``). Records torch's version: the GPU machine's own.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _harness import print_table, save

import tinyoptim

SHAPES = {"1x100M": (1, 100_000_000), "1000x10k": (1000, 10_000), "100x100": (100, 100)}
OPTIMIZERS = {
    "Adam": dict(lr=1e-3),
    "AdamW": dict(lr=1e-3),
    "SGD-momentum": dict(lr=0.01, momentum=0.9),
    "RMSprop": dict(lr=1e-2),
    "Adagrad": dict(lr=1e-2),
}
TORCH_FUSED = {"Adam", "AdamW", "SGD-momentum", "Adagrad"}


def make(lib, count, size):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(size, dtype=np.float32) for _ in range(count)]
    if lib is torch:
        params = [torch.tensor(v, device="cuda", requires_grad=True) for v in values]
        for p in params:
            p.grad = torch.full_like(p, 1e-2)
    else:
        params = [tinyoptim.tensor(v, device="cuda", requires_grad=True) for v in values]
        for p in params:
            p.grad = tinyoptim.full_like(p, 1e-2)
    return params


def median_ms(step, sync, repeat):
    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def ours(name, count, size, repeat):
    params = make(tinyoptim, count, size)
    opt = getattr(tinyoptim.optim, name.split("-")[0])(params, **OPTIMIZERS[name])
    sync = tinyoptim.cuda.synchronize
    ms = median_ms(opt.step, sync, repeat)
    import cupy

    pool = cupy.get_default_memory_pool()
    before = pool.total_bytes()
    opt.step()
    sync()
    grown = pool.total_bytes() - before
    return ms, grown / (4 * count * size)


def theirs(name, count, size, repeat, **flags):
    params = make(torch, count, size)
    opt = getattr(torch.optim, name.split("-")[0])(params, **OPTIMIZERS[name], **flags)
    return median_ms(opt.step, torch.cuda.synchronize, repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--optimizers", nargs="*", default=list(OPTIMIZERS))
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rows = []
    for shape in args.shapes:
        count, size = SHAPES[shape]
        for name in args.optimizers:
            row = {"optimizer": name, "shape": shape}
            row["ours ms"], row["pool growth"] = ours(name, count, size, args.repeat)
            row["torch foreach ms"] = theirs(name, count, size, args.repeat, foreach=True)
            if name in TORCH_FUSED:
                row["torch fused ms"] = theirs(name, count, size, args.repeat, fused=True)
                row["ours/fused"] = row["ours ms"] / row["torch fused ms"]
            row["ours/foreach"] = row["ours ms"] / row["torch foreach ms"]
            rows.append(row)
            print(row, flush=True)
    columns = ["optimizer", "shape", "ours ms", "torch foreach ms", "torch fused ms"]
    columns += ["ours/fused", "ours/foreach", "pool growth"]
    title = f"GPU optimizer step, float32 (median ms), torch {torch.__version__}"
    print_table(title, rows, columns)
    print("saved", save("gpu_step", {"rows": rows, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
