"""TORCH_OPTIM.md §9: five steps on one parameter, against the values torch 2.13 printed."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tinyoptim import optim

P0 = [1.0, -2.0, 3.0, 0.5]

ROWS = [
    (optim.SGD, dict(lr=0.1), [0.85, -1.9, 3.03, 0.5]),
    (
        optim.SGD,
        dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
        [0.698789791980815, -1.73132369021451, 3.04192031618538, 0.455204151438326],
    ),
    (
        optim.SGD,
        dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True),
        [1.4353279, -2.3365938, 2.9034153, 0.5347814],
    ),
    (
        optim.Adam,
        dict(),
        [0.99514916931736, -1.99500000025, 3.00143494518481, 0.497194355848553],
    ),
    (
        optim.Adam,
        dict(lr=0.1, weight_decay=0.1, amsgrad=True),
        [0.503072904636204, -1.50126754170936, 2.73396670063499, 0.139623080852005],
    ),
    (
        optim.AdamW,
        dict(lr=0.1),
        [0.510903132691588, -1.49101900545995, 3.12807899986579, 0.217793515689064],
    ),
    (
        optim.AdamW,
        dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True),
        [1.4263992000225, -2.39207957629502, 2.71387530622333, 0.747579927809071],
    ),
]


def gradient(t: int) -> list:
    return [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]


@pytest.mark.parametrize("cls, kwargs, expected", ROWS, ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("foreach", [False, None])
def test_five_steps(cls, kwargs, expected, foreach, device):
    p = tinyoptim.tensor(P0, dtype=tinyoptim.float64, device=device, requires_grad=True)
    opt = cls([p], foreach=foreach, **kwargs)
    for t in range(1, 6):
        p.grad = tinyoptim.tensor(gradient(t), dtype=tinyoptim.float64, device=device)
        opt.step()
    # Some rows are printed to 8 significant digits only. In the amsgrad row, g + wd*p
    # cancels to ~1e-17 at element 2; torch computes it with a fused multiply-add, NumPy
    # cannot, and the tiny difference is amplified by the near-zero denominator.
    rtol = 1e-13 if len(str(expected[0])) > 12 else 1e-7
    if cls is optim.Adam and kwargs.get("amsgrad"):
        rtol = 1e-10
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=rtol, atol=0)
