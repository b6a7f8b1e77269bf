"""Autograd overhead: a 1,000-op graph on small tensors, forward + backward, vs torch.

python benchmarks/autograd_overhead.py
"""

from __future__ import annotations

import numpy as np
import torch
from _harness import median_seconds, print_table, save

import tinyoptim

OPS = 1000


def chain(lib, x, w):
    y = x
    for _ in range(OPS // 5):  # five ops each
        y = (y * w + 0.1).tanh() - y * 0.5
    return y.sum()


def main() -> None:
    rows = []
    for size in (1, 16, 256):
        data = np.random.default_rng(0).standard_normal(size).astype(np.float32)
        xs = {
            "tinyoptim": (tinyoptim.tensor(data, requires_grad=True), tinyoptim.tensor(data)),
            "torch": (torch.tensor(data, requires_grad=True), torch.tensor(data)),
        }

        def run(lib, xs=xs):
            x, w = xs[lib]

            def step():
                x.grad = None
                chain(lib, x, w).backward()

            return step

        ours = median_seconds(run("tinyoptim"))
        theirs = median_seconds(run("torch"))
        rows.append(
            {
                "elements": size,
                "tinyoptim ms": ours * 1e3,
                "torch ms": theirs * 1e3,
                "ratio": ours / theirs,
            }
        )
    print_table(
        f"{OPS}-op graph, forward + backward (median of 20)",
        rows,
        ["elements", "tinyoptim ms", "torch ms", "ratio"],
    )
    print("saved", save("autograd_overhead", {"rows": rows}))


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
