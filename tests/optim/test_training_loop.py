"""The canonical torch.optim loop, unchanged, trains an MLP on the digits as torch does.

``zero_grad()``, forward, loss, ``backward()``, ``step()``: 20 steps in float64 from the
same initial weights, for every dense optimizer, compared with torch 2.13 (live, or the
losses recorded in ``tests/golden/training_loop.npz`` by ``make_golden_training_loop.py``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tinyoptim
from tests.optim.training_cases import DENSE, run_loop
from tests.parity import GOLDEN_DIR, Lib
from tests.torch_ref import torch


def reference(name: str) -> np.ndarray:
    if torch is not None:
        return run_loop(Lib(torch), name)
    with np.load(os.path.join(GOLDEN_DIR, "training_loop.npz")) as golden:
        return golden[name]


@pytest.mark.parametrize("name", sorted(DENSE))
def test_loop_matches_torch(name, device):
    if not hasattr(tinyoptim.optim, DENSE[name][0]):
        pytest.skip(f"tinyoptim.optim.{DENSE[name][0]} does not exist yet")
    ours = run_loop(Lib(tinyoptim, device), name)
    expected = reference(name)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=0)


def test_moved_parameters_refuse_stale_state_until_reloaded():
    model = tinyoptim.nn.Linear(3, 2).to("cpu")
    opt = tinyoptim.optim.Adam(model.parameters(), lr=0.1)
    x = tinyoptim.ones(4, 3, device="cpu")
    model(x).sum().backward()
    opt.step()
    model.to("strict")
    opt.zero_grad()
    model(x.to("strict")).sum().backward()
    before = [p.tolist() for p in model.parameters()]
    with pytest.raises(RuntimeError) as info:
        opt.step()
    text = str(info.value)
    assert text.startswith("Expected all tensors to be on the same device")
    assert "exp_avg" in text and "parameter 0" in text
    assert before == [p.tolist() for p in model.parameters()]
    opt.load_state_dict(opt.state_dict())
    opt.step()
    assert opt.state[model.weight]["exp_avg"].device == tinyoptim.device("strict")
    assert opt.state[model.weight]["step"].device == tinyoptim.device("cpu")
