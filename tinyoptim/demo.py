"""``python -m tinyoptim demo``: train a small network on the bundled digits.

An MLP (64 → 128 → 10) learns the 1,797 UCI handwritten digits with SGD and momentum,
on a stratified 75/25 train/test split with a fixed seed, so two runs print the same
numbers. It prints the loss per epoch and, at the end, the test accuracy.
"""

from __future__ import annotations

import argparse
import sys
import time

import tinyoptim
from tinyoptim import nn
from tinyoptim.data import load_digits, stratified_split
from tinyoptim.optim import SGD

OPTIMIZERS = {"sgd": lambda params: SGD(params, lr=0.05, momentum=0.9)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinyoptim demo",
        description="Train an MLP on the bundled handwritten digits and report test accuracy.",
    )
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    parser.add_argument("--epochs", type=_positive_int, default=20)
    parser.add_argument("--batch-size", type=_positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or strict")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def accuracy(model: nn.Module, x, y) -> float:
    with tinyoptim.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(args) -> dict:
    """Train once and return the final train loss, test accuracy and timing."""
    tinyoptim.manual_seed(args.seed)
    images, labels = load_digits()
    train_idx, test_idx = stratified_split(labels, test_fraction=0.25, seed=args.seed)
    device = args.device
    x_train = tinyoptim.tensor(images[train_idx], device=device)
    y_train = tinyoptim.tensor(labels[train_idx], device=device)
    x_test = tinyoptim.tensor(images[test_idx], device=device)
    y_test = tinyoptim.tensor(labels[test_idx], device=device)

    model = mlp().to(device)
    optimizer = OPTIMIZERS[args.optimizer](model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    n = len(train_idx)
    steps, start = 0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = tinyoptim.randperm(n, device=device)
        total = 0.0
        for first in range(0, n, args.batch_size):
            batch = slice(first, first + args.batch_size)
            rows = order[batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
            steps += 1
        train_loss = total / n
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  train loss {train_loss:.4f}", file=sys.stderr)
    seconds = time.perf_counter() - start
    return {
        "optimizer": args.optimizer,
        "train_loss": train_loss,
        "test_accuracy": accuracy(model, x_test, y_test),
        "seconds": seconds,
        "steps_per_second": steps / seconds,
    }


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        tinyoptim.device(args.device).backend  # noqa: B018 - fail early with a clear error
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = train(args)
    print(f"{'optimizer':<10} {'train loss':>10} {'test acc':>9} {'time (s)':>9} {'steps/s':>8}")
    print(
        f"{result['optimizer']:<10} {result['train_loss']:>10.4f} "
        f"{result['test_accuracy']:>9.2%} {result['seconds']:>9.2f} "
        f"{result['steps_per_second']:>8.0f}"
    )
    return 0
