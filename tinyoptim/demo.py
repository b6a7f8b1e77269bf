"""``python -m tinyoptim demo``: optimizers race on the bundled handwritten digits.

A small network (an MLP, or a CNN with ``--model cnn``) learns the 1,797 UCI 8x8 digits
on a stratified 75/25 train/test split. Each optimizer in the race starts from the same
initial weights and sees the same batches in the same order, so the only difference
between the rows of the results table is the optimizer. The default race is SGD with
momentum 0.9, Adam, AdamW and RMSprop; ``--optimizer NAME ...`` picks others.

Progress goes to stderr (a tqdm bar when tqdm is installed and stderr is a terminal,
else a few plain lines); the results table goes to stdout; ``loss.png`` and
``accuracy.png`` go to ``--out`` when matplotlib is installed. Everything is seeded:
two runs print the same losses and accuracies.

Exit status: 0 on success, 1 when a loss stops being finite, 2 for a bad command line
or an unusable device.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

import tinyoptim
from tinyoptim import nn, optim
from tinyoptim.data import load_digits, stratified_split

# name on the command line -> (class in tinyoptim.optim, hyperparameters for this problem)
CANDIDATES = {
    "sgd": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "adam": ("Adam", {"lr": 3e-3}),
    "adamw": ("AdamW", {"lr": 3e-3, "weight_decay": 0.01}),
    "rmsprop": ("RMSprop", {"lr": 3e-3}),
    "adagrad": ("Adagrad", {"lr": 0.05}),
    "adadelta": ("Adadelta", {"lr": 1.0}),
    "adamax": ("Adamax", {"lr": 1e-2}),
    "nadam": ("NAdam", {"lr": 3e-3}),
    "radam": ("RAdam", {"lr": 5e-3}),
    "asgd": ("ASGD", {"lr": 0.1}),
    "rprop": ("Rprop", {"lr": 1e-3}),
    "adafactor": ("Adafactor", {"lr": 0.02}),
    "lbfgs": (
        "LBFGS",
        {"lr": 1.0, "max_iter": 4, "history_size": 10, "line_search_fn": "strong_wolfe"},
    ),
}
DEFAULT_RACE = ["sgd", "adam", "adamw", "rmsprop"]
NO_MATPLOTLIB = 'plots skipped: matplotlib is not installed; pip install -e ".[plot]" to get them'


def available_optimizers() -> dict[str, tuple[type, dict]]:
    """The candidates this install provides, by command-line name."""
    found = {}
    for name, (class_name, hp) in CANDIDATES.items():
        cls = getattr(optim, class_name, None)
        if cls is not None:
            found[name] = (cls, hp)
    return found


def build_parser() -> argparse.ArgumentParser:
    names = sorted(available_optimizers())
    parser = argparse.ArgumentParser(
        prog="python -m tinyoptim demo",
        description=(
            "Race optimizers on the bundled handwritten digits: each trains the same "
            "network from the same initial weights; a results table and loss/accuracy "
            "plots follow."
        ),
    )
    parser.add_argument(
        "--optimizer",
        nargs="+",
        choices=names,
        default=[name for name in DEFAULT_RACE if name in names],
        metavar="NAME",
        help=f"one or more of: {', '.join(names)} (default: %(default)s)",
    )
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=_positive_int, default=20)
    parser.add_argument("--batch-size", type=_positive_int, default=64)
    parser.add_argument("--lr", type=float, help="use this lr for every optimizer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--device", type=_device_name, default="cpu", help="cpu or cuda (cuda:N; strict)"
    )
    parser.add_argument(
        "--out", default=os.path.join(".", "tinyoptim-demo"), help="folder for the PNGs"
    )
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel training over MPI ranks: mpiexec -n 2 python -m tinyoptim demo "
        "--distributed (needs the [distributed] extra)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _device_name(text: str) -> str:
    kind, _, index = text.partition(":")
    if kind not in ("cpu", "cuda", "strict") or (index and not index.isdigit()):
        raise argparse.ArgumentTypeError(f"expected cpu or cuda (or cuda:N, strict), got {text}")
    return text


def build_model(name: str) -> nn.Module:
    """``mlp``: 64 → 128 → 10; ``cnn``: one 3x3 convolution, a 2x2 max-pool, a linear layer."""
    if name == "mlp":
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


class NonFiniteLoss(RuntimeError):
    """The loss stopped being a finite number."""


def race(args, progress=None) -> list[dict]:
    """Train one model per optimizer in ``args.optimizer``; one result dict each."""
    images, labels = load_digits()
    train_idx, test_idx = stratified_split(labels, test_fraction=0.25, seed=args.seed)
    shape = (-1, 1, 8, 8) if args.model == "cnn" else (-1, 64)
    data = {
        "x_train": tinyoptim.tensor(images[train_idx], device=args.device).reshape(shape),
        "y_train": tinyoptim.tensor(labels[train_idx], device=args.device),
        "x_test": tinyoptim.tensor(images[test_idx], device=args.device).reshape(shape),
        "y_test": tinyoptim.tensor(labels[test_idx], device=args.device),
    }
    choices = available_optimizers()
    results = []
    for name in args.optimizer:
        cls, hp = choices[name]
        hp = dict(hp, lr=args.lr) if args.lr is not None else hp
        results.append(train_one(name, cls, hp, data, args, progress))
    return results


def _warm_up(cls: type, hp: dict, device) -> None:
    """Two steps on a throwaway parameter, so that one-off costs (loading numba's compiled
    kernels, say) are not counted in the first optimizer's time."""
    p = tinyoptim.zeros(2, device=device, requires_grad=True)
    optimizer = cls([p], **hp)

    def closure():
        optimizer.zero_grad()
        loss = (p * p + p).sum()
        loss.backward()
        return loss

    for _ in range(2):
        optimizer.step(closure)


