"""The 11 classic optimizers walking down Rosenbrock's banana valley.

Each optimizer starts at (-1.5, 2) and takes 500 steps on
``f(x, y) = (1 - x)² + 100 (y - x²)²`` (minimum at (1, 1), the star) with an lr chosen
for this function; ``tinyoptim.playground.trace`` runs the loop and
``plot_trajectories`` draws the paths over the contours into ``OUT/rosenbrock.png``.
LBFGS (strong-Wolfe line search, up to 5 iterations per step) needs far fewer steps.
SparseAdam only takes sparse gradients, so it walks the same valley through a
one-row ``nn.Embedding(sparse=True)`` holding the point. The table printed at the end
gives each optimizer's end point and its distance to the minimum.

    python examples/04_rosenbrock_trajectories.py --out examples-out
"""

from __future__ import annotations

import argparse
import math
import os

import tinyoptim
from tinyoptim import nn, optim
from tinyoptim.playground import plot_trajectories, rosenbrock, trace

START, STEPS = (-1.5, 2.0), 500
# name -> (steps, hyperparameters); names missing from this install are skipped
CLASSIC = {
    "SGD": (STEPS, {"lr": 1e-3, "momentum": 0.9}),
    "Adam": (STEPS, {"lr": 0.1}),
    "AdamW": (STEPS, {"lr": 0.1}),
    "Adadelta": (STEPS, {"lr": 10.0}),
    "Adagrad": (STEPS, {"lr": 1.0}),
    "Adamax": (STEPS, {"lr": 0.2}),
    "ASGD": (STEPS, {"lr": 2e-3}),
    "LBFGS": (20, {"lr": 1.0, "max_iter": 5, "line_search_fn": "strong_wolfe"}),
    "RMSprop": (STEPS, {"lr": 1e-2}),
    "Rprop": (STEPS, {"lr": 1e-2}),
}


def sparse_adam_path(steps: int, lr: float) -> list[list[float]]:
    """SparseAdam on Rosenbrock: the point is row 0 of a sparse embedding table."""
    table = nn.Embedding(1, 2, sparse=True).double()
    with tinyoptim.no_grad():
        table.weight.copy_(tinyoptim.tensor([START], dtype=tinyoptim.float64))
    optimizer = optim.SparseAdam(table.parameters(), lr=lr)
    row = tinyoptim.tensor([0])
    path = [list(START)]
    for _ in range(steps):
        optimizer.zero_grad()
        rosenbrock(table(row)[0]).backward()  # the gradient is row-sparse
        optimizer.step()
        path.append(table.weight[0].tolist())
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    paths = {}
    for name, (steps, hp) in CLASSIC.items():
        if hasattr(optim, name):
            paths[name] = trace(getattr(optim, name), rosenbrock, START, steps, **hp).tolist()
    if hasattr(optim, "SparseAdam"):
        paths["SparseAdam"] = sparse_adam_path(STEPS, lr=0.1)

    print(f"{'optimizer':<11} {'steps':>5} {'end point':>20} {'distance to (1, 1)':>19}")
    for name, path in paths.items():
        x, y = path[-1]
        distance = math.hypot(x - 1, y - 1)
        print(f"{name:<11} {len(path) - 1:>5} ({x:>8.4f}, {y:>8.4f}) {distance:>19.2e}")
    path_png = os.path.join(args.out, "rosenbrock.png")
    title = f"Rosenbrock from {START}: {STEPS} steps (LBFGS: 20)"
    plot_trajectories(rosenbrock, paths, path_png, ncols=4, title=title, levels=6, dpi=56)
    print(f"wrote {path_png}")


if __name__ == "__main__":
    main()
