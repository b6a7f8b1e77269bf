"""Long runs: memory stays flat over many optimizer steps and state_dict round trips.

Traced memory (``tracemalloc``, which sees NumPy's buffers too) is measured after a
warm-up, so caches that fill once (workspaces, lazily created state) do not count. The
100,000-op backward chain is tests/autograd/test_engine.py::test_long_chain_needs_no_recursion.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import tinyoptim
from tinyoptim import nn, optim

MEGABYTE = 1 << 20


def _growth(run, warmup: int, repeats: int) -> int:
    """Bytes of traced memory that ``repeats`` calls of ``run`` leave behind after warm-up."""
    for _ in range(warmup):
        run()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(repeats):
            run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_20000_steps_keep_memory_flat():
    # The reference path: under tracemalloc the fast path's many small allocations make
    # this run take minutes.
    tinyoptim.manual_seed(0)
    model = nn.Linear(8, 8)
    opt = optim.Adam(model.parameters(), lr=1e-3, foreach=False)
    grads = [tinyoptim.randn(*p.shape) * 1e-2 for p in model.parameters()]

    def step():
        for p, g in zip(model.parameters(), grads):
            p.grad = g
        opt.step()

    growth = _growth(step, warmup=1_000, repeats=19_000)
    assert growth < MEGABYTE, f"memory grew by {growth} bytes over 19,000 steps"
    assert opt.state[model.weight]["step"].item() == 20_000


@pytest.mark.slow
@pytest.mark.parametrize("cls_name", ["Adam", "SGD"])
def test_fast_path_steps_with_gradients_refilled_in_place_keep_memory_flat(cls_name):
    # The training loop's pattern: zero_grad() keeps the gradient arrays, so each step
    # reuses the plan, its layouts and (with numba) its pointer table; nothing may pile up.
    tinyoptim.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    kwargs = dict(lr=1e-3, momentum=0.9) if cls_name == "SGD" else dict(lr=1e-3)
    opt = getattr(optim, cls_name)(model.parameters(), **kwargs)
    for p in model.parameters():
        p.grad = tinyoptim.randn(*p.shape) * 1e-2

    def step():
        opt.step()
        for p in model.parameters():
            p.grad.mul_(1.0)  # touched in place, as backward would refill it

    growth = _growth(step, warmup=500, repeats=5_000)
    assert growth < MEGABYTE, f"memory grew by {growth} bytes over 5,000 steps"
    assert len(opt._plans) == 1


@pytest.mark.slow
def test_2000_state_dict_round_trips_leak_nothing():
    tinyoptim.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = optim.AdamW(model.parameters())
    ((model(tinyoptim.randn(2, 8))) ** 2).sum().backward()
    opt.step()
    before = [p.detach().numpy().copy() for p in model.parameters()]

    def round_trip():
        model.load_state_dict(model.state_dict())
        opt.load_state_dict(opt.state_dict())

    growth = _growth(round_trip, warmup=100, repeats=1_900)
    assert growth < MEGABYTE, f"memory grew by {growth} bytes over 1,900 round trips"
    for p, b in zip(model.parameters(), before):
        assert (p.detach().numpy() == b).all()
