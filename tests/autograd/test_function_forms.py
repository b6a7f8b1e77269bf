"""torch's function forms of tensor methods (``tinyoptim.exp(x)`` is ``x.exp()``), its dtype
aliases, and ``isclose``/``allclose``/``equal``/``*_like``, against torch when importable."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.function_forms import METHODS

X = np.array([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]])

CALLS = [  # name, extra arguments; each is called as a function and as a method
    ("exp", (), {}), ("sum", (), {"dim": 1}), ("mean", (0,), {"keepdim": True}),
    ("max", (), {}), ("amax", (1,), {}), ("argmax", (), {"dim": 1}),
    ("clamp", (), {"min": 0.0}), ("softmax", (1,), {}), ("transpose", (0, 1), {}),
    ("reshape", ((3, 2),), {}), ("flatten", (), {}), ("unsqueeze", (0,), {}),
    ("abs", (), {}), ("sigmoid", (), {}), ("relu", (), {}), ("std", (), {"dim": 0}),
    ("logsumexp", (1,), {}), ("norm", (), {}), ("lerp", (0.0, 0.25), {}),
    ("add", (1.0,), {"alpha": 2}), ("div", (2.0,), {"rounding_mode": "floor"}),
]  # fmt: skip


def _values(t):
    if isinstance(t, tuple):
        return [_values(v) for v in t]
    return np.asarray(t.tolist()) if hasattr(t, "tolist") else t


@pytest.mark.parametrize("name, args, kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_function_form_is_the_method(name, args, kwargs, device):
    x = tinyoptim.tensor(X, dtype=tinyoptim.float64, device=device, requires_grad=True)
    ours = tuple(tinyoptim.full_like(x, a) if name == "lerp" and i == 0 else a
                 for i, a in enumerate(args))  # fmt: skip
    by_function = getattr(tinyoptim, name)(x, *ours, **kwargs)
    by_method = getattr(x, name)(*ours, **kwargs)
    np.testing.assert_array_equal(_values(by_function), _values(by_method))
    if torch is not None:
        tx = torch.tensor(X, dtype=torch.float64)
        targs = tuple(torch.full_like(tx, a) if name == "lerp" and i == 0 else a
                      for i, a in enumerate(args))  # fmt: skip
        theirs = getattr(torch, name)(tx, *targs, **kwargs)
        np.testing.assert_allclose(_values(by_function), _values(theirs), rtol=1e-12)


def test_every_function_form_is_a_torch_function_and_a_tensor_method():
    for name in METHODS:
        assert callable(getattr(tinyoptim, name)), name
        assert hasattr(tinyoptim.Tensor, name), name
        if torch is not None:
            assert callable(getattr(torch, name)), name


def test_function_forms_carry_gradients(device):
    x = tinyoptim.tensor(X, dtype=tinyoptim.float64, device=device, requires_grad=True)
    tinyoptim.sum(tinyoptim.exp(x) * tinyoptim.sigmoid(x)).backward()
    s = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(x.grad.numpy(), np.exp(X) * s + np.exp(X) * s * (1 - s))


def test_a_number_is_refused_where_torch_wants_a_tensor():
    with pytest.raises(TypeError, match=r"exp\(\): argument 'input' \(position 1\) must be "
                       "Tensor, not float"):  # fmt: skip
        tinyoptim.exp(1.0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        tinyoptim.sum([1, 2])


def test_pow_takes_a_number_base(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], device=device)
    assert tinyoptim.pow(2, x).tolist() == [2.0, 4.0, 8.0]
    assert tinyoptim.pow(x, 2).tolist() == [1.0, 4.0, 9.0]


def test_dtype_aliases_are_torchs():
    assert tinyoptim.long is tinyoptim.int64 and tinyoptim.int is tinyoptim.int32
    assert tinyoptim.float is tinyoptim.float32 and tinyoptim.double is tinyoptim.float64
    assert tinyoptim.half is tinyoptim.float16
    assert tinyoptim.zeros(2, dtype=tinyoptim.long).dtype == tinyoptim.int64


def test_isclose_follows_torchs_rules(device):
    inf, nan = math.inf, math.nan
    a = tinyoptim.tensor([1.0, inf, -inf, nan, 1.0, 1e-9, 100.0], device=device)
    b = tinyoptim.tensor([1.0 + 1e-7, inf, inf, nan, 1.1, 0.0, 100.001], device=device)
    assert tinyoptim.isclose(a, b).tolist() == [True, True, False, False, False, True, True]
    assert tinyoptim.isclose(a, b, equal_nan=True).tolist()[3] is True
    assert tinyoptim.isclose(a, b, rtol=0, atol=0).tolist() == [
        False, True, False, False, False, False, False
    ]  # fmt: skip
    ints = tinyoptim.tensor([1, 2], device=device)
    assert tinyoptim.isclose(ints, tinyoptim.tensor([1, 3], device=device)).tolist() == [
        True, False
    ]  # fmt: skip
    if torch is not None:
        ta, tb = torch.tensor(a.tolist()), torch.tensor(b.tolist())
        assert torch.isclose(ta, tb).tolist() == tinyoptim.isclose(a, b).tolist()


def test_allclose_and_equal(device):
    a = tinyoptim.zeros(2, 3, device=device)
    assert tinyoptim.allclose(a, tinyoptim.zeros(3, device=device))  # broadcasts
    assert not tinyoptim.allclose(a, tinyoptim.ones(3, device=device))
    assert tinyoptim.allclose(
        tinyoptim.tensor([math.nan], device=device),
        tinyoptim.tensor([math.nan], device=device),
        equal_nan=True,
    )
    assert tinyoptim.equal(a, tinyoptim.zeros(2, 3, device=device))
    assert not tinyoptim.equal(a, tinyoptim.zeros(3, device=device))  # sizes differ
    assert tinyoptim.equal(
        tinyoptim.tensor([1, 2], device=device), tinyoptim.tensor([1.0, 2.0], device=device)
    )


def test_isclose_errors_are_torchs(device):
    a = tinyoptim.zeros(2, device=device)
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        tinyoptim.allclose(a, tinyoptim.zeros(2, dtype=tinyoptim.float64, device=device))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but got"):
        tinyoptim.isclose(a, a, rtol=-1)
    with pytest.raises(TypeError, match=r"isclose\(\): argument 'other' \(position 2\)"):
        tinyoptim.isclose(a, 1.0)


def test_like_factories(device):
    x = tinyoptim.zeros(2, 3, dtype=tinyoptim.float64, device=device)
    for fn in (tinyoptim.rand_like, tinyoptim.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == tinyoptim.float64 and y.device == x.device
        assert fn(x, dtype=tinyoptim.float32).dtype == tinyoptim.float32
        assert fn(x, requires_grad=True).requires_grad
    assert tinyoptim.is_tensor(x) and not tinyoptim.is_tensor(np.zeros(2))
    assert tinyoptim.numel(x) == 6


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes(mode, device):
    a = tinyoptim.tensor([7, -7, 7, -7], device=device)
    b = tinyoptim.tensor([2, 2, -2, -2], device=device)
    expected = {"trunc": [3, -3, -3, 3], "floor": [3, -4, -4, 3]}[mode]
    result = a.div(b, rounding_mode=mode)
    assert result.tolist() == expected and result.dtype == tinyoptim.int64
    floats = tinyoptim.tensor([7.0, -7.5], device=device).div(2.0, rounding_mode=mode)
    assert floats.tolist() == {"trunc": [3.0, -3.0], "floor": [3.0, -4.0]}[mode]
    by_minus_two = {"trunc": [-3, 3, -3, 3], "floor": [-4, 3, -4, 3]}[mode]
    assert a.div(-2, rounding_mode=mode).tolist() == by_minus_two
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None"):
        a.div(b, rounding_mode="nearest")
