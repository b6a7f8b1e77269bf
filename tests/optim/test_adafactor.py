"""Adafactor: validation, factored state, and its quirks (TORCH_OPTIM.md §4.3)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.sparse import SparseGrad
from tinyoptim.optim import Adafactor

ERRORS = [
    (dict(lr=-0.1), "Learning rate should be >= 0 but is: -0.1"),
    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1"),
    (dict(lr=-1.0, beta2_decay=1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(eps=(-1.0, -1.0), d=0.0), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(d=0.0, weight_decay=-1.0), "Clipping threshold d should be >= 1 but is: 0.0"),
]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, message", ERRORS, ids=[e[1] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, message):
    with pytest.raises(ValueError) as info:
        Adafactor([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(ValueError) as info:
            torch.optim.Adafactor([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


def test_accepted_edge_values():
    Adafactor([param(2)], lr=0.0, beta2_decay=0.0, eps=(0.0, 0.0), d=1.0, weight_decay=0.0)


def test_signature_and_defaults_in_torchs_order():
    assert str(inspect.signature(Adafactor)) == (
        "(params, lr=0.01, beta2_decay=-0.8, eps=(None, 0.001), d=1.0, weight_decay=0.0, *, "
        "foreach=None, maximize=False)"
    )
    opt = Adafactor([param(2)])
    assert opt.defaults["weight_decay"] == 0.0  # not the 1e-2 torch's docstring claims
    keys = list(opt.defaults)
    assert keys == ["lr", "beta2_decay", "eps", "d", "weight_decay", "foreach", "maximize"]
    if torch is not None:
        assert keys == list(torch.optim.Adafactor([torch.ones(2, requires_grad=True)]).defaults)


def test_sparse_gradients_are_refused_before_anything_moves(device):
    a, b = param(2, device=device), param(3, 2, device=device)
    opt = Adafactor([a, b])
    a.grad = tinyoptim.ones(2, device=device)
    b.grad = SparseGrad(
        tinyoptim.tensor([1], device=device).data,
        tinyoptim.ones(1, 2, device=device).data,
        (3, 2),
        tinyoptim.device(device),
    )
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "Adafactor does not support sparse gradients"
    assert len(opt.state) == 0 and a.detach().numpy().tolist() == [1.0, 1.0]


SHAPES = [(3, 4), (2, 3, 4), (5,), ()]


@pytest.mark.parametrize("foreach", [False, None, True])
def test_state_keys_shapes_and_dtypes_match_torch(foreach, device):
    tinyoptim.set_default_dtype("float32")
    params = [param(*s, device=device) for s in SHAPES]
    frozen = param(2, 2, device=device)
    opt = Adafactor(params + [frozen], foreach=foreach)
    for p in params:
        p.grad = tinyoptim.ones(*p.shape, device=device)
    opt.step()
    assert frozen not in opt.state  # no grad: no state (lazy)
    expected = {
        (3, 4): {"row_var": (3, 1), "col_var": (1, 4)},
        (2, 3, 4): {"row_var": (2, 3, 1), "col_var": (2, 1, 4)},
        (5,): {"variance": (5,)},
        (): {"variance": ()},
    }
    for p in params:
        state = opt.state[p]
        assert list(state) == ["step"] + list(expected[p.shape])
        step = state["step"]
        assert step.shape == () and step.dtype == tinyoptim.float32 and step.item() == 1.0
        assert step.device == tinyoptim.device("cpu")
        for key, shape in expected[p.shape].items():
            assert state[key].shape == shape and state[key].dtype == p.dtype
            assert state[key].device == p.device
    if torch is not None:
        t_params = [torch.ones(s, requires_grad=True) for s in SHAPES]
        t_opt = torch.optim.Adafactor(t_params)
        for p in t_params:
            p.grad = torch.ones(p.shape)
        t_opt.step()
        for p, t_p in zip(params, t_params):
            t_state = t_opt.state[t_p]
            assert list(opt.state[p]) == list(t_state)
            for key, value in t_state.items():
                assert tuple(value.shape) == opt.state[p][key].shape


@pytest.mark.parametrize("foreach", [False, None, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_matrices_and_mixed_dtypes_match_torch(dtype, foreach, device):
    """A 3-D parameter keeps per-matrix factors; with eps1 = None the group's first
    parameter's dtype picks the machine epsilon for all of them (torch's quirk)."""
    if torch is None:
        pytest.skip("needs torch 2.13")
    tinyoptim.set_default_dtype(dtype)
    other = "float32" if dtype == "float64" else "float64"
    rng = np.random.default_rng(7)
    specs = [((2, 3, 4), dtype), ((3, 1), other), ((4,), other)]
    values = [rng.standard_normal(s).astype(dt) * 1e-4 for s, dt in specs]
    ours = [tinyoptim.tensor(v, device=device, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    kwargs = dict(lr=0.1, weight_decay=0.1, eps=(None, 1e-6))
    opt = Adafactor(ours, foreach=foreach, **kwargs)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        t_opt = torch.optim.Adafactor(theirs, **kwargs)
        for _ in range(20):
            grads = [rng.standard_normal(s).astype(dt) * 1e-4 for s, dt in specs]
            for p, t_p, g in zip(ours, theirs, grads):
                p.grad, t_p.grad = tinyoptim.tensor(g, device=device), torch.tensor(g)
            opt.step()
            t_opt.step()
    finally:
        torch.set_default_dtype(previous)
    for p, t_p in zip(ours, theirs):
        tol = 1e-10 if p.dtype == tinyoptim.float64 else 1e-5
        got, want = p.detach().numpy(), t_p.detach().numpy()
        assert got.dtype == want.dtype
        assert (np.abs(got - want) <= tol * np.maximum(1e-4, np.abs(want))).all()
        for key, value in t_opt.state[t_p].items():
            mine = opt.state[p][key].numpy()
            want = value.numpy()
            assert (np.abs(mine - want) <= tol * np.maximum(1e-8, np.abs(want))).all(), key


def test_first_step_moves_by_alpha_in_the_gradients_direction():
    """At t = 1 the statistics are g^2 itself, so U = sign(g) for a vector, RMS(U) = 1 and
    the step is alpha = max(eps2, RMS(p)) * min(lr, 1) along -sign(g)."""
    p = tinyoptim.tensor([3.0, -4.0], dtype="float64", requires_grad=True)
    opt = Adafactor([p], lr=0.1)
    p.grad = tinyoptim.tensor([2.0, -0.5], dtype="float64")
    opt.step()
    alpha = (12.5**0.5) * 0.1
    np.testing.assert_allclose(p.detach().numpy(), [3.0 - alpha, -4.0 + alpha], rtol=1e-15)


def test_foreach_true_uses_no_parameter_sized_temporaries_between_steps():
    """The in-place path keeps its work arrays from step to step."""
    p = param(4, 5)
    opt = Adafactor([p], foreach=True)
    p.grad = tinyoptim.ones(4, 5)
    opt.step()
    arrays = [id(a) for a in next(iter(opt._scratch.values()))]
    opt.step()
    assert [id(a) for a in next(iter(opt._scratch.values()))] == arrays
