"""``lr_schedule_preview`` against a hand-written loop, and against torch's schedulers."""

from __future__ import annotations

import math

import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.playground import lr_schedule_preview

lr_scheduler = getattr(tinyoptim.optim, "lr_scheduler", None)


def _scheduler(name: str):
    cls = getattr(lr_scheduler, name, None)
    if cls is None:
        pytest.skip(f"tinyoptim.optim.lr_scheduler has no {name} yet")
    return cls


# name -> keyword arguments, the same for tinyoptim and torch
CASES = {
    "StepLR": {"step_size": 7, "gamma": 0.5},
    "MultiStepLR": {"milestones": [5, 12, 30], "gamma": 0.3},
    "ExponentialLR": {"gamma": 0.95},
    "CosineAnnealingLR": {"T_max": 25, "eta_min": 0.001},
    "LinearLR": {"start_factor": 0.2, "total_iters": 10},
    "ConstantLR": {"factor": 0.5, "total_iters": 8},
    "PolynomialLR": {"total_iters": 30, "power": 2.0},
    "OneCycleLR": {"max_lr": 0.5, "total_steps": 40},
    "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "cycle_momentum": False},
    "CosineAnnealingWarmRestarts": {"T_0": 6, "T_mult": 2},
}


def test_matches_a_manual_training_loop():
    step_lr = _scheduler("StepLR")
    param = tinyoptim.zeros(3, requires_grad=True)
    optimizer = tinyoptim.optim.SGD([param], lr=0.4)
    scheduler = step_lr(optimizer, step_size=3, gamma=0.1)
    manual = []
    for _ in range(10):
        manual.append(optimizer.param_groups[0]["lr"])
        param.grad = tinyoptim.ones(3)
        optimizer.step()
        scheduler.step()
    preview = lr_schedule_preview(lambda opt: step_lr(opt, step_size=3, gamma=0.1), 10, lr=0.4)
    assert preview == manual
    assert preview[:4] == pytest.approx([0.4, 0.4, 0.4, 0.04])


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    cls = _scheduler(name)
    kwargs = CASES[name]
    ours = lr_schedule_preview(lambda opt: cls(opt, **kwargs), 40, lr=0.1)

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **kwargs)
    theirs = []
    for _ in range(40):
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_reduce_on_plateau_reads_the_metrics():
    plateau = _scheduler("ReduceLROnPlateau")
    metrics = [math.exp(-i) for i in range(5)] + [1.0] * 15  # stops improving after 5 steps
    lrs = lr_schedule_preview(lambda opt: plateau(opt, factor=0.5, patience=2), 20, metrics=metrics)
    assert lrs[0] == 0.1 and lrs[-1] < 0.1
    assert sorted(lrs, reverse=True) == lrs  # it only ever lowers the lr


def test_too_few_metrics_is_an_error():
    plateau = _scheduler("ReduceLROnPlateau")
    with pytest.raises(ValueError, match="metrics holds 3 values"):
        lr_schedule_preview(lambda opt: plateau(opt), 5, metrics=[1.0, 1.0, 1.0])


def test_preview_leaves_no_trace_on_global_state():
    state = tinyoptim.get_rng_state()
    lr_schedule_preview(lambda opt: _scheduler("ExponentialLR")(opt, gamma=0.5), 3)
    assert tinyoptim.get_rng_state().keys() == state.keys()
