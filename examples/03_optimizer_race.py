"""An optimizer race: every dense optimizer trains the same MLP from the same weights.

Each optimizer gets a copy of one freshly initialised model (``state_dict`` /
``load_state_dict``), the same batches in the same order, and a learning rate that
suits it. ``tinyoptim.History`` records the per-step loss. The script prints a table of
final loss and test accuracy and writes ``OUT/race.png`` with each optimizer's loss curve
(a running mean over one epoch). ``python -m tinyoptim demo`` is the same idea with a
command line.

    python examples/03_optimizer_race.py --out examples-out
"""

from __future__ import annotations

import argparse
import os

import tinyoptim
from tinyoptim import nn, optim
from tinyoptim.data import load_digits, stratified_split

# name -> hyperparameters; the names not in this install's tinyoptim.optim are skipped
RACE = {
    "SGD": {"lr": 0.05, "momentum": 0.9},
    "Adam": {"lr": 3e-3},
    "AdamW": {"lr": 3e-3},
    "RMSprop": {"lr": 3e-3},
    "Adagrad": {"lr": 0.05},
    "Adadelta": {"lr": 1.0},
    "Adamax": {"lr": 1e-2},
    "NAdam": {"lr": 3e-3},
    "RAdam": {"lr": 5e-3},
    "ASGD": {"lr": 0.1},
    "Rprop": {"lr": 1e-3},
    "Adafactor": {"lr": 0.02},
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    images, labels = load_digits()
    train, test = stratified_split(labels, test_fraction=0.25, seed=0)
    x_train, y_train = tinyoptim.tensor(images[train]), tinyoptim.tensor(labels[train])
    x_test, y_test = tinyoptim.tensor(images[test]), tinyoptim.tensor(labels[test])
    tinyoptim.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    start = {key: value.clone() for key, value in model.state_dict().items()}
    loss_fn = nn.CrossEntropyLoss()

    curves = {}
    print(f"{'optimizer':<10} {'final loss':>10} {'test acc':>9}")
    for name, hp in RACE.items():
        if not hasattr(optim, name):
            continue
        model.load_state_dict(start)
        optimizer = getattr(optim, name)(model.parameters(), **hp)
        history = tinyoptim.History(optimizer, grad_norm=False)
        tinyoptim.manual_seed(1)  # the same batch order for everyone
        for _ in range(args.epochs):
            train_one_epoch(model, optimizer, loss_fn, x_train, y_train)
        with tinyoptim.no_grad():
            accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
        window = -(-len(train) // 64)
        curves[name] = running_mean(history.loss, window)
        print(f"{name:<10} {curves[name][-1]:>10.4f} {accuracy:>9.2%}")

    from matplotlib.figure import Figure  # the [plot] extra

    figure = Figure(figsize=(7.0, 4.2))
    axes = figure.subplots()
    for i, (name, curve) in enumerate(curves.items()):
        axes.plot(curve, lw=1.4, color=f"C{i % 10}", ls="-" if i < 10 else "--", label=name)
    axes.set(yscale="log", xlabel="step", ylabel="train loss (running mean over an epoch)")
    axes.set_title("optimizers racing on the digits, from the same initial weights")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    path = os.path.join(args.out, "race.png")
    figure.savefig(path, dpi=80)
    print(f"wrote {path}")


def train_one_epoch(model, optimizer, loss_fn, x, y, batch_size: int = 64) -> None:
    order = tinyoptim.randperm(x.shape[0])
    for first in range(0, x.shape[0], batch_size):
        rows = order[first : first + batch_size]

        def closure(rows=rows):
            optimizer.zero_grad()
            loss = loss_fn(model(x[rows]), y[rows])
            loss.backward()
            return loss

        optimizer.step(closure)  # History keeps the loss the closure returns


def running_mean(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


if __name__ == "__main__":
    main()
