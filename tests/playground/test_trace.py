"""``trace``: paths on Rosenbrock equal torch's, step for step, for every dense optimizer.

The same loop runs in both libraries (a 2-element float64 parameter, a closure,
``step(closure)``), 200 steps from (-1.5, 2). Every element of every row must satisfy
``|ours - torch| <= 1e-10 * max(1, |torch|)`` (API.md's float64 tolerance); LBFGS, whose
line search amplifies rounding, is compared at its end point within 1e-6. Optimizers
not yet in ``tinyoptim.optim`` are skipped by name, so each starts being checked when it
lands.
"""

from __future__ import annotations

import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.playground import FUNCTIONS, quadratic, rosenbrock, trace

START, STEPS = (-1.5, 2.0), 200
DENSE = {  # name -> hyperparameters that keep the path on the plot (no divergence)
    "SGD": {"lr": 1e-3, "momentum": 0.9},
    "SGD-nesterov": {"lr": 1e-3, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "Adam": {"lr": 0.05},
    "Adam-amsgrad": {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01},
    "AdamW": {"lr": 0.05},
    "Adadelta": {"lr": 1.0},  # at lr=10 its zigzag multiplies a last-bit difference by ~5 a step
    "Adagrad": {"lr": 0.5, "lr_decay": 0.01},
    "Adamax": {"lr": 0.1},
    "ASGD": {"lr": 1e-3, "t0": 50},
    "RMSprop": {"lr": 1e-2},
    "RMSprop-centered": {"lr": 1e-3, "momentum": 0.5, "centered": True},
    "Rprop": {"lr": 1e-2},
    "NAdam": {"lr": 0.05},
    "RAdam": {"lr": 0.01},
    "Adafactor": {"lr": 0.05},
}


def _class(name: str):
    cls = getattr(tinyoptim.optim, name.split("-")[0], None)
    if cls is None:
        pytest.skip(f"tinyoptim.optim has no {name.split('-')[0]} yet")
    return cls


def torch_trace(name: str, fn, x0, steps: int, **hp) -> list[list[float]]:
    """The same loop as ``playground.trace``, in torch."""
    x = torch.tensor(list(x0), dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, name)([x], **hp)

    def closure():
        optimizer.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    path = [x.tolist()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(x.tolist())
    return path


def assert_paths_close(ours, theirs, rtol):
    assert len(ours) == len(theirs)
    for step, (row, expected) in enumerate(zip(ours, theirs)):
        for got, want in zip(row, expected):
            assert abs(got - want) <= rtol * max(1.0, abs(want)), (step, row, expected)


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
@pytest.mark.parametrize("case", sorted(DENSE))
def test_rosenbrock_path_matches_torch(case):
    cls = _class(case)
    hp = DENSE[case]
    ours = trace(cls, rosenbrock, START, STEPS, **hp)
    assert tuple(ours.shape) == (STEPS + 1, 2) and ours.dtype == tinyoptim.float64
    theirs = torch_trace(cls.__name__, rosenbrock, START, STEPS, **hp)
    assert_paths_close(ours.tolist(), theirs, rtol=1e-10)


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
def test_lbfgs_strong_wolfe_end_point_matches_torch():
    cls = _class("LBFGS")
    hp = {"lr": 1.0, "max_iter": 5, "line_search_fn": "strong_wolfe"}
    ours = trace(cls, rosenbrock, START, 20, **hp).tolist()
    theirs = torch_trace("LBFGS", rosenbrock, START, 20, **hp)
    assert_paths_close(ours[-1:], theirs[-1:], rtol=1e-6)
    assert ours[-1] == pytest.approx([1.0, 1.0], abs=1e-4)  # and it found the minimum


def test_trace_records_start_and_every_step(device):
    path = trace(tinyoptim.optim.SGD, quadratic, [1.0, 1.0], 3, device=device, lr=0.1)
    assert path.device == tinyoptim.device(device)
    # x shrinks by (1 - lr), y by (1 - 10 lr) = 0 per step
    expected = [[1.0, 1.0], [0.9, 0.0], [0.81, 0.0], [0.729, 0.0]]
    for row, want in zip(path.tolist(), expected):
        assert row == pytest.approx(want, abs=1e-15)


def test_trace_in_float32():
    path = trace(tinyoptim.optim.Adam, rosenbrock, START, 5, dtype="float32", lr=0.01)
    assert path.dtype == tinyoptim.float32 and tuple(path.shape) == (6, 2)


def test_trace_rejects_a_start_that_is_not_two_numbers():
    with pytest.raises(ValueError, match="two numbers"):
        trace(tinyoptim.optim.SGD, rosenbrock, [1.0, 2.0, 3.0], 1, lr=0.1)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_adam_moves_downhill_from_each_classic_start(name):
    entry = FUNCTIONS[name]
    path = trace(tinyoptim.optim.Adam, entry.fn, entry.start, 50, lr=0.05)
    first, last = path[0], path[-1]
    assert entry.fn(last).item() < entry.fn(first).item()
