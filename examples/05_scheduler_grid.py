"""Every learning-rate scheduler's curve, drawn without training anything.

``tinyoptim.playground.lr_schedule_preview`` builds a throwaway optimizer (lr 0.1) over
a dummy parameter, lets a scheduler drive it for 100 steps and returns the lr of each
step. ``plot_lr_schedules`` puts the 15 curves of ``tinyoptim.optim.lr_scheduler`` in a
grid, ``OUT/schedulers.png``. ReduceLROnPlateau reacts to a metric, so it is fed a
made-up validation loss that stops improving after step 30.

    python examples/05_scheduler_grid.py --out examples-out
"""

from __future__ import annotations

import argparse
import math
import os

from tinyoptim.optim import lr_scheduler as sched
from tinyoptim.playground import lr_schedule_preview, plot_lr_schedules

STEPS = 100


def warmup_then_cosine(opt):
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=10)
    cosine = sched.CosineAnnealingLR(opt, T_max=STEPS - 10)
    return sched.SequentialLR(opt, [warmup, cosine], milestones=[10])


def step_and_decay(opt):
    return sched.ChainedScheduler(
        [sched.StepLR(opt, step_size=25, gamma=0.5), sched.ExponentialLR(opt, gamma=0.99)]
    )


# name -> scheduler factory (optimizer -> scheduler)
SCHEDULERS = {
    "LambdaLR": lambda opt: sched.LambdaLR(opt, lambda step: 1 / (1 + 0.05 * step)),
    "MultiplicativeLR": lambda opt: sched.MultiplicativeLR(opt, lambda step: 0.97),
    "StepLR": lambda opt: sched.StepLR(opt, step_size=30, gamma=0.5),
    "MultiStepLR": lambda opt: sched.MultiStepLR(opt, milestones=[20, 50, 80], gamma=0.5),
    "ConstantLR": lambda opt: sched.ConstantLR(opt, factor=0.3, total_iters=40),
    "LinearLR": lambda opt: sched.LinearLR(opt, start_factor=0.1, total_iters=60),
    "ExponentialLR": lambda opt: sched.ExponentialLR(opt, gamma=0.96),
    "PolynomialLR": lambda opt: sched.PolynomialLR(opt, total_iters=STEPS, power=2.0),
    "CosineAnnealingLR": lambda opt: sched.CosineAnnealingLR(opt, T_max=STEPS, eta_min=0.005),
    "ChainedScheduler": step_and_decay,
    "SequentialLR": warmup_then_cosine,
    "ReduceLROnPlateau": lambda opt: sched.ReduceLROnPlateau(opt, factor=0.5, patience=10),
    "CyclicLR": lambda opt: sched.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=15, mode="triangular2", cycle_momentum=False
    ),
    "OneCycleLR": lambda opt: sched.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS),
    "CosineAnnealingWarmRestarts": lambda opt: sched.CosineAnnealingWarmRestarts(
        opt, T_0=10, T_mult=2
    ),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    plateau = [math.exp(-min(step, 30) / 10) for step in range(STEPS)]  # flat after step 30
    curves = {}
    for name, factory in SCHEDULERS.items():
        if not hasattr(sched, name):
            continue
        metrics = plateau if name == "ReduceLROnPlateau" else None
        curves[name] = lr_schedule_preview(factory, STEPS, lr=0.1, metrics=metrics)
        lrs = curves[name]
        print(f"{name:<28} first {lrs[0]:.4f}  min {min(lrs):.4f}  last {lrs[-1]:.4f}")
    path = os.path.join(args.out, "schedulers.png")
    plot_lr_schedules(curves, path, ncols=5, title="lr over 100 steps, lr = 0.1", dpi=64)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
