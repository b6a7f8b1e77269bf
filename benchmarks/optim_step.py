"""One optimizer step, tinyoptim against torch 2.13 in the same run.

    python benchmarks/optim_step.py [--optimizers Adam SGD ...] [--shapes 1x10M 100x100]
                                    [--numpy-only]

Shapes are (number of tensors) x (elements each), float32, gradients fixed. tinyoptim's
reference path (``foreach=False``) and default fast path (``foreach=None``) are timed
against torch's for-loop, foreach and fused implementations; the table gives medians and
ratios to torch's fused step (where torch has one) and to its default (for-loop) path.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from _harness import median_seconds, print_table, save

import tinyoptim

SHAPES = {"1x10M": (1, 10_000_000), "1000x10k": (1000, 10_000), "100x100": (100, 100)}
OPTIMIZERS = {
    "SGD": dict(lr=0.01),
    "SGD-momentum": dict(lr=0.01, momentum=0.9),
    "Adam": dict(lr=1e-3),
    "AdamW": dict(lr=1e-3),
    "Adadelta": dict(lr=1.0),
    "Adagrad": dict(lr=1e-2),
    "Adamax": dict(lr=2e-3),
    "RMSprop": dict(lr=1e-2),
    "RMSprop-momentum": dict(lr=1e-2, momentum=0.9),
    "NAdam": dict(lr=2e-3),
    "RAdam": dict(lr=1e-3),
    "Rprop": dict(lr=1e-2),
    "ASGD": dict(lr=1e-2),
}
TORCH_FUSED = {"SGD", "SGD-momentum", "Adam", "AdamW", "Adagrad"}


def make(lib, count, size, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(size).astype(np.float32) for _ in range(count)]
    grads = [rng.standard_normal(size).astype(np.float32) * 1e-2 for _ in range(count)]
    if lib is torch:
        params = [torch.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
    else:
        params = [tinyoptim.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = tinyoptim.tensor(g)
    return params


def time_step(lib, name, count, size, repeat, **flags):
    cls_name = name.split("-")[0]
    params = make(lib, count, size)
    opt = getattr(lib.optim, cls_name)(params, **OPTIMIZERS[name], **flags)
    return median_seconds(opt.step, repeat=repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--optimizers", nargs="*", default=list(OPTIMIZERS))
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--numpy-only", action="store_true", help="time tinyoptim as if numba were missing"
    )
    args = parser.parse_args()
    if args.numpy_only:  # the NumPy kernels, chunked and threaded, as without [fast]
        from tinyoptim.backends.numpy_backend import NumpyBackend

        NumpyBackend.kernel = lambda self, name: None
    rows = []
    for shape in args.shapes:
        count, size = SHAPES[shape]
        for name in args.optimizers:
            if not hasattr(tinyoptim.optim, name.split("-")[0]):
                continue
            row = {"optimizer": name, "shape": shape}
            row["ours ref ms"] = 1e3 * time_step(
                tinyoptim, name, count, size, args.repeat, foreach=False
            )
            row["ours fast ms"] = 1e3 * time_step(tinyoptim, name, count, size, args.repeat)
            row["torch loop ms"] = 1e3 * time_step(
                torch, name, count, size, args.repeat, foreach=False
            )
            row["torch foreach ms"] = 1e3 * time_step(
                torch, name, count, size, args.repeat, foreach=True
            )
            if name.split("-")[0] in {n.split("-")[0] for n in TORCH_FUSED}:
                row["torch fused ms"] = 1e3 * time_step(
                    torch, name, count, size, args.repeat, fused=True
                )
                row["fast/fused"] = row["ours fast ms"] / row["torch fused ms"]
            row["fast/torch loop"] = row["ours fast ms"] / row["torch loop ms"]
            rows.append(row)
            print(row, flush=True)
    columns = [
        "optimizer",
        "shape",
        "ours ref ms",
        "ours fast ms",
        "torch loop ms",
        "torch foreach ms",
        "torch fused ms",
        "fast/fused",
        "fast/torch loop",
    ]
    print_table("optimizer step, float32 (median ms)", rows, columns)
    print("saved", save("optim_step", {"rows": rows, "torch": torch.__version__}))


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
