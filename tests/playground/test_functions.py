"""The 2-D test functions: known values, minima, and values and gradients against torch."""

from __future__ import annotations

import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.playground import (
    FUNCTIONS,
    beale,
    booth,
    himmelblau,
    quadratic,
    rastrigin,
    rosenbrock,
)

KNOWN = [  # (function, point, value), worked out by hand
    (rosenbrock, (0.0, 0.0), 1.0),
    (rosenbrock, (-1.0, 1.0), 4.0),
    (beale, (0.0, 0.0), 1.5**2 + 2.25**2 + 2.625**2),
    (rastrigin, (0.5, 0.0), 20 + (0.25 + 10) + (0 - 10)),  # cos(π) = -1, cos(0) = 1
    (himmelblau, (0.0, 0.0), 121.0 + 49.0),
    (booth, (0.0, 0.0), 49.0 + 25.0),
    (quadratic, (1.0, 1.0), 5.5),
]
POINTS = [(-1.5, 2.0), (0.3, -0.7), (2.2, 1.1)]


@pytest.mark.parametrize("fn, point, value", KNOWN, ids=lambda v: getattr(v, "__name__", ""))
def test_values_worked_by_hand(fn, point, value):
    assert fn(tinyoptim.tensor(point, dtype="float64")).item() == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_listed_minimum_has_value_zero_and_zero_gradient(name):
    entry = FUNCTIONS[name]
    for minimum in entry.minima:
        xy = tinyoptim.tensor(minimum, dtype="float64", requires_grad=True)
        value = entry.fn(xy)
        value.backward()
        assert value.item() == pytest.approx(0.0, abs=1e-9)
        assert max(abs(g) for g in xy.grad.tolist()) < 1e-4


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_start_lies_inside_the_window(name):
    entry = FUNCTIONS[name]
    assert entry.xlim[0] < entry.start[0] < entry.xlim[1]
    assert entry.ylim[0] < entry.start[1] < entry.ylim[1]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_broadcast_over_a_grid(name, device):
    fn = FUNCTIONS[name].fn
    grid = tinyoptim.tensor([[[0.5, -1.0], [2.0, 0.0]], [[1.5, 0.25], [-0.5, 3.0]]], device=device)
    surface = fn(grid).tolist()
    for r in range(2):
        for c in range(2):
            point = tinyoptim.tensor([grid[0, r, c].item(), grid[1, r, c].item()], device=device)
            assert surface[r][c] == pytest.approx(fn(point).item(), rel=1e-6)


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("point", POINTS)
def test_value_and_gradient_match_torch(name, point, device):
    fn = FUNCTIONS[name].fn
    ours = tinyoptim.tensor(point, dtype="float64", device=device, requires_grad=True)
    value = fn(ours)
    value.backward()
    theirs = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    expected = fn(theirs)  # the formulas use only operators both libraries share
    expected.backward()
    assert value.item() == pytest.approx(expected.item(), rel=1e-13, abs=1e-13)
    for got, want in zip(ours.grad.tolist(), theirs.grad.tolist()):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_rastrigin_is_periodic_around_its_bowl():
    # cos(2πx) = 1 at integers, so f(k, 0) = k² exactly there
    for k in range(-3, 4):
        value = rastrigin(tinyoptim.tensor([float(k), 0.0], dtype="float64")).item()
        assert value == pytest.approx(k * k, abs=1e-9)
