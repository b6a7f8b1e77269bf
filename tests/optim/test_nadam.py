"""NAdam: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §4.1)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import NAdam

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(betas=(1.0, 0.999)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(-0.1, 0.999)), ValueError, "Invalid beta parameter at index 0: -0.1"),
    (dict(betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (dict(momentum_decay=-1.0), ValueError, "Invalid momentum_decay value: -1.0"),
    # torch's order: lr, eps, betas, weight_decay, momentum_decay.
    (dict(lr=-1.0, eps=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(eps=-1.0, betas=(2.0, 2.0)), ValueError, "Invalid epsilon value: -1.0"),
    (
        dict(betas=(0.9, 2.0), weight_decay=-1.0),
        ValueError,
        "Invalid beta parameter at index 1: 2.0",
    ),
    (
        dict(weight_decay=-1.0, momentum_decay=-1.0),
        ValueError,
        "Invalid weight_decay value: -1.0",
    ),
]
ACCEPTED = [
    dict(betas=(0, 0.999)),
    dict(betas=(0.0, 0.0)),
    dict(lr=0.0, eps=0.0, momentum_decay=0.0),
    dict(decoupled_weight_decay=True, weight_decay=0.5),
]
P0 = [1.0, -2.0, 3.0, 0.5]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


def gradient(t: int) -> list:
    return [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        NAdam([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.NAdam([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    """Integer betas too: Adam refuses them, NAdam does not."""
    NAdam([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        NAdam([param(2)], **{flag: True})


def test_tensor_lr_is_refused():
    with pytest.raises(TypeError, match="Tensor lr"):
        NAdam([param(2)], lr=tinyoptim.tensor(0.1))


def test_defaults_in_torchs_order():
    keys = list(NAdam([param(2)]).defaults)
    assert keys == [
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.NAdam([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("foreach", [False, None])
def test_state_is_lazy_with_torchs_keys_and_dtypes(foreach, default, device):
    tinyoptim.set_default_dtype(default)
    p = tinyoptim.ones(3, dtype="float64", device=device, requires_grad=True)
    frozen = param(2, device=device)
    opt = NAdam([p, frozen], foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, dtype="float64", device=device)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    scalar = tinyoptim.float64 if default == "float64" else tinyoptim.float32
    for key in ("step", "mu_product"):  # on the CPU, in the default's precision: torch's
        assert state[key].shape == () and state[key].device == tinyoptim.device("cpu")
        assert state[key].dtype == scalar
    assert state["step"].item() == 1.0
    for key in ("exp_avg", "exp_avg_sq"):
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device
    assert frozen not in opt.state
    if torch is not None:
        torch.set_default_dtype(getattr(torch, default))
        try:
            q = torch.ones(3, dtype=torch.float64, requires_grad=True)
            ref = torch.optim.NAdam([q])
            q.grad = torch.full((3,), 0.5, dtype=torch.float64)
            ref.step()
        finally:
            torch.set_default_dtype(torch.float32)
        assert list(ref.state[q]) == list(state)
        assert str(ref.state[q]["mu_product"].dtype) == f"torch.{scalar.name}"


@pytest.mark.parametrize("foreach", [False, None])
def test_mu_product_is_rounded_in_float32(foreach, device):
    """Under the float32 default the product is a float32 tensor, even for float64
    parameters, and each ``mu_product *= mu`` rounds to float32 (§4.1)."""
    p = tinyoptim.tensor(P0, dtype="float64", device=device, requires_grad=True)
    opt = NAdam([p], lr=0.1, foreach=foreach)
    expected = np.float32(1.0)
    for t in range(1, 11):
        p.grad = tinyoptim.tensor(gradient(t), dtype="float64", device=device)
        opt.step()
        expected = expected * np.float32(0.9 * (1.0 - 0.5 * 0.96 ** (t * 4e-3)))
        product = opt.state[p]["mu_product"]
        assert product.dtype == tinyoptim.float32 and product.item() == float(expected)
    if torch is not None:
        q = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
        ref = torch.optim.NAdam([q], lr=0.1)
        for t in range(1, 11):
            q.grad = torch.tensor(gradient(t), dtype=torch.float64)
            ref.step()
        assert ref.state[q]["mu_product"].item() == float(expected)
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("foreach", [False, None])
def test_load_keeps_mu_product_dtype_and_host(foreach, device):
    """API.md deviation 6: torch casts mu_product to the parameter's dtype on load (and
    drifts by ~1e-14); tinyoptim keeps it as saved, on the CPU, and resumes exactly."""

    def run(split):
        p = tinyoptim.tensor(P0, dtype="float64", device=device, requires_grad=True)
        opt = NAdam([p], lr=0.1, foreach=foreach)
        for t in range(1, 9):
            if t == split:
                saved = opt.state_dict()
                p = tinyoptim.tensor(p.tolist(), dtype="float64", device=device)
                p.requires_grad_(True)
                opt = NAdam([p], lr=0.1, foreach=foreach)
                opt.load_state_dict(saved)
                product = opt.state[p]["mu_product"]
                assert product.dtype == tinyoptim.float32
                assert product.device == tinyoptim.device("cpu")
                assert product is not saved["state"][0]["mu_product"]
            p.grad = tinyoptim.tensor(gradient(t), dtype="float64", device=device)
            opt.step()
        return p.tolist()

    assert run(split=4) == run(split=None)


def test_exp_avg_on_another_device_is_refused():
    """The device check spares the host scalars, not the moment buffers."""
    p = param(2, device="strict")
    opt = NAdam([p])
    p.grad = tinyoptim.ones(2, device="strict")
    opt.step()
    opt.state[p]["exp_avg"] = opt.state[p]["exp_avg"].to("cpu")
    before = p.tolist()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        opt.step()
    assert p.tolist() == before


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = NAdam(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "NAdam does not support sparse gradients"
    assert not opt.state