def train_one(name: str, cls: type, hp: dict, data: dict, args, progress) -> dict:
    """Train from the seed's initial weights with ``cls(**hp)``; return the curves and times."""
    _warm_up(cls, hp, args.device)
    tinyoptim.manual_seed(args.seed)  # same weights and batch order for every optimizer
    model = build_model(args.model).to(args.device)
    sampler = None
    if args.distributed:  # every rank trains on its shard; DDP averages the gradients
        from tinyoptim.nn.parallel import DistributedDataParallel
        from tinyoptim.utils.data import DistributedSampler

        model = DistributedDataParallel(model)
        sampler = DistributedSampler(data["x_train"].shape[0], shuffle=True, seed=args.seed)
    optimizer = cls(model.parameters(), **hp)
    history = tinyoptim.History(optimizer, grad_norm=False)
    loss_fn = nn.CrossEntropyLoss()
    x_train, y_train = data["x_train"], data["y_train"]
    n = x_train.shape[0] if sampler is None else len(sampler)
    per_epoch = math.ceil(n / args.batch_size)
    epoch_losses, accuracies = [], []
    bar = progress(name, args.epochs * per_epoch) if progress else None
    seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        if sampler is None:
            order = tinyoptim.randperm(n, device=args.device)
        else:
            sampler.set_epoch(epoch)
            order = tinyoptim.tensor(list(sampler), device=args.device)
        total = 0.0
        started = time.perf_counter()
        for first in range(0, n, args.batch_size):
            rows = order[first : first + args.batch_size]
            x, y = x_train[rows], y_train[rows]

            def closure(x=x, y=y):
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                return loss

            loss = optimizer.step(closure).item()
            if not math.isfinite(loss):
                raise NonFiniteLoss(
                    f"{name}: the training loss is {loss} at step {len(history)} "
                    f"(epoch {epoch}); try a smaller lr"
                )
            total += loss * rows.shape[0]
            if bar:
                bar.update(1)
        seconds += time.perf_counter() - started
        if sampler is not None:  # the mean over every rank's shard
            total = _sum_over_ranks(total, args.device)
            n_all = _sum_over_ranks(float(n), args.device)
            epoch_losses.append(total / n_all)
        else:
            epoch_losses.append(total / n)
        accuracies.append(accuracy(model, data["x_test"], data["y_test"]))
        if bar:
            bar.set_postfix(loss=f"{epoch_losses[-1]:.4f}", acc=f"{accuracies[-1]:.2%}")
        elif epoch in (1, (args.epochs + 1) // 2, args.epochs) and _is_rank0(args):
            print(
                f"{name:>9}: epoch {epoch:3d}/{args.epochs}  train loss {epoch_losses[-1]:.4f}"
                f"  test accuracy {accuracies[-1]:.2%}",
                file=sys.stderr,
            )
    if bar:
        bar.close()
    return {
        "optimizer": name,
        "train_loss": epoch_losses[-1],
        "test_accuracy": accuracies[-1],
        "seconds": seconds,
        "steps_per_second": len(history) / seconds,
        "epoch_losses": epoch_losses,
        "accuracies": accuracies,
        "step_losses": history.loss,
        "steps_per_epoch": per_epoch,
    }


def _sum_over_ranks(value: float, device) -> float:
    from tinyoptim import distributed

    t = tinyoptim.tensor([value], dtype=tinyoptim.float64, device=device)
    distributed.all_reduce(t)
    return t.item()


def _is_rank0(args) -> bool:
    if not args.distributed:
        return True
    from tinyoptim import distributed

    return distributed.get_rank() == 0


def accuracy(model: nn.Module, x, y) -> float:
    with tinyoptim.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def format_table(results: list[dict]) -> str:
    lines = [f"{'optimizer':<10} {'train loss':>10} {'test acc':>9} {'time (s)':>9} {'steps/s':>8}"]
    for r in results:
        lines.append(
            f"{r['optimizer']:<10} {r['train_loss']:>10.4f} {r['test_accuracy']:>9.2%} "
            f"{r['seconds']:>9.2f} {r['steps_per_second']:>8.0f}"
        )
    return "\n".join(lines)


def write_plots(results: list[dict], out: str, model: str) -> list[str] | None:
    """Write ``loss.png`` and ``accuracy.png`` into ``out``; None without matplotlib."""
    try:
        from matplotlib.figure import Figure  # Agg renders a bare Figure: no display needed
    except ImportError:
        return None
    os.makedirs(out, exist_ok=True)
    loss_fig, accuracy_fig = Figure(figsize=(6.4, 4.2)), Figure(figsize=(6.4, 4.2))
    loss_ax, accuracy_ax = loss_fig.subplots(), accuracy_fig.subplots()
    for i, r in enumerate(results):
        color = f"C{i % 10}"
        epochs = range(1, len(r["epoch_losses"]) + 1)
        loss_ax.plot(epochs, r["epoch_losses"], color=color, lw=1.8, label=r["optimizer"])
        accuracy_ax.plot(epochs, r["accuracies"], color=color, lw=1.8, marker=".")
        accuracy_ax.lines[-1].set_label(r["optimizer"])
    loss_ax.set_yscale("log")
    loss_ax.set(xlabel="epoch", ylabel="train loss (epoch mean)")
    accuracy_ax.set(xlabel="epoch", ylabel="test accuracy")
    loss_ax.set_title(f"digits, {model.upper()}: training loss")
    accuracy_ax.set_title(f"digits, {model.upper()}: test accuracy")
    for figure, axes in ((loss_fig, loss_ax), (accuracy_fig, accuracy_ax)):
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
    paths = [os.path.join(out, "loss.png"), os.path.join(out, "accuracy.png")]
    loss_fig.savefig(paths[0], dpi=100)
    accuracy_fig.savefig(paths[1], dpi=100)
    return paths


def _progress_factory():
    """A tqdm bar maker when tqdm is installed and stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return lambda name, total: tqdm(total=total, desc=f"{name:>9}", file=sys.stderr, unit="step")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        tinyoptim.device(args.device).backend  # noqa: B018 - fail early with a clear error
        if args.distributed:
            from tinyoptim import distributed

            distributed.init_process_group("nccl" if args.device.startswith("cuda") else "mpi")
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args)
    finally:
        if args.distributed:
            distributed.destroy_process_group()


def _run(args) -> int:
    rank0 = _is_rank0(args)
    try:
        with warnings.catch_warnings():
            # overflow warnings from the array library would bury the message below
            warnings.simplefilter("ignore", RuntimeWarning)
            results = race(args, _progress_factory() if rank0 else None)
    except NonFiniteLoss as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not rank0:
        return 0
    if args.distributed:
        from tinyoptim import distributed

        print(f"data parallel over {distributed.get_world_size()} ranks", file=sys.stderr)
    print(format_table(results))
    paths = write_plots(results, args.out, args.model)
    if paths is None:
        print(NO_MATPLOTLIB, file=sys.stderr)
    else:
        print(f"wrote {' and '.join(paths)}", file=sys.stderr)
    return 0
