"""RAdam: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §4.2)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import RAdam

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(betas=(1.0, 0.999)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(-0.1, 0.999)), ValueError, "Invalid beta parameter at index 0: -0.1"),
    (dict(betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    # torch's order: lr, eps, betas, weight_decay.
    (dict(lr=-1.0, eps=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(eps=-1.0, betas=(2.0, 2.0)), ValueError, "Invalid epsilon value: -1.0"),
    (
        dict(betas=(0.9, 2.0), weight_decay=-1.0),
        ValueError,
        "Invalid beta parameter at index 1: 2.0",
    ),
]
ACCEPTED = [
    dict(betas=(0, 0.999)),
    dict(betas=(0.0, 0.0)),
    dict(lr=0.0, eps=0.0),
    dict(decoupled_weight_decay=True, weight_decay=0.5),
]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        RAdam([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.RAdam([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    """Integer betas too: Adam refuses them, RAdam does not."""
    RAdam([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        RAdam([param(2)], **{flag: True})


def test_defaults_in_torchs_order():
    keys = list(RAdam([param(2)]).defaults)
    assert keys == [
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "maximize",
        "foreach",
        "capturable",
        "decoupled_weight_decay",
        "differentiable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.RAdam([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("foreach", [False, None])
def test_state_is_lazy_with_torchs_keys_and_dtypes(foreach, default, device):
    tinyoptim.set_default_dtype(default)
    p = tinyoptim.ones(3, dtype="float64", device=device, requires_grad=True)
    frozen = param(2, device=device)
    opt = RAdam([p, frozen], foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, dtype="float64", device=device)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    scalar = tinyoptim.float64 if default == "float64" else tinyoptim.float32
    assert state["step"].shape == () and state["step"].device == tinyoptim.device("cpu")
    assert state["step"].dtype == scalar and state["step"].item() == 1.0
    for key in ("exp_avg", "exp_avg_sq"):
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device
    assert frozen not in opt.state


def rho(t, beta2):
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * t * beta2**t / (1 - beta2**t)


@pytest.mark.parametrize("foreach", [False, None])
def test_plain_momentum_steps_until_rho_passes_5(foreach, device):
    """While rho_t <= 5 the step is lr times the bias-corrected momentum, whatever v is:
    with a constant gradient g, every such step moves p by exactly lr * g (§4.2)."""
    switch = next(t for t in range(1, 100) if rho(t, 0.999) > 5)
    assert switch == 6
    g = [0.5, -2.0, 1e-3]
    p = tinyoptim.zeros(3, dtype="float64", device=device, requires_grad=True)
    opt = RAdam([p], lr=0.1, foreach=foreach)
    for t in range(1, switch):
        p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
        opt.step()
        np.testing.assert_allclose(p.tolist(), [-0.1 * t * x for x in g], rtol=1e-14)
    p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
    opt.step()  # now adaptive: every element moves by about the same amount, lr * r_t
    moved = np.abs(np.array(p.tolist()) - [-0.1 * (switch - 1) * x for x in g])
    assert moved.max() < 0.01 and moved.min() > 0.9 * moved.max()
    if torch is not None:
        q = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        ref = torch.optim.RAdam([q], lr=0.1)
        for _ in range(switch):
            q.grad = torch.tensor(g, dtype=torch.float64)
            ref.step()
        np.testing.assert_allclose(p.tolist(), q.tolist(), rtol=1e-14)


@pytest.mark.parametrize("foreach", [False, None])
def test_eps_is_unused_while_the_rate_is_not_adapted(foreach):
    """beta2 = 0.5 gives rho_inf = 3: the adaptive branch, and with it eps, never runs."""
    results = []
    for eps in (1e-8, 10.0):
        p = tinyoptim.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
        opt = RAdam([p], lr=0.1, betas=(0.9, 0.5), eps=eps, foreach=foreach)
        for t in range(1, 20):
            p.grad = tinyoptim.tensor([0.1 * t, -0.3], dtype="float64")
            opt.step()
        results.append(p.tolist())
    assert results[0] == results[1]


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = RAdam(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "RAdam does not support sparse gradients"
    assert not opt.state
