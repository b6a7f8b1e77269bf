"""Gradients at the points where a formula divides by zero: torch's conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim


def test_std_has_zero_gradient_where_it_is_zero(device):
    x = tinyoptim.tensor([1.0, 1.0], requires_grad=True, device=device)
    y = x.std()
    y.backward()
    assert y.item() == 0.0 and x.grad.tolist() == [0.0, 0.0]
    assert y.grad_fn.name() == "StdBackward0"


def test_std_gradient_elsewhere(device):
    values = np.random.default_rng(0).standard_normal((3, 4))
    x = tinyoptim.tensor(values, requires_grad=True, device=device)
    x.std(dim=1).sum().backward()
    centered = values - values.mean(axis=1, keepdims=True)
    expected = centered / (3 * values.std(axis=1, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-12)


def test_pow_gradients_at_a_zero_base(device):
    a = tinyoptim.tensor([0.0, 0.0, 2.0, 0.0], requires_grad=True, device=device)
    b = tinyoptim.tensor([0.0, -1.0, 1.5, 2.0], requires_grad=True, device=device)
    with np.errstate(divide="ignore", invalid="ignore"):
        (a**b).sum().backward()
    assert a.grad.tolist()[0] == 0.0 and a.grad.tolist()[1] == -math.inf
    assert b.grad.tolist()[:2] == [0.0, -math.inf] and b.grad.tolist()[3] == 0.0
    assert b.grad.dtype == tinyoptim.float32
    exponent = tinyoptim.tensor([0.0, -1.0], requires_grad=True, device=device)
    with np.errstate(divide="ignore"):
        (0.0**exponent).sum().backward()
    assert exponent.grad.tolist() == [0.0, -math.inf]


@pytest.mark.parametrize("base", [2.0, -1.5])
def test_pow_gradient_of_a_number_base(base, device):
    exponent = tinyoptim.tensor([1.0, 2.0], requires_grad=True, device=device)
    with np.errstate(invalid="ignore"):
        (base**exponent).sum().backward()
    if base > 0:
        np.testing.assert_allclose(exponent.grad.tolist(), [2 * math.log(2), 4 * math.log(2)])
    else:
        assert all(math.isnan(v) for v in exponent.grad.tolist())


def test_requires_grad_on_a_non_leaf(device):
    y = tinyoptim.ones(2, requires_grad=True, device=device) * 2
    assert y.requires_grad_(True) is y  # already so: nothing to change
    with pytest.raises(RuntimeError, match="leaf variables. If you want to use a computed"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match=r"^you can only change requires_grad flags of leaf"):
        y.requires_grad = True


def test_sum_and_mean_cast_first_with_dtype(device):
    x = tinyoptim.tensor([1, 2, 4], device=device)
    assert x.sum(dtype=tinyoptim.float64).dtype == tinyoptim.float64
    assert x.mean(dtype=tinyoptim.float32).item() == pytest.approx(7 / 3)


def test_a_nan_gradient_goes_only_where_the_selection_sends_it(device):
    """maximum, minimum, clamp and max select their gradient (torch's where), so a NaN
    arriving from above stays out of the positions that get zero."""
    nan = float("nan")

    def leaf(values):
        return tinyoptim.tensor(values, dtype=tinyoptim.float64, device=device).requires_grad_()

    def upstream(values):
        return tinyoptim.tensor(values, dtype=tinyoptim.float64, device=device)

    a, b = leaf([1.0, -2.0, 3.0]), leaf([2.0, -3.0, 1.0])
    tinyoptim.maximum(a, b).backward(upstream([nan, 1.0, 1.0]))
    assert a.grad.tolist()[1:] == [1.0, 1.0] and a.grad.tolist()[0] == 0.0
    assert math.isnan(b.grad.tolist()[0]) and b.grad.tolist()[1:] == [0.0, 0.0]
    c = leaf([1.0, -2.0, 3.0])
    c.clamp(-1, 2).backward(upstream([1.0, nan, nan]))
    assert c.grad.tolist() == [1.0, 0.0, 0.0]
    d = leaf([1.0, -2.0, 3.0])
    d.max().backward(upstream(nan))
    assert d.grad.tolist()[:2] == [0.0, 0.0] and math.isnan(d.grad.tolist()[2])


def test_tensor_clamp_bounds_get_torchs_gradients(device):
    def leaf(values):
        return tinyoptim.tensor(values, device=device, requires_grad=True)

    x, low, high = leaf([1.0, 2.0, 3.0, 0.0]), leaf([0.5, 0.5, 0.5, 2.0]), leaf([2.0] * 3 + [1.0])
    y = x.clamp(low, high)
    y.backward(tinyoptim.tensor([1.0, 10.0, 100.0, 1000.0], device=device))
    assert y.tolist() == [1.0, 2.0, 2.0, 1.0] and y.grad_fn.name() == "ClampBackward0"
    assert x.grad.tolist() == [1.0, 10.0, 0.0, 0.0]  # a bound equal to x leaves it to x
    assert low.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert high.grad.tolist() == [0.0, 0.0, 100.0, 1000.0]  # low > high: the result is high
    below = leaf([0.5])
    x.clamp(min=below).sum().backward()
    assert below.grad.tolist() == [1.0]  # broadcast, summed back


def test_inf_and_nan_compute_silently_as_in_torch(device):
    """log(0), x/0, overflow and means over nothing give inf or NaN without NumPy's
    RuntimeWarnings, forwards and backwards: torch warns of none of them."""
    import warnings

    from tinyoptim.nn import functional as F

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tinyoptim.tensor([0.0, 1.0, -1.0], requires_grad=True, device=device)
        y = x.log() + x / 0 + x.sqrt() + (x * 1000).exp() + x.reciprocal() + x.log1p()
        y.sum().backward()
        empty = tinyoptim.zeros(0, device=device)
        values = [F.mse_loss(empty, empty), empty.mean(), tinyoptim.ones(1, device=device).var()]
        values.append(F.cross_entropy(tinyoptim.zeros(0, 3, device=device), empty.long()))
    assert all(math.isnan(v.item()) for v in values)
