"""ASGD: torch's validation messages, device-resident state and quirks (TORCH_OPTIM.md §3.8)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import ASGD

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (dict(lr=-1.0, weight_decay=-1.0), ValueError, "Invalid learning rate: -1.0"),
]
ACCEPTED = [dict(lambd=-1, alpha=-1, t0=-1), dict(lr=0.0), dict(t0=0, alpha=0)]
P0 = [1.0, -2.0, 3.0, 0.5]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


def gradient(t: int) -> list:
    return [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        ASGD([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.ASGD([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    """lambd, alpha and t0 are not validated."""
    ASGD([param(2)], **kwargs)


def test_every_argument_is_positional():
    opt = ASGD([param(2)], 0.1, 0.2, 0.3, 4.0, 0.5, False, True, False, False)
    group = opt.param_groups[0]
    assert [group[k] for k in ("lr", "lambd", "alpha", "t0", "weight_decay")] == [
        0.1,
        0.2,
        0.3,
        4.0,
        0.5,
    ]
    assert group["foreach"] is False and group["maximize"] is True


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        ASGD([param(2)], **{flag: True})


def test_defaults_in_torchs_order():
    keys = list(ASGD([param(2)]).defaults)
    assert keys == [
        "lr",
        "lambd",
        "alpha",
        "t0",
        "weight_decay",
        "foreach",
        "maximize",
        "differentiable",
        "capturable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.ASGD([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("foreach", [False, None])
def test_state_lives_on_the_parameters_device(foreach, default, device):
    """step, eta and mu are 0-d tensors on the parameter's device (not the CPU), in the
    default's precision whatever the parameter's dtype; eta starts at lr, rounded."""
    tinyoptim.set_default_dtype(default)
    p = tinyoptim.ones(3, dtype="float64", device=device, requires_grad=True)
    frozen = param(2, device=device)
    opt = ASGD([p, frozen], lr=0.01, foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, dtype="float64", device=device)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "eta", "mu", "ax"]
    scalar = tinyoptim.float64 if default == "float64" else tinyoptim.float32
    for key in ("step", "eta", "mu"):
        assert state[key].shape == () and state[key].dtype == scalar
        assert state[key].device == p.device
    assert state["ax"].shape == p.shape and state["ax"].dtype == p.dtype
    assert state["ax"].device == p.device
    assert frozen not in opt.state
    if default == "float32":  # step 1 used eta = float32(0.01) = 0.009999999776...
        eta = float(np.float32(0.01))
        assert eta != 0.01
        np.testing.assert_array_equal(p.tolist(), [(1 - 1e-4 * eta) - eta * 0.5] * 3)
    if torch is not None:
        torch.set_default_dtype(getattr(torch, default))
        try:
            q = torch.ones(3, dtype=torch.float64, requires_grad=True)
            ref = torch.optim.ASGD([q], lr=0.01)
            q.grad = torch.full((3,), 0.5, dtype=torch.float64)
            ref.step()
        finally:
            torch.set_default_dtype(torch.float32)
        assert list(ref.state[q]) == list(state)
        for key in ("step", "eta", "mu"):
            assert ref.state[q][key].item() == state[key].item()
        assert q.tolist() == p.tolist()


@pytest.mark.parametrize("foreach", [False, None])
def test_eta_follows_the_lr_one_step_late(foreach, device):
    """A step uses the eta computed at the end of the step before, from the lr then."""
    p = tinyoptim.tensor(P0, dtype="float64", device=device, requires_grad=True)
    opt = ASGD([p], lr=0.1, lambd=0.5, alpha=0.75, foreach=foreach)
    lrs = [0.1, 0.1, 0.3, 0.3, 0.05]
    for t, lr in enumerate(lrs, start=1):
        opt.param_groups[0]["lr"] = lr
        p.grad = tinyoptim.tensor(gradient(t), dtype="float64", device=device)
        opt.step()
        expected = np.float32(lr / (1 + 0.5 * lr * t) ** 0.75)
        assert opt.state[p]["eta"].item() == float(expected)
    if torch is not None:
        q = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
        ref = torch.optim.ASGD([q], lr=0.1, lambd=0.5, alpha=0.75)
        for t, lr in enumerate(lrs, start=1):
            ref.param_groups[0]["lr"] = lr
            q.grad = torch.tensor(gradient(t), dtype=torch.float64)
            ref.step()
        np.testing.assert_allclose(p.tolist(), q.tolist(), rtol=1e-14)


@pytest.mark.parametrize("foreach", [False, None])
def test_average_is_kept_apart_from_the_parameters(foreach, device):
    """ax copies theta while mu = 1, averages once t - 1 > t0, and is never written back."""
    p = tinyoptim.tensor(P0, dtype="float64", device=device, requires_grad=True)
    opt = ASGD([p], lr=0.1, t0=2, foreach=foreach)
    history = []
    for t in range(1, 9):
        p.grad = tinyoptim.tensor(gradient(t), dtype="float64", device=device)
        opt.step()
        history.append(p.tolist())
        ax = opt.state[p]["ax"].tolist()
        mu_used = 1 / max(1, t - 1 - 2)  # computed at the end of step t - 1
        if mu_used == 1:
            assert ax == p.tolist()
        else:
            assert ax != p.tolist()
    # Step t uses mu = 1/max(1, t - 3): ax is the running mean of theta_4, ..., theta_t,
    # up to mu's float32 rounding (1/3, 1/5, ... are not float32 numbers).
    np.testing.assert_allclose(opt.state[p]["ax"].tolist(), np.mean(history[3:], axis=0), rtol=1e-7)
    if torch is not None:
        q = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
        ref = torch.optim.ASGD([q], lr=0.1, t0=2)
        for t in range(1, 9):
            q.grad = torch.tensor(gradient(t), dtype=torch.float64)
            ref.step()
        np.testing.assert_allclose(p.tolist(), q.tolist(), rtol=1e-14)
        np.testing.assert_allclose(
            opt.state[p]["ax"].tolist(), ref.state[q]["ax"].tolist(), rtol=1e-14
        )


@pytest.mark.parametrize("foreach", [False, None])
def test_load_keeps_scalar_dtypes_on_the_parameters_device(foreach):
    """As torch does on load, eta and mu take the parameter's dtype and step keeps its own;
    all three move to the parameter's device. The values eta and mu take afterwards are
    still rounded through the default dtype, so a resumed run is exact."""

    def run(split):
        p = tinyoptim.tensor(P0, dtype="float64", device="cpu", requires_grad=True)
        opt = ASGD([p], lr=0.1, lambd=0.5, t0=3, foreach=foreach)
        for t in range(1, 9):
            if t == split:
                saved = opt.state_dict()
                p = tinyoptim.tensor(p.tolist(), dtype="float64", device="strict")
                p.requires_grad_(True)
                opt = ASGD([p], lr=0.1, lambd=0.5, t0=3, foreach=foreach)
                opt.load_state_dict(saved)
                for key, dtype in (("step", "float32"), ("eta", "float64"), ("mu", "float64")):
                    value = opt.state[p][key]
                    assert value.dtype == getattr(tinyoptim, dtype)
                    assert value.device == tinyoptim.device("strict")
            device = "cpu" if split is None or t < split else "strict"
            p.grad = tinyoptim.tensor(gradient(t), dtype="float64", device=device)
            opt.step()
        return p.tolist(), opt.state[p]["ax"].tolist()

    assert run(split=4) == run(split=None)


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = ASGD(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "ASGD does not support sparse gradients"
    assert not opt.state
