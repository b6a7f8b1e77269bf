"""Math methods of ``tensor_math.py``: binary pointwise (atan2, hypot, fmod, copysign,
logaddexp, xlogy, float_power), special functions (erfc, erfinv, lgamma, digamma, logit,
sinc, i0...), their in-place forms, and reductions (nansum, nanmean, count_nonzero,
aminmax, median, nanmedian, kthvalue, mode, logcumsumexp).

Values against SciPy/NumPy, gradients against finite differences (float64), and values,
dtypes, gradients and node names against torch 2.13 when it is importable.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sp

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

RNG = np.random.default_rng(1)
A = RNG.uniform(-2, 2, (3, 4))
B = RNG.uniform(-2, 2, (3, 4))
P = RNG.uniform(0.1, 3.0, (3, 4))
U = RNG.uniform(0.05, 0.95, (3, 4))  # inside (0, 1)

BINARY = [  # method, a, b, NumPy's value
    ("atan2", A, B, np.arctan2),
    ("hypot", A, B, np.hypot),
    ("fmod", 3 * A, B, np.fmod),
    ("copysign", A, B, np.copysign),
    ("logaddexp", A, B, np.logaddexp),
    ("xlogy", A, P, lambda a, b: a * np.log(b)),
    ("float_power", P, B, np.power),
]
UNARY = [  # method, input, SciPy's value
    ("erfc", A, sp.erfc),
    ("erfinv", 0.9 * U, sp.erfinv),
    ("lgamma", 3 * A + 0.01, sp.gammaln),
    ("digamma", 3 * A + 0.01, sp.digamma),
    ("logit", U, sp.logit),
    ("sinc", A, np.sinc),
    ("deg2rad", 90 * A, np.deg2rad),
    ("rad2deg", A, np.rad2deg),
    ("i0", 5 * A, sp.i0),
]


def f64(values, device, grad=True):
    return tinyoptim.tensor(values, dtype=tinyoptim.float64, device=device, requires_grad=grad)


@pytest.mark.parametrize("name, a, b, reference", BINARY, ids=[c[0] for c in BINARY])
def test_binary_values_and_gradients(device, name, a, b, reference):
    x, y = f64(a, device), f64(b[0], device)  # b broadcast over the rows
    np.testing.assert_allclose(getattr(x, name)(y).detach().numpy(), reference(a, b[0]))
    assert gradcheck(lambda p, q: getattr(p, name)(q), (x, y))
    if torch is not None:
        _against_torch(lambda t, s: getattr(t, name)(s), [a, b[0]], device)


@pytest.mark.parametrize("name, a, reference", UNARY, ids=[c[0] for c in UNARY])
def test_unary_values_and_gradients(device, name, a, reference):
    x = f64(a, device)
    np.testing.assert_allclose(getattr(x, name)().detach().numpy(), reference(a), rtol=1e-12)
    assert gradcheck(lambda p: getattr(p, name)(), (x,))
    if torch is not None:
        _against_torch(lambda t: getattr(t, name)(), [a], device)


def _against_torch(fn, arrays, device, dtype="float32"):
    """Values, gradients and node name in float32, as torch computes them."""
    ours = [tinyoptim.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    out, ref = fn(*ours), fn(*theirs)
    assert out.grad_fn.name() == ref.grad_fn.name()
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=2e-5, atol=1e-6)
    out.sum().backward()
    ref.sum().backward()
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), r.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_special_edges(device):
    x = tinyoptim.tensor(
        [0.0, -1.0, -2.5, math.inf, -math.inf, 40.0], dtype="float64", device=device
    )
    np.testing.assert_allclose(x.lgamma().numpy(), [math.inf, math.inf, -0.05624371649767405,
                               math.inf, math.inf, math.lgamma(40.0)], rtol=1e-13)  # fmt: skip
    np.testing.assert_array_equal(np.isnan(x.digamma().numpy()), [0, 1, 0, 0, 1, 0])
    assert x.digamma().numpy()[0] == -math.inf
    e = tinyoptim.tensor([-1.0, 1.0, 2.0, 0.0, 1 - 1e-12], dtype="float64", device=device)
    np.testing.assert_allclose(e.erfinv().numpy(), sp.erfinv(e.numpy()), rtol=1e-12)
    big = tinyoptim.tensor([-6.0, 3.5, 10.0, 26.0], dtype="float64", device=device)
    np.testing.assert_allclose(big.erfc().numpy(), sp.erfc(big.numpy()), rtol=1e-10)
    z = tinyoptim.tensor([0.0, 0.0, 1.0], dtype="float64", device=device)
    y = tinyoptim.tensor([0.0, math.nan, 0.0], dtype="float64", device=device)
    out = z.xlogy(y).numpy()
    assert out[0] == 0 and math.isnan(out[1]) and out[2] == -math.inf


def test_promotion_and_errors(device):
    i = tinyoptim.tensor([1, 2, 3], device=device)
    assert i.atan2(i).dtype == tinyoptim.float32
    assert i.fmod(2).dtype == tinyoptim.int64 and i.fmod(2).tolist() == [1, 0, 1]
    assert i.copysign(-1).dtype == tinyoptim.float32 and i.xlogy(2).dtype == tinyoptim.float32
    assert i.float_power(2).dtype == tinyoptim.float64 and i.erfc().dtype == tinyoptim.float32
    assert i.sgn().tolist() == [1, 1, 1] and i.signbit().tolist() == [False] * 3
    with pytest.raises(TypeError, match=r"atan2\(\): argument 'other' \(position 1\) must be"):
        i.atan2(2.0)
    with pytest.raises(NotImplementedError, match="\"hypot_cpu\" not implemented for 'Long'"):
        i.hypot(i)
    with pytest.raises(RuntimeError, match="nanmean"):
        i.nanmean()
    with pytest.raises(IndexError, match="kthvalue"):
        i.kthvalue(4)
    x = f64([-0.0, 1.0, -2.0], device, grad=False)
    assert x.signbit().tolist() == [True, False, True]
    x.fmod_(1.5)
    assert x.tolist() == [0.0, 1.0, -0.5]
    u = tinyoptim.tensor([0.5, 0.01], device=device)
    assert u.logit_(eps=0.1).tolist() == pytest.approx([0.0, math.log(0.1 / 0.9)], rel=1e-6)


def test_inplace_records(device):
    x = f64(A, device)
    y = x * 1
    y.erfc_().atan2_(f64(B, device, grad=False))
    assert y.grad_fn.name() == "Atan2Backward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _numeric(lambda a: np.arctan2(sp.erfc(a), B), A))


def _numeric(fn, a, eps=1e-6):
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        grad[i] = (fn(a + d).sum() - fn(a - d).sum()) / (2 * eps)
    return grad


W = np.array([[3.0, 1.0, math.nan, 2.0, 5.0], [4.0, 4.0, 1.0, 2.0, 1.0], [0.5, 2.0, 3.0, 1.0, 2.5]])
REDUCTIONS = [  # name, call, input (no ties among middle values where indices matter)
    ("nansum", lambda t: t.nansum(), W),
    ("nansum_dim", lambda t: t.nansum(1, keepdim=True), W),
    ("nanmean", lambda t: t.nanmean(0), W),
    ("aminmax_min", lambda t: t.aminmax(dim=1).min, A),
    ("aminmax_max", lambda t: t.aminmax().max, A),
    ("median", lambda t: t.median(), A),
    ("median_nan", lambda t: t.median(), W),
    ("median_dim", lambda t: t.median(1).values, W[[0, 2]]),
    ("nanmedian", lambda t: t.nanmedian(), W),
    ("nanmedian_dim", lambda t: t.nanmedian(1, keepdim=True).values, W[[0, 2]]),
    ("kthvalue", lambda t: t.kthvalue(2, 0).values, A),
    ("mode", lambda t: t.mode(1).values, W[1:2]),
    ("logcumsumexp", lambda t: t.logcumsumexp(1), np.concatenate([A, [[-800.0, 0, 1, 2]]])),
]


@pytest.mark.parametrize("name, fn, values", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions(device, name, fn, values):
    x = f64(values, device)
    out = fn(x)
    if not np.isnan(values).any() and name != "mode":  # a mode is a tie: flat numerically
        assert gradcheck(fn, (x,))
    if torch is not None:
        ref = fn(torch.tensor(values, requires_grad=True))
        assert out.grad_fn.name() == ref.grad_fn.name()
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
        _against_torch(fn, [values], device, dtype="float64")


def test_order_statistics_indices(device):
    x = tinyoptim.tensor(W, device=device)
    assert x.median(1).indices.tolist() == [2, 3, 1]  # a NaN slice: the first NaN
    assert x.nanmedian(1).indices.tolist() == [3, 3, 1]
    assert x.kthvalue(1, 1).indices.tolist() == [1, 2, 0]
    m = x.mode(1)
    assert m.values.tolist()[1:] == [1.0, 0.5] and m.indices.tolist()[1:] == [4, 0]
    assert tinyoptim.tensor([[1, 3, 3, 2, 2]], device=device).mode().indices.tolist() == [4]
    assert x.count_nonzero().item() == 15 and x.count_nonzero(1).tolist() == [5, 5, 5]
    assert math.isnan(x.median().item()) and x.nanmedian().item() == 2.0
    assert "return_types.median(\nvalues=" in repr(x.median(0))
    if torch is not None:
        t = torch.tensor(W)
        for name in ("median", "nanmedian"):
            ref = getattr(t, name)(1)
            ours = getattr(x, name)(1)
            assert ours.indices.tolist() == ref.indices.tolist()
            np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
        assert x.mode(1).indices.tolist() == t.mode(1).indices.tolist()
