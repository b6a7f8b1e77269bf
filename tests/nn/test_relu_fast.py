"""ReLU's compiled kernels (the ``[fast]`` extra) against its NumPy code and torch's rules.

Arrays above the size at which the kernels take over, with the values where the rules
matter: NaN (passes forward, and passes its gradient back), -0.0 (torch keeps its sign),
zero outputs (no gradient, even an infinite one) and infinities.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.ops import activation

pytest.importorskip("numba")

SIZE = activation.COMPILED_ELEMENTS * 4 + 3


def _input(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SIZE).astype(dtype)
    x[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, -1.0]
    return x


def _grad(dtype):
    g = np.random.default_rng(1).standard_normal(SIZE).astype(dtype)
    g[:6] = [2.0, 3.0, np.inf, 5.0, np.nan, 7.0]
    return g


def _ours(x, g, compiled):
    if not compiled:
        activation.COMPILED_ELEMENTS, saved = SIZE + 1, activation.COMPILED_ELEMENTS
    try:
        t = tinyoptim.tensor(x, requires_grad=True, device="cpu")
        y = tinyoptim.nn.functional.relu(t)
        y.backward(tinyoptim.tensor(g, device="cpu"))
    finally:
        if not compiled:
            activation.COMPILED_ELEMENTS = saved
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_relu_follows_torchs_rules(dtype):
    x, g = _input(dtype), _grad(dtype)
    y, dx = _ours(x, g, compiled=True)
    assert y.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(y, np.where(x < 0, 0, x))
    assert np.signbit(y[1])  # relu(-0.0) is -0.0, as torch's
    np.testing.assert_array_equal(dx, np.where(y <= 0, 0, g))  # NaN passes, inf at 0 does not
    assert dx[0] == 2.0 and dx[2] == 0.0
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
        ty = torch.relu(tx)
        ty.backward(torch.tensor(g))
        np.testing.assert_array_equal(y, ty.detach().numpy())
        np.testing.assert_array_equal(np.signbit(y), np.signbit(ty.detach().numpy()))
        np.testing.assert_array_equal(dx, tx.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_relu_equals_the_numpy_code_on_finite_gradients(dtype):
    x = _input(dtype)
    g = np.random.default_rng(2).standard_normal(SIZE).astype(dtype)
    y_fast, dx_fast = _ours(x, g, compiled=True)
    y_ref, dx_ref = _ours(x, g, compiled=False)
    np.testing.assert_array_equal(y_fast, y_ref)
    np.testing.assert_array_equal(dx_fast, dx_ref)


def test_a_strided_input_takes_the_numpy_code():
    x = _input(np.float32)
    base = tinyoptim.tensor(x, requires_grad=True, device="cpu")
    view = base[::2]
    assert not view.data.flags.c_contiguous
    y = tinyoptim.nn.functional.relu(view)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(x[::2], 0))
    expected = np.zeros_like(x)
    expected[::2] = ~(np.maximum(x[::2], 0) <= 0)
    np.testing.assert_array_equal(base.grad.numpy(), expected)
