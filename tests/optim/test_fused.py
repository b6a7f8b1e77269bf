"""``fused=True``: numba's compiled kernels on the CPU, equal to the reference path."""

from __future__ import annotations

import numpy as np
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
    for key in [k for k in reference if k.endswith("/step")]:  # float32 whatever the default
        assert fused[key].dtype == np.float32
        reference[key] = reference[key].astype(np.float32)
    assert_trajectories_close(fused, reference, FAST_VS_REFERENCE[dtype])


@pytest.mark.parametrize("cls_name", FUSED)
@pytest.mark.parametrize("foreach", [None, False])
def test_fused_steps_count_in_float32_under_a_float64_default(cls_name, foreach):
    """torch's fused kernels keep ``step`` in float32; ``foreach=False`` does not turn
    ``fused=True`` off."""
    tinyoptim.set_default_dtype("float64")
    p = tinyoptim.ones(3, requires_grad=True, device="cpu")
    kwargs = dict(lr=0.1, momentum=0.9) if cls_name == "SGD" else {}
    opt = getattr(tinyoptim.optim, cls_name)([p], fused=True, foreach=foreach, **kwargs)
    p.grad = tinyoptim.ones(3, device="cpu")
    opt.step()
    state = opt.state_dict()["state"][0]
    if cls_name == "SGD":
        assert set(state) == {"momentum_buffer"}
    else:
        assert state["step"].dtype == tinyoptim.float32 and state["step"].item() == 1
        assert opt._plans  # the fast path ran


@pytest.mark.parametrize("cls_name, momentum", [("SGD", 0), ("SGD", 0.9), ("Adagrad", 0)])
def test_fused_refuses_sparse_grads_in_torchs_words(cls_name, momentum):
    embedding = tinyoptim.nn.Embedding(4, 3, sparse=True, device="cpu")
    kwargs = dict(lr=0.1, momentum=momentum) if cls_name == "SGD" else {}
    opt = getattr(tinyoptim.optim, cls_name)(embedding.parameters(), fused=True, **kwargs)
    embedding(tinyoptim.tensor([1, 3], device="cpu")).sum().backward()
    before = embedding.weight.detach().numpy().copy()
    message = {
        "SGD": "`_fused_sgd` does not support sparse gradients",
        "Adagrad": "`fused` does not support sparse grad or complex param",
    }[cls_name]
    with pytest.raises(RuntimeError, match=message):
        opt.step()
    np.testing.assert_array_equal(embedding.weight.detach().numpy(), before)


def test_fused_needs_numba(monkeypatch):
    p = tinyoptim.ones(2, device="cpu", requires_grad=True)
    monkeypatch.setattr(type(p.backend), "kernel", lambda self, name: None)
    with pytest.raises(
        RuntimeError, match=r'Adam\(fused=True\) needs numba.*pip install -e ".\[fast\]"'
    ):
        tinyoptim.optim.Adam([p], fused=True)


def test_fused_refuses_other_devices_and_integer_params():
    """As in torch, the constructor accepts them and the first step refuses them."""
    strict = tinyoptim.ones(2, device="strict", requires_grad=True)
    integer = tinyoptim.zeros(2, dtype=tinyoptim.int64, device="cpu")
    for p, kind in ((strict, "tinyoptim.float32 and strict"), (integer, "tinyoptim.int64 and cpu")):
        opt = tinyoptim.optim.SGD([p], lr=0.1, fused=True)
        p.grad = tinyoptim.ones(2, dtype=p.dtype, device=p.device)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        assert str(info.value) == (
            "`fused=True` requires all the params to be floating point Tensors of supported "
            f"devices: ['cpu', 'cuda'] but {kind}"
        )
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        tinyoptim.optim.Adam(
            [tinyoptim.ones(2, requires_grad=True, device="cpu")], fused=True, foreach=True
        )
