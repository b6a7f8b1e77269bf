"""TORCH_OPTIM.md §9: five steps on one parameter, against the values torch 2.13 printed."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.optim.cases_optim import SPEC_ROWS

P0 = [1.0, -2.0, 3.0, 0.5]


def gradient(t: int) -> list:
    return [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]


@pytest.mark.parametrize(
    "name, kwargs, expected, rtol", SPEC_ROWS, ids=lambda v: v if isinstance(v, str) else None
)
@pytest.mark.parametrize("foreach", [False, None])
def test_five_steps(name, kwargs, expected, rtol, device, foreach):
    cls = getattr(tinyoptim.optim, name)
    p = tinyoptim.tensor(P0, dtype=tinyoptim.float64, device=device, requires_grad=True)
    opt = cls([p], foreach=foreach, **kwargs)
    for t in range(1, 6):
        p.grad = tinyoptim.tensor(gradient(t), dtype=tinyoptim.float64, device=device)
        opt.step()
    if rtol is None:  # some rows are printed to 8 significant digits only
        rtol = 1e-13 if len(str(expected[0])) > 12 else 1e-7
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=rtol, atol=0)
