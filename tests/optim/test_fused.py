"""``fused=True``: numba's compiled kernels on the CPU, equal to the reference path."""

from __future__ import annotations

import pytest

import tinyoptim
from tests.optim.cases_optim import CASES, run_trajectory
from tests.optim.test_trajectories import FAST_VS_REFERENCE, assert_trajectories_close
from tests.parity import Lib

pytest.importorskip("numba")

FUSED = ["SGD", "Adam", "AdamW", "Adagrad"]  # the optimizers torch has a fused kernel for


@pytest.mark.parametrize(
    "cls_name, case, kwargs",
    [(c, n, k) for c in FUSED for n, k in CASES[c]],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_matches_reference(cls_name, case, kwargs, dtype):
    tinyoptim.set_default_dtype(dtype)
    lib = Lib(tinyoptim, "cpu")
    reference = run_trajectory(lib, cls_name, case, kwargs, dtype, foreach=False)
    fused = run_trajectory(lib, cls_name, case, kwargs, dtype, fused=True)
    assert_trajectories_close(fused, reference, FAST_VS_REFERENCE[dtype])


def test_fused_needs_numba(monkeypatch):
    p = tinyoptim.ones(2, device="cpu", requires_grad=True)
    monkeypatch.setattr(type(p.backend), "kernel", lambda self, name: None)
    with pytest.raises(
        RuntimeError, match=r'Adam\(fused=True\) needs numba.*pip install -e ".\[fast\]"'
    ):
        tinyoptim.optim.Adam([p], fused=True)


def test_fused_refuses_other_devices_and_integer_params():
    strict = tinyoptim.ones(2, device="strict", requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        tinyoptim.optim.SGD([strict], lr=0.1, fused=True)
    assert str(info.value) == (
        "`fused=True` requires all the params to be floating point Tensors of supported "
        "devices: ['cpu'] but tinyoptim.float32 and strict"
    )
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        tinyoptim.optim.Adam([tinyoptim.ones(2, requires_grad=True)], fused=True, foreach=True)
