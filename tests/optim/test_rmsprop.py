"""RMSprop: torch's validation messages, state layout and quirks (TORCH_OPTIM.md §3.10)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.optim import RMSprop

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(momentum=-0.1), ValueError, "Invalid momentum value: -0.1"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (dict(alpha=-0.1), ValueError, "Invalid alpha value: -0.1"),
    (dict(lr=-1.0, eps=-1.0, alpha=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(eps=-1.0, momentum=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (dict(momentum=-1.0, weight_decay=-1.0), ValueError, "Invalid momentum value: -1.0"),
    (dict(weight_decay=-1.0, alpha=-1.0), ValueError, "Invalid weight_decay value: -1.0"),
]
ACCEPTED = [dict(alpha=1.5), dict(lr=0.0, eps=0.0), dict(momentum=1.5)]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        RMSprop([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.RMSprop([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


@pytest.mark.parametrize("kwargs", ACCEPTED, ids=str)
def test_accepted_values(kwargs):
    RMSprop([param(2)], **kwargs)


@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_unsupported_flags(flag):
    with pytest.raises(ValueError, match=f"tinyoptim does not support {flag}=True"):
        RMSprop([param(2)], **{flag: True})


def test_defaults_in_torchs_order():
    keys = list(RMSprop([param(2)]).defaults)
    assert keys == [
        "lr",
        "momentum",
        "alpha",
        "eps",
        "centered",
        "weight_decay",
        "capturable",
        "foreach",
        "maximize",
        "differentiable",
    ]
    if torch is not None:
        assert keys == list(torch.optim.RMSprop([torch.ones(2, requires_grad=True)]).defaults)


@pytest.mark.parametrize("foreach", [False, None])
@pytest.mark.parametrize(
    "kwargs, keys",
    [
        (dict(), ["step", "square_avg"]),
        (dict(momentum=0.9), ["step", "square_avg", "momentum_buffer"]),
        (dict(centered=True), ["step", "square_avg", "grad_avg"]),
        (dict(momentum=0.9, centered=True), ["step", "square_avg", "momentum_buffer", "grad_avg"]),
    ],
    ids=str,
)
def test_state_is_lazy_with_torchs_keys_and_dtypes(kwargs, keys, foreach, device):
    tinyoptim.set_default_dtype("float64")
    p, frozen = param(3, device=device), param(2, device=device)
    opt = RMSprop([p, frozen], foreach=foreach, **kwargs)
    assert not opt.state
    p.grad = tinyoptim.full((3,), 0.5, device=device)
    opt.step()
    state = opt.state[p]
    # The fast path's flat buffers are installed before the step counter, so only the
    # reference path keeps torch's key order; the keys themselves are the same.
    assert (list(state) if foreach is False else sorted(state)) == (
        keys if foreach is False else sorted(keys)
    )
    assert state["step"].shape == () and state["step"].device == tinyoptim.device("cpu")
    assert state["step"].dtype == tinyoptim.float64 and state["step"].item() == 1.0
    for key in keys[1:]:
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device
    assert frozen not in opt.state


@pytest.mark.parametrize("foreach", [False, None])
def test_momentum_buffer_starts_at_zero(foreach, device):
    p = param(2, device=device)
    opt = RMSprop([p], lr=0.1, alpha=0.5, momentum=0.9, eps=0.0, foreach=foreach)
    p.grad = tinyoptim.tensor([2.0, -4.0], device=device)
    opt.step()
    # v = 0.5 g^2, so the first buffer is 0.9 * 0 + g / sqrt(0.5 g^2) = sign(g) sqrt(2)
    buf = opt.state[p]["momentum_buffer"].numpy()
    np.testing.assert_allclose(buf, [2**0.5, -(2**0.5)], rtol=1e-6)
    np.testing.assert_allclose(p.detach().numpy(), 1 - 0.1 * buf, rtol=1e-6)


def test_sparse_gradients_are_refused():
    table = tinyoptim.nn.Embedding(4, 2, sparse=True)
    table(tinyoptim.tensor([1, 3])).sum().backward()
    opt = RMSprop(table.parameters())
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "RMSprop does not support sparse gradients"
    assert not opt.state


@pytest.mark.parametrize("foreach", [False, None])
@pytest.mark.parametrize("flag", [dict(momentum=0.9), dict(centered=True)], ids=str)
def test_switching_a_buffer_on_later_raises_keyerror_and_changes_nothing(flag, foreach):
    a, b = param(2), param(2)
    opt = RMSprop([{"params": [a]}, {"params": [b]}], foreach=foreach)
    a.grad, b.grad = tinyoptim.ones(2), tinyoptim.ones(2)
    opt.step()
    opt.param_groups[1].update(flag)
    before = [a.tolist(), b.tolist(), opt.state[a]["square_avg"].tolist()]
    with pytest.raises(KeyError):
        opt.step()
    assert before == [a.tolist(), b.tolist(), opt.state[a]["square_avg"].tolist()]
    assert opt.state[a]["step"].item() == 1.0


@pytest.mark.parametrize("foreach", [False, None])
def test_centered_momentum_spec_row(foreach, device):
    """TORCH_OPTIM.md §9, second RMSprop row. At element 2, g + wd * p = -0.3 + 0.1 * 3
    cancels to ~1e-17 on the first step; torch forms it with a fused multiply-add, NumPy
    cannot, and dividing by sqrt(v - g_avg^2) + eps ~ 1e-8 magnifies the difference to
    ~5e-10 relative. The other elements agree to 1e-13."""
    p = tinyoptim.tensor(
        [1.0, -2.0, 3.0, 0.5], dtype=tinyoptim.float64, device=device, requires_grad=True
    )
    opt = RMSprop(
        [p], lr=0.1, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1, foreach=foreach
    )
    for t in range(1, 6):
        grad = [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]
        p.grad = tinyoptim.tensor(grad, dtype=tinyoptim.float64, device=device)
        opt.step()
    expected = [-2.27599001556, 0.735526995614923, 1.66784504044986, -0.370142285601084]
    got = p.detach().numpy()
    np.testing.assert_allclose(got[[0, 3]], [expected[0], expected[3]], rtol=1e-10)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-13)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-9)


@pytest.mark.parametrize("foreach", [False, None])
def test_centered_float32_rounds_v_minus_g_avg_squared_once(foreach, device):
    """torch forms v - g_avg^2 with a fused multiply-add: in float32 a gradient of 1e30
    overflows v to inf, but not g_avg^2 (1e56, exact inside the FMA), so sqrt(inf) leaves
    the parameter as it was instead of turning it into NaN."""
    p = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = RMSprop([p], centered=True, momentum=0.5, foreach=foreach)
    p.grad = tinyoptim.tensor([1e30, 0.5], device=device)
    opt.step()
    assert p.tolist()[0] == 1.0
    assert opt.state[p]["square_avg"].tolist()[0] == float("inf")
    values = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    v, a = np.abs(values) + 1, values[::-1].copy() / 2
    wide = (v.astype(np.float64) - a.astype(np.float64) ** 2).astype(np.float32)
    from tinyoptim.optim._ops import minus_square

    np.testing.assert_array_equal(minus_square(v, a, np), wide)  # one rounding, as torch's
