"""Adamax: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §3.7)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import Adamax

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(betas=(1.0, 0.999)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(-0.1, 0.999)), ValueError, "Invalid beta parameter at index 0: -0.1"),
    (dict(betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (dict(lr=-1.0, eps=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(eps=-1.0, betas=(2.0, 2.0)), ValueError, "Invalid epsilon value: -1.0"),
    (dict(betas=(2.0, 2.0)), ValueError, "Invalid beta parameter at index 0: 2.0"),
    (
        dict(betas=(0.9, 2.0), weight_decay=-1.0),
        ValueError,
        "Invalid beta parameter at index 1: 2.0",
    ),
]
ACCEPTED = [dict(betas=(0, 0.999)), dict(betas=(0.0, 0.0)), dict(lr=0.0, eps=0.0)]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        Adamax([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.Adamax([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    """Integer betas too: Adam refuses them, Adamax does not."""
    Adamax([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        Adamax([param(2)], **{flag: True})


def test_defaults_in_torchs_order():
    keys = list(Adamax([param(2)]).defaults)
    assert keys == [
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "foreach",
        "maximize",
        "differentiable",
        "capturable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.Adamax([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("foreach", [False, None])
def test_state_is_lazy_with_torchs_keys_and_dtypes(foreach, device):
    tinyoptim.set_default_dtype("float64")
    p, frozen = param(3, device=device), param(2, device=device)
    opt = Adamax([p, frozen], foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, device=device)
    opt.step()
    state = opt.state[p]
    keys = ["step", "exp_avg", "exp_inf"]
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
def test_eps_is_added_to_abs_g_inside_the_max(foreach, device):
    """A zero gradient still gives exp_inf = eps, so m / u stays finite (0 here)."""
    p = param(2, device=device)
    opt = Adamax([p], eps=1e-3, foreach=foreach)
    p.grad = tinyoptim.zeros(2, device=device)
    opt.step()
    np.testing.assert_allclose(opt.state[p]["exp_inf"].numpy(), [1e-3, 1e-3], rtol=1e-6)
    assert p.tolist() == [1.0, 1.0]
    p.grad = tinyoptim.tensor([0.5, -2.0], device=device)
    opt.step()  # max(0.999 * 1e-3, |g| + 1e-3)
    np.testing.assert_allclose(opt.state[p]["exp_inf"].numpy(), [0.501, 2.001], rtol=1e-6)


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = Adamax(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "Adamax does not support sparse gradients"
    assert not opt.state
