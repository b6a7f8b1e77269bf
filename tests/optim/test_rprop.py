"""Rprop: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §3.11)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import Rprop

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(etas=(1.2, 0.5)), ValueError, "Invalid eta values: 1.2, 0.5"),
    (dict(etas=(0.5, 1.0)), ValueError, "Invalid eta values: 0.5, 1.0"),
    (dict(etas=(0.0, 1.2)), ValueError, "Invalid eta values: 0.0, 1.2"),
    (dict(etas=(1, 2)), ValueError, "Invalid eta values: 1, 2"),
    (dict(lr=-1.0, etas=(2.0, 0.5)), ValueError, "Invalid learning rate: -1.0"),
]
ACCEPTED = [dict(step_sizes=(50, 1e-6)), dict(lr=0.0), dict(etas=(0.99, 1.01))]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        Rprop([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.Rprop([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    """step_sizes is not validated, not even its order."""
    Rprop([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        Rprop([param(2)], **{flag: True})


def test_defaults_in_torchs_order():
    keys = list(Rprop([param(2)]).defaults)
    assert keys == [
        "lr",
        "etas",
        "step_sizes",
        "foreach",
        "maximize",
        "differentiable",
        "capturable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.Rprop([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("foreach", [False, None])
def test_state_is_lazy_with_torchs_keys_and_dtypes(foreach, default, device):
    tinyoptim.set_default_dtype(default)
    p = tinyoptim.ones(3, dtype="float32", device=device, requires_grad=True)
    frozen = param(2, device=device)
    opt = Rprop([p, frozen], lr=0.1, foreach=foreach)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, dtype="float32", device=device)
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "prev", "step_size"]
    scalar = tinyoptim.float64 if default == "float64" else tinyoptim.float32
    assert state["step"].shape == () and state["step"].device == tinyoptim.device("cpu")
    assert state["step"].dtype == scalar and state["step"].item() == 1.0
    for key in ("prev", "step_size"):
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device
    # step_size starts at lr (in the parameter's dtype); the first factor is 1.
    assert state["step_size"].tolist() == [float(np.float32(0.1))] * 3
    assert state["prev"].tolist() == [0.5] * 3
    assert frozen not in opt.state


@pytest.mark.parametrize("foreach", [False, None])
def test_lr_changes_after_the_first_step_have_no_effect(foreach, device):
    def run(change):
        p = tinyoptim.tensor([1.0, -2.0, 3.0], dtype="float64", device=device)
        p.requires_grad_(True)
        opt = Rprop([p], lr=0.1, foreach=foreach)
        for t in range(1, 8):
            if change and t > 1:
                opt.param_groups[0]["lr"] = 10.0 * t
            g = [0.1 * t, -0.2, 0.3 * (-1) ** t]
            p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
            opt.step()
        return p.tolist()

    assert run(change=True) == run(change=False)


@pytest.mark.parametrize("foreach", [False, None])
def test_a_parameter_starting_late_takes_the_lr_of_its_first_step(foreach, device):
    """step_size is filled with the group's lr when the state is created, not with the lr
    the group had when its first parameter started."""
    a, b = param(2, device=device), param(3, device=device)
    opt = Rprop([a, b], lr=0.1, foreach=foreach)
    a.grad = tinyoptim.ones(2, device=device)
    opt.step()
    opt.param_groups[0]["lr"] = 0.25
    a.grad, b.grad = tinyoptim.ones(2, device=device), tinyoptim.ones(3, device=device)
    opt.step()
    assert opt.state[b]["step_size"].tolist() == [0.25] * 3
    assert opt.state[a]["step_size"].tolist() == [float(np.float32(0.1) * np.float32(1.2))] * 2
    assert b.tolist() == [0.75] * 3


@pytest.mark.parametrize("foreach", [False, None])
def test_a_sign_flip_shrinks_the_step_and_forgets_the_gradient(foreach, device):
    p = tinyoptim.zeros(3, dtype="float64", device=device, requires_grad=True)
    opt = Rprop([p], lr=0.1, etas=(0.5, 1.2), foreach=foreach)
    grads = [[1.0, 1.0, 0.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]]
    positions, sizes, prevs = [], [], []
    for g in grads:
        p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
        opt.step()
        positions.append(p.tolist())
        sizes.append(opt.state[p]["step_size"].tolist())
        prevs.append(opt.state[p]["prev"].tolist())
    # Element 0 flips at step 2: its step size halves, it does not move, prev becomes 0,
    # and at step 3 the factor is 1 (s = 0), so it moves by the halved size.
    assert sizes[1][0] == 0.05 and positions[1][0] == positions[0][0] == -0.1
    assert prevs[1] == [0.0, 1.0, 1.0]
    assert sizes[2][0] == 0.05 and positions[2][0] == pytest.approx(-0.05, rel=1e-15)
    # Element 1 keeps its sign: the step grows by eta_+ each time.
    assert sizes[2][1] == pytest.approx(0.1 * 1.2 * 1.2, rel=1e-15)
    # Element 2 had a zero gradient at step 1: it did not move, and its size stayed lr.
    assert positions[0][2] == 0.0 and sizes[1][2] == 0.1
    if torch is not None:
        q = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        ref = torch.optim.Rprop([q], lr=0.1, etas=(0.5, 1.2))
        for g in grads:
            q.grad = torch.tensor(g, dtype=torch.float64)
            ref.step()
        assert q.tolist() == positions[-1]
        assert ref.state[q]["step_size"].tolist() == sizes[-1]


@pytest.mark.parametrize("kernels", ["compiled", "numpy"])
@pytest.mark.parametrize("foreach", [False, None])
def test_nan_and_inf_gradients_move_as_torchs(foreach, kernels, device, monkeypatch):
    """torch's sign of NaN is 0: a NaN in g or in g_t g_{t-1} changes nothing; an infinite
    g whose sign flips is forgotten (0, not inf * 0 = NaN). Expected values from torch."""
    if kernels == "numpy":
        from tinyoptim.backends.numpy_backend import NumpyBackend

        monkeypatch.setattr(NumpyBackend, "kernel", lambda self, name: None)
    p = tinyoptim.ones(5, dtype="float64", device=device, requires_grad=True)
    opt = Rprop([p], foreach=foreach)
    inf, nan = float("inf"), float("nan")
    grads = ([nan, 1, inf, inf, -1], [1, nan, 1, -1, inf], [1, 1, 1, 1, 1])
    prevs = []
    for g in grads:
        p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
        opt.step()
        prevs.append(opt.state[p]["prev"].tolist())
    np.testing.assert_allclose(p.tolist(), [0.978, 0.98, 0.9636, 0.985, 1.005], rtol=1e-15)
    state = opt.state[p]
    np.testing.assert_allclose(state["step_size"].tolist(), [0.012, 0.01, 0.0144, 0.005, 0.005])
    np.testing.assert_array_equal(prevs[1], [1.0, nan, 1.0, 0.0, 0.0])
    assert prevs[2] == [1.0] * 5


@pytest.mark.parametrize("foreach", [False, None])
def test_inverted_step_sizes_clamp_to_the_maximum(foreach):
    p = tinyoptim.zeros(2, dtype="float64", requires_grad=True)
    opt = Rprop([p], lr=0.1, step_sizes=(0.5, 0.02), foreach=foreach)
    p.grad = tinyoptim.tensor([1.0, -1.0], dtype="float64")
    opt.step()
    assert opt.state[p]["step_size"].tolist() == [0.02, 0.02]
    assert p.tolist() == [-0.02, 0.02]


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = Rprop(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "Rprop does not support sparse gradients"
    assert not opt.state
