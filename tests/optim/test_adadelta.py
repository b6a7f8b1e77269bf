"""Adadelta: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §3.4)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import Adadelta

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(rho=1.1), ValueError, "Invalid rho value: 1.1"),
    (dict(rho=-0.1), ValueError, "Invalid rho value: -0.1"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (dict(lr=-1.0, rho=2.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(rho=2.0, eps=-1.0), ValueError, "Invalid rho value: 2.0"),
    (dict(eps=-1.0, weight_decay=-1.0), ValueError, "Invalid epsilon value: -1.0"),
]
ACCEPTED = [dict(rho=1.0), dict(rho=0.0), dict(lr=0.0, eps=0.0)]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        Adadelta([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.Adadelta([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    Adadelta([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        Adadelta([param(2)], **{flag: True})


def test_foreach_is_positional_and_defaults_in_torchs_order():
    opt = Adadelta([param(2)], 0.5, 0.8, 1e-5, 0.1, False)
    group = opt.param_groups[0]
    assert [group[k] for k in ("lr", "rho", "eps", "weight_decay", "foreach")] == [
        0.5,
        0.8,
        1e-5,
        0.1,
        False,
    ]
    keys = list(opt.defaults)
    assert keys == [
        "lr",
        "rho",
        "eps",
        "weight_decay",
        "maximize",
        "capturable",
        "foreach",
        "differentiable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.Adadelta([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("foreach", [False, None])
def test_state_is_lazy_with_torchs_keys_and_dtypes(foreach, device):
    tinyoptim.set_default_dtype("float64")
    p, frozen = param(3, device=device), param(2, device=device)
    opt = Adadelta([p, frozen], foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, device=device)
    opt.step()
    state = opt.state[p]
    keys = ["step", "square_avg", "acc_delta"]
    assert sorted(state) == sorted(keys)
    if foreach is False:  # the fast path installs its flat buffers before the step counter
        assert list(state) == keys
    assert state["step"].shape == () and state["step"].device == tinyoptim.device("cpu")
    assert state["step"].dtype == tinyoptim.float64 and state["step"].item() == 1.0
    for key in keys[1:]:
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device
    assert frozen not in opt.state


@pytest.mark.parametrize("foreach", [False, None])
def test_first_step_uses_eps_inside_both_roots(foreach, device):
    p = param(2, device=device)
    opt = Adadelta([p], lr=1.0, rho=0.5, eps=1e-2, foreach=foreach)
    p.grad = tinyoptim.tensor([2.0, -2.0], device=device)
    opt.step()
    # v = 0.5 * 4 = 2; delta = sqrt(0 + eps) / sqrt(2 + eps) * g; u = 0.5 * delta^2
    delta = (1e-2**0.5) / (2.01**0.5) * np.array([2.0, -2.0])
    np.testing.assert_allclose(p.detach().numpy(), 1 - delta, rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["acc_delta"].numpy(), 0.5 * delta**2, rtol=1e-6)


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = Adadelta(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "Adadelta does not support sparse gradients"
    assert not opt.state
