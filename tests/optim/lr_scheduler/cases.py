"""Scheduler cases, each written once against a library ``lib`` (torch or tinyoptim).

A case builds an optimizer with two param groups (different lrs) and a scheduler, then
``record`` steps it ``STEPS`` times, optimizer first, and notes after construction and after
every step each group's lr, ``get_last_lr()`` and the momentum (``momentum`` or
``betas[0]``). ReduceLROnPlateau cases also name the metric sequence they are fed.
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np

STEPS = 300
LRS = (0.1, 0.05)


class Scale:
    """A callable object (not a function): its ``__dict__`` goes into ``state_dict``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate**epoch


def make_optimizer(lib, kind: str = "sgd"):
    params = [lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": LRS[1]}]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=LRS[0], betas=(0.9, 0.999))
    return lib.optim.SGD(groups, lr=LRS[0], momentum=0.9)


def _falling(k: int) -> float:
    """A loss that falls, then stalls with a little wobble: several plateaus in 300 steps."""
    return max(1.0 - k / 60, 0.2) + 0.01 * ((7 * k) % 5) + 0.3 * (k >= 150) * (k % 40 < 20)


def _rising(k: int) -> float:
    return -_falling(k)


# name -> (optimizer kind, factory(S, opt) with S = lib's lr_scheduler module, metric fn)
CASES = {
    "LambdaLR": ("sgd", lambda S, o: S.LambdaLR(o, lambda e: 0.97**e), None),
    "LambdaLR/list": (
        "adam",
        lambda S, o: S.LambdaLR(o, [Scale(0.98), lambda e: 1 / (1 + e)]),
        None,
    ),
    "MultiplicativeLR": ("sgd", lambda S, o: S.MultiplicativeLR(o, lambda e: 0.99), None),
    "StepLR": ("sgd", lambda S, o: S.StepLR(o, step_size=30, gamma=0.5), None),
    "MultiStepLR": ("adam", lambda S, o: S.MultiStepLR(o, [30, 80, 80, 150], gamma=0.3), None),
    "ConstantLR": ("sgd", lambda S, o: S.ConstantLR(o, factor=0.3, total_iters=40), None),
    "LinearLR": ("sgd", lambda S, o: S.LinearLR(o, 0.25, 0.9, total_iters=50), None),
    "ExponentialLR": ("adam", lambda S, o: S.ExponentialLR(o, gamma=0.99), None),
    "PolynomialLR": ("sgd", lambda S, o: S.PolynomialLR(o, total_iters=200, power=2.0), None),
    "CosineAnnealingLR": ("sgd", lambda S, o: S.CosineAnnealingLR(o, 50, eta_min=1e-3), None),
    "CosineAnnealingWarmRestarts": (
        "sgd",
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3),
        None,
    ),
    "CosineAnnealingWarmRestarts/T_mult=1": (
        "adam",
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
        None,
    ),
    "CyclicLR/triangular": (
        "sgd",
        lambda S, o: S.CyclicLR(o, [0.01, 0.005], [0.1, 0.05], step_size_up=20, step_size_down=30),
        None,
    ),
    "CyclicLR/triangular2": (
        "sgd",
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=25, mode="triangular2"),
        None,
    ),
    "CyclicLR/exp_range": (
        "adam",
        lambda S, o: S.CyclicLR(o, 0.001, [0.1, 0.05], 15, mode="exp_range", gamma=0.995),
        None,
    ),
    "CyclicLR/scale_fn": (
        "sgd",
        lambda S, o: S.CyclicLR(
            o, 0.01, 0.1, 10, scale_fn=Scale(0.9), scale_mode="iterations", cycle_momentum=False
        ),
        None,
    ),
    "OneCycleLR/cos": ("sgd", lambda S, o: S.OneCycleLR(o, [0.5, 0.2], total_steps=300), None),
    "OneCycleLR/linear": (
        "adam",
        lambda S, o: S.OneCycleLR(
            o, 0.4, epochs=10, steps_per_epoch=30, anneal_strategy="linear", pct_start=0.25
        ),
        None,
    ),
    "OneCycleLR/three_phase": (
        "sgd",
        lambda S, o: S.OneCycleLR(o, 0.3, total_steps=300, three_phase=True, div_factor=10.0),
        None,
    ),
    "SequentialLR": (
        "sgd",
        lambda S, o: S.SequentialLR(
            o, [S.LinearLR(o, 0.1, total_iters=20), S.CosineAnnealingLR(o, T_max=100)], [20]
        ),
        None,
    ),
    "SequentialLR/three": (
        "adam",
        lambda S, o: S.SequentialLR(
            o,
            [S.ConstantLR(o, 0.5, 10), S.ExponentialLR(o, 0.98), S.StepLR(o, 25, 0.5)],
            milestones=[50, 120],
        ),
        None,
    ),
    "ChainedScheduler": (
        "sgd",
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.1, 20), S.ExponentialLR(o, 0.99)]),
        None,
    ),
    "ChainedScheduler/three": (
        "sgd",
        lambda S, o: S.ChainedScheduler(
            [
                S.LinearLR(o, 0.5, total_iters=30),
                S.StepLR(o, 40, 0.5),
                S.MultiplicativeLR(o, Scale(1.0)),
            ],
            optimizer=o,
        ),
        None,
    ),
    "ReduceLROnPlateau/min-rel": (
        "sgd",
        lambda S, o: S.ReduceLROnPlateau(o, patience=5, factor=0.5, cooldown=3),
        _falling,
    ),
    "ReduceLROnPlateau/min-abs": (
        "adam",
        lambda S, o: S.ReduceLROnPlateau(
            o,
            factor=0.5,
            threshold=0.02,
            threshold_mode="abs",
            patience=3,
            cooldown=2,
            min_lr=[1e-3, 5e-3],
        ),
        _falling,
    ),
    "ReduceLROnPlateau/max-rel": (
        "sgd",
        lambda S, o: S.ReduceLROnPlateau(o, "max", factor=0.7, patience=4, cooldown=5, eps=1e-3),
        _rising,
    ),
    "ReduceLROnPlateau/max-abs": (
        "sgd",
        lambda S, o: S.ReduceLROnPlateau(
            o, mode="max", factor=0.6, threshold=0.05, threshold_mode="abs", patience=2, min_lr=0.01
        ),
        _rising,
    ),
}


