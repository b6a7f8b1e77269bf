"""Shared by the workers: a small float64 model, its data, and comparisons."""

from __future__ import annotations

import tinyoptim
from tinyoptim import nn
from tinyoptim.distributed import all_gather_object


def make_model(seed: int, width: int = 24, depth: int = 6) -> nn.Module:
    """An MLP of equal-sized hidden layers (so a greedy split balances well)."""
    tinyoptim.manual_seed(seed)
    layers = [nn.Linear(6, width), nn.Tanh()]
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 3))


def batches(steps: int, size: int, seed: int = 7) -> list:
    """``steps`` regression batches ``(x, y)``, the same on every rank."""
    tinyoptim.manual_seed(seed)
    return [(tinyoptim.randn(size, 6), tinyoptim.randn(size, 3)) for _ in range(steps)]


def max_relative_error(model_a, model_b) -> float:
    worst = 0.0
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        diff = (a.detach() - b.detach()).abs().max().item()
        worst = max(worst, diff / max(b.detach().abs().max().item(), 1e-300))
    return worst


def same_on_every_rank(model) -> bool:
    """True when every rank's parameters are bit for bit rank 0's."""
    mine = [p.detach().numpy().tobytes() for p in model.parameters()]
    every = [None] * tinyoptim.distributed.get_world_size()
    all_gather_object(every, mine)
    return all(theirs == every[0] for theirs in every)
