"""Save, load into a fresh optimizer over fresh parameters, continue: bitwise equal."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.optim.cases_optim import case_ids

STEPS, SPLIT = 12, 5


def gradients(step: int, shapes):
    rng = np.random.default_rng(step)
    return [rng.standard_normal(s) for s in shapes]


def run(cls, kwargs, foreach, device, frozen_after=None, split=None):
    shapes = [(3, 2), (4,), ()]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) for s in shapes]
    params = [
        tinyoptim.tensor(v, dtype="float64", device=device, requires_grad=True) for v in values
    ]
    opt = cls(params, foreach=foreach, **kwargs)
    for k in range(STEPS):
        if k == split:
            saved = opt.state_dict()
            params = [
                tinyoptim.tensor(p.detach().numpy(), device=device, requires_grad=True)
                for p in params
            ]
            opt = cls(params, foreach=foreach, **kwargs)
            opt.load_state_dict(saved)
        for i, (p, g) in enumerate(zip(params, gradients(k, shapes))):
            frozen = frozen_after is not None and i == 0 and k >= frozen_after
            p.grad = None if frozen else tinyoptim.tensor(g, device=device)
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("cls_name, case, kwargs", case_ids(), ids=lambda v: str(v))
@pytest.mark.parametrize("foreach", [False, None])
@pytest.mark.parametrize("split", [0, SPLIT])
def test_resume_is_bitwise(cls_name, case, kwargs, foreach, split, device):
    cls = getattr(tinyoptim.optim, cls_name)
    straight = run(cls, kwargs, foreach, device, frozen_after=3)
    resumed = run(cls, kwargs, foreach, device, frozen_after=3, split=split)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a, b)