def record(lib, name: str, steps: int = STEPS, resume=None) -> np.ndarray:
    """Rows: after construction, then after each step. Columns: per group lr,
    ``get_last_lr()`` entry and momentum (``betas[0]`` for Adam). ``resume`` is
    ``(scheduler, optimizer, steps already taken)`` to carry on a run."""
    kind, factory, metric = CASES[name]
    if resume is None:
        opt = make_optimizer(lib, kind)
        sched = factory(lib.optim.lr_scheduler, opt)
        start = 0
    else:
        sched, opt, start = resume
    rows = [_row(sched, opt)]
    for k in range(start + 1, start + 1 + steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(k))
        rows.append(_row(sched, opt))
    return np.array(rows, dtype=np.float64)


def _row(sched, opt) -> list[float]:
    row = []
    for group, last in zip(opt.param_groups, sched.get_last_lr()):
        momentum = group["betas"][0] if "betas" in group else group["momentum"]
        row += [float(group["lr"]), float(last), float(momentum)]
    assert all(math.isfinite(x) for x in row)
    return row


METHODS = ("step", "state_dict", "load_state_dict")


def signatures(module) -> dict[str, str]:
    """Constructor signatures of every exported class, and of the methods users call."""
    out = {}
    for name in module.__all__:
        cls = getattr(module, name)
        out[name] = str(inspect.signature(cls))
        for method in METHODS:
            out[f"{name}.{method}"] = str(inspect.signature(getattr(cls, method)))
    return out


def scheduler_names(sched) -> set[str]:
    """The class names of a scheduler and of all the schedulers inside it."""
    names = {type(sched).__name__}
    for child in getattr(sched, "_schedulers", []):
        names |= scheduler_names(child)
    return names


def state_summary(sched) -> str:
    """``state_dict()`` as JSON: containers kept, numbers and strings as they are, anything
    else (a function) by its type name. Equal summaries mean equal contents."""

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        return type(value).__name__

    return json.dumps(plain(sched.state_dict()), sort_keys=True)
