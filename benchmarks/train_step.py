"""One training step of an MLP and a small CNN, tinyoptim against torch 2.13.

    python benchmarks/train_step.py

MLP 784-512-512-10 (batch 128) and a 2-conv CNN on 28x28 images (batch 64), each with
Adam and with SGD (momentum 0.9), float32. Forward, backward and the optimizer step are
timed separately (medians), and the table gives each and their total as a ratio to torch.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _harness import print_table, save

import tinyoptim

REPEAT = 20


def mlp(nn):
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )


def cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip


MODELS = {"mlp": (mlp, (128, 784)), "cnn": (cnn, (64, 1, 28, 28))}
OPTIMIZERS = {"Adam": dict(lr=1e-3), "SGD": dict(lr=0.01, momentum=0.9)}


def phases(lib, model_name, optimizer_name):
    build, shape = MODELS[model_name]
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, shape[0]))
    model = build(lib.nn)
    opt = getattr(lib.optim, optimizer_name)(model.parameters(), **OPTIMIZERS[optimizer_name])
    loss_fn = lib.nn.CrossEntropyLoss()
    times = {"forward": [], "backward": [], "step": []}
    for i in range(REPEAT + 3):
        opt.zero_grad()
        t0 = time.perf_counter()
        loss = loss_fn(model(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= 3:
            times["forward"].append(t1 - t0)
            times["backward"].append(t2 - t1)
            times["step"].append(t3 - t2)
    return {k: float(np.median(v)) * 1e3 for k, v in times.items()}


def main() -> None:
    rows = []
    for model_name in MODELS:
        for optimizer_name in OPTIMIZERS:
            ours = phases(tinyoptim, model_name, optimizer_name)
            theirs = phases(torch, model_name, optimizer_name)
            row = {"model": model_name, "optimizer": optimizer_name}
            for phase in ("forward", "backward", "step"):
                row[f"{phase} ms"] = ours[phase]
                row[f"{phase} ratio"] = ours[phase] / theirs[phase]
            total_ours, total_theirs = sum(ours.values()), sum(theirs.values())
            row["total ms"], row["torch total ms"] = total_ours, total_theirs
            row["total ratio"] = total_ours / total_theirs
            rows.append(row)
    columns = ["model", "optimizer", "forward ms", "forward ratio", "backward ms",
               "backward ratio", "step ms", "step ratio", "total ms", "torch total ms",
               "total ratio"]  # fmt: skip
    print_table("training step, float32 (median ms; ratio = tinyoptim / torch)", rows, columns)
    print("saved", save("train_step", {"rows": rows, "torch": torch.__version__}))


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
