"""Ordering ops: sort, argsort, topk, cumsum, cumprod, prod, flip and roll.

Values are checked against NumPy, gradients against finite differences (float64) and the
exact products, so the checks hold without torch; where torch 2.13 is importable, values,
dtypes, indices, gradients and node names are compared with it live.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

NAN = math.nan
RNG = np.random.default_rng(7)
DISTINCT = RNG.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5  # no ties: one right order
TIES = [[3.0, 1.0, NAN, 1.0, 3.0, 2.0, NAN, 1.0], [0.0, -0.0, 2.0, 2.0, 2.0, NAN, 5.0, -1.0]]
ZEROS = [[1.5, 0.0, 2.0, -0.5], [0.0, 3.0, 0.0, 2.0], [2.0, -1.0, 0.5, 3.0]]  # 1, 2, 0 zeros


def f64(values, device, grad=True):
    return tinyoptim.tensor(values, dtype=tinyoptim.float64, device=device, requires_grad=grad)


def _parts(out):
    """(values, indices or None) of a tensor or of a (values, indices) pair."""
    return (out.values, out.indices) if isinstance(out, tuple) else (out, None)


def _run(lib, fn, values, dtype, device):
    """fn's values, indices, node name and input gradient under ``lib`` (an upstream of
    ``arange`` so that every position counts differently)."""
    grad = dtype in ("float64", "float32")
    kwargs = {"device": device} if lib is tinyoptim else {}
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=grad, **kwargs)
    out, indices = _parts(fn(x))
    result = [out.tolist(), str(out.dtype).split(".")[-1], None, None, None]
    result[2] = None if indices is None else (indices.tolist(), str(indices.dtype).split(".")[-1])
    if grad and out.requires_grad:
        upstream = lib.arange(out.numel(), dtype=out.dtype, **kwargs).reshape(out.shape) - 2
        out.backward(upstream)
        result[3], result[4] = x.grad.tolist(), out.grad_fn.name()
    return result


def match_torch(fn, values, device, dtype="float64", exact=True):
    """Compare ``fn`` on tinyoptim with torch (when importable): values, dtype, indices,
    gradient, node name. ``exact`` compares values bit for bit."""
    if torch is None:
        return
    ours = _run(tinyoptim, fn, values, dtype, device)
    theirs = _run(torch, fn, values, dtype, "cpu")
    assert ours[1] == theirs[1] and ours[2] == theirs[2] and ours[4] == theirs[4]
    check = np.testing.assert_array_equal if exact else np.testing.assert_allclose
    check(np.array(ours[0], dtype=float), np.array(theirs[0], dtype=float))
    if theirs[3] is not None:
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12, atol=1e-300)


# -- sort, argsort ------------------------------------------------------------------------


def test_sort_is_stable_with_nan_largest_both_ways(device):
    x = tinyoptim.tensor(TIES[0], device=device)
    ascending, descending = x.sort(), x.sort(descending=True)
    assert ascending.indices.tolist() == [1, 3, 7, 5, 0, 4, 2, 6]
    assert descending.indices.tolist() == [2, 6, 0, 4, 5, 1, 3, 7]  # ties keep index order
    assert np.array_equal(descending.values.tolist(), np.array(TIES[0])[[2, 6, 0, 4, 5, 1, 3, 7]],
                          equal_nan=True)  # fmt: skip
    assert x.argsort(descending=True, stable=True).tolist() == descending.indices.tolist()
    assert x.argsort(0).dtype == tinyoptim.int64 and not x.argsort().requires_grad
    assert type(ascending).__name__ == "sort" and ascending[0] is ascending.values


@pytest.mark.parametrize("dim", [0, 1, -1, -3])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradients(dim, descending, device):
    x = f64(DISTINCT, device)
    values, indices = x.sort(dim, descending)
    expected = np.sort(DISTINCT, axis=dim)
    expected = np.flip(expected, dim) if descending else expected
    assert values.tolist() == expected.tolist()
    assert (x.gather(dim, indices) - values).abs().max().item() == 0
    assert gradcheck(lambda t: t.sort(dim, descending)[0], (x,))
    match_torch(lambda t: t.sort(dim, descending), DISTINCT, device)
    match_torch(lambda t: t.sort(dim=dim, descending=descending, stable=True), DISTINCT, device)


@pytest.mark.parametrize("dim, descending", [(0, False), (0, True), (1, False), (-1, True)])
def test_sort_ties_and_nan_match_torch(dim, descending, device):
    match_torch(lambda t: t.sort(dim, descending=descending), TIES, device)
    match_torch(lambda t: t.argsort(dim, descending=descending), TIES, device)
    ints = abs(np.array(TIES)[:, [0, 1, 3, 4, 7]]).astype(int)
    for dtype in ("int64", "int32", "uint8", "bool"):
        match_torch(lambda t: t.sort(dim, descending=descending), ints.tolist(), device, dtype)


def test_sort_of_0d_empty_and_integer_tensors(device):
    scalar = f64(2.5, device)
    values, indices = scalar.sort()
    assert values.item() == 2.5 and indices.tolist() == 0 and indices.ndim == 0
    values.backward()
    assert scalar.grad.item() == 1.0
    empty = tinyoptim.zeros(0, 3, device=device).sort(0)
    assert empty.values.shape == (0, 3) and empty.indices.dtype == tinyoptim.int64
    ints = tinyoptim.tensor([3, 1, 2], dtype=tinyoptim.uint8, device=device).sort(descending=True)
    assert ints.values.dtype == tinyoptim.uint8 and ints.indices.tolist() == [0, 2, 1]
    flags = tinyoptim.tensor([True, False, True], device=device).sort()
    assert flags.values.tolist() == [False, True, True] and flags.indices.tolist() == [1, 0, 2]
    match_torch(lambda t: t.sort(-1), 2.5, device)


# -- topk -----------------------------------------------------------------------------------


@pytest.mark.parametrize("k, dim, largest", [(2, -1, True), (3, 1, False), (0, 0, True),
                                             (4, 2, False), (1, -3, True)])  # fmt: skip
def test_topk_values_indices_and_gradients(k, dim, largest, device):
    x = f64(DISTINCT, device)
    values, indices = x.topk(k, dim, largest)
    ordered = np.sort(DISTINCT, axis=dim)
    ordered = np.flip(ordered, dim) if largest else ordered
    assert values.tolist() == np.take(ordered, range(k), axis=dim).tolist()
    assert (x.gather(dim, indices) - values).abs().sum().item() == 0
    if k:
        assert gradcheck(lambda t: t.topk(k, dim, largest)[0], (x,))
    match_torch(lambda t: t.topk(k, dim, largest), DISTINCT, device)

    def unsorted(t):  # torch's order is its own: compare the same values, sorted
        return t.topk(k, dim, largest, sorted=False)[0].sort(dim, largest)[0]

    match_torch(unsorted, DISTINCT, device)


def test_topk_with_ties_nan_and_integers(device):
    x = tinyoptim.tensor(TIES, device=device)
    top = x.topk(3)
    assert np.isnan(top.values[:, 0].tolist()).tolist() == [True, True]
    assert top.indices[0].tolist() == [2, 6, 0]  # ties in index order (torch's may differ)
    assert top.values[1].tolist()[1:] == [5.0, 2.0]
    low = x.topk(8, largest=False)  # smallest first, NaN last
    np.testing.assert_array_equal(low.values.tolist(), np.sort(TIES, axis=1))
    if torch is not None:  # equal values may sit at other indices in torch: compare values
        theirs = torch.tensor(TIES).topk(3)
        np.testing.assert_array_equal(top.values.tolist(), theirs.values.tolist())
    counts = tinyoptim.tensor([[5, 3, 7], [0, 9, 1]], dtype=tinyoptim.int32, device=device)
    assert counts.topk(1).values.tolist() == [[7], [9]] and counts.topk(1).values.dtype.name == (
        "int32"
    )
    scalar = f64(4.0, device).topk(1)
    assert scalar.values.item() == 4.0 and scalar.indices.ndim == 0


# -- cumsum, cumprod ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative_values_and_gradients(name, dim, device):
    x = f64(ZEROS, device)
    reference = getattr(np, name)(np.array(ZEROS), axis=dim)
    np.testing.assert_allclose(getattr(x, name)(dim).tolist(), reference, rtol=1e-15)
    assert gradcheck(lambda t: getattr(t, name)(dim), (x,))
    match_torch(lambda t: getattr(t, name)(dim), ZEROS, device)
    match_torch(lambda t: getattr(t, name)(dim), DISTINCT.reshape(4, 6), device, "float32")


def cumprod_jacobian_vector(values, upstream):
    r"""dL/da_k = \sum_{i \ge k} g_i \prod_{j \le i, j \ne k} a_j, term by term (a test
    reference, looped over a short vector)."""
    n = len(values)
    return [sum(upstream[i] * math.prod(values[j] for j in range(i + 1) if j != k)
                for i in range(k, n)) for k in range(n)]  # fmt: skip


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 5.0],
                                    [1.5, -2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 2.0]])  # fmt: skip
def test_cumprod_gradient_with_zeros_is_exact(values, device):
    x = f64(values, device)
    upstream = [1.0, -2.0, 0.5, 3.0]
    x.cumprod(0).backward(tinyoptim.tensor(upstream, dtype=tinyoptim.float64, device=device))
    assert x.grad.tolist() == cumprod_jacobian_vector(values, upstream)
    match_torch(lambda t: t.cumprod(0), values, device)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.0, 0.0, NAN], [1.0, 0.0, 0.0]),  # past the second zero nothing is summed
        ([2.0, 0.0, 0.0, NAN], [1.0, 20.0, 0.0, 0.0]),
        ([2.0, 3.0, 0.0, NAN, 4.0], [31.0, 20.0, NAN, 0.0, 0.0]),
        ([2.0, math.inf, 0.0, -1.5], [math.inf, NAN, -math.inf, 0.0]),
    ],
)  # torch's gradients for these, with the upstream gradient [1, 10, 100, ...]
def test_cumprod_gradient_with_nan_and_inf_as_torch(values, expected, device):
    x = f64(values, device)
    upstream = [10.0**i for i in range(len(values))]
    x.cumprod(0).backward(tinyoptim.tensor(upstream, dtype=tinyoptim.float64, device=device))
    np.testing.assert_array_equal(x.grad.tolist(), expected)
    match_torch(lambda t: t.cumprod(0), values, device)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_cumulative_ops_of_integers_give_int64(dtype, device):
    values = [[1, 0, 1], [1, 1, 0]]
    x = tinyoptim.tensor(values, dtype=getattr(tinyoptim, dtype), device=device)
    assert x.cumsum(1).dtype == x.cumprod(0).dtype == x.prod().dtype == tinyoptim.int64
    assert x.cumsum(1).tolist() == np.cumsum(values, axis=1).tolist()
    for fn in (lambda t: t.cumsum(-1), lambda t: t.cumprod(0), lambda t: t.prod(1)):
        match_torch(fn, values, device, dtype)


def test_cumulative_ops_with_dtype_0d_and_empty(device):
    x = tinyoptim.tensor([1, 2, 3], device=device)
    assert x.cumsum(0, dtype=tinyoptim.float32).tolist() == [1.0, 3.0, 6.0]
    y = f64([1.0, 2.0, 3.0], device).float()
    assert y.cumprod(0, dtype=tinyoptim.float64).dtype == tinyoptim.float64
    assert y.cumsum(0, dtype=tinyoptim.float64).grad_fn.name() == "CumsumBackward0"
    scalar = f64(3.0, device)
    assert scalar.cumsum(0).item() == 3.0 and scalar.cumprod(-1).item() == 3.0
    assert gradcheck(lambda t: t.cumprod(0) * t.cumsum(-1), (scalar,))
    assert tinyoptim.zeros(0, 3, device=device).cumprod(0).shape == (0, 3)
    half = tinyoptim.tensor(RNG.standard_normal(300), dtype=tinyoptim.float16, device=device)
    np.testing.assert_allclose(  # accumulated in float32, as torch's CPU kernel
        half.cumsum(0).tolist(), np.cumsum(half.float().numpy()).astype(np.float16)
    )


# -- prod ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_values_and_gradients_with_zeros(dim, keepdim, device):
    x = f64(ZEROS, device)
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    reference = np.prod(np.array(ZEROS), axis=dim, keepdims=keepdim)
    np.testing.assert_allclose(x.prod(**kwargs).tolist(), reference, rtol=1e-15)
    assert gradcheck(lambda t: t.prod(**kwargs), (x,))
    match_torch(lambda t: t.prod(**kwargs), ZEROS, device)
    match_torch(lambda t: t.prod(**kwargs), DISTINCT[0], device, exact=False)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0], [0.0, 2.0, 0.0], [2.0, 4.0, -0.5]])
def test_prod_of_everything_with_no_one_or_two_zeros(values, device):
    x = f64(values, device)
    x.prod().backward()
    others = [math.prod(values[:k] + values[k + 1 :]) for k in range(len(values))]
    assert x.grad.tolist() == others
    match_torch(lambda t: t.prod(), values, device)


def test_prod_of_0d_empty_and_dtype(device):
    scalar = f64(3.0, device)
    assert scalar.prod(0, keepdim=True).item() == 3.0 and scalar.prod().ndim == 0
    assert scalar.prod(0).grad_fn.name() == "ProdBackward1"
    empty = tinyoptim.zeros(0, 3, device=device, requires_grad=True)
    assert empty.prod(0).tolist() == [1.0, 1.0, 1.0] and empty.prod().item() == 1.0
    empty.prod(0).sum().backward()
    assert empty.grad.shape == (0, 3)
    x = f64(ZEROS, device, grad=False).float()
    assert x.prod(1, dtype=tinyoptim.float64).dtype == tinyoptim.float64


# -- flip, roll -----------------------------------------------------------------------------


FLIPS = [((0,), (0,)), ((0, 2), (0, 2)), (([1, -1],), (1, 2)), ((-3, 1, 2), (0, 1, 2)), (([],), ())]


@pytest.mark.parametrize("args, axes", FLIPS)
def test_flip_values_copy_and_gradient(args, axes, device):
    x = f64(DISTINCT, device)
    out = x.flip(*args)
    assert out.tolist() == np.flip(DISTINCT, axes).tolist()
    out.detach()[...] = 0  # a copy, not a view of x
    assert x.tolist() == DISTINCT.tolist()
    assert gradcheck(lambda t: t.flip(*args), (x,))
    match_torch(lambda t: t.flip(*args), DISTINCT, device)
    assert f64(1.0, device).flip(0).item() == 1.0
    assert x.flip(dims=1).tolist() == np.flip(DISTINCT, 1).tolist()


ROLLS = [(1, None), (-5, None), (2, 0), ((1, -1), (0, 2)), ((2, 7), (1, 1)), ([3], [-1])]


@pytest.mark.parametrize("shifts, dims", ROLLS)
def test_roll_values_and_gradient(shifts, dims, device):
    x = f64(DISTINCT, device)
    expected = np.roll(DISTINCT, shifts, axis=dims)
    assert x.roll(shifts, dims).tolist() == expected.tolist()
    assert gradcheck(lambda t: t.roll(shifts, dims), (x,))
    match_torch(lambda t: t.roll(shifts, dims), DISTINCT, device)
    assert f64(2.0, device).roll(3).item() == 2.0
    assert tinyoptim.zeros(0, 3, device=device).roll(1, 1).shape == (0, 3)


# -- node names and bad arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda t: t.sort()[0], "SortBackward0"), (lambda t: t.topk(1)[0], "TopkBackward0"),
        (lambda t: t.sort(stable=False)[0], "SortBackward1"),
        (lambda t: t.cumsum(0), "CumsumBackward0"),
        (lambda t: t.cumprod(1), "CumprodBackward0"), (lambda t: t.prod(), "ProdBackward0"),
        (lambda t: t.prod(1), "ProdBackward1"), (lambda t: t.flip(0), "FlipBackward0"),
        (lambda t: t.roll(1), "RollBackward0"),
    ],
)  # fmt: skip
def test_nodes_are_named_as_torch(call, name, device):
    assert call(f64(ZEROS, device)).grad_fn.name() == name
    if torch is not None:
        assert call(torch.tensor(ZEROS, requires_grad=True)).grad_fn.name() == name


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda m: m.sort(2), IndexError, r"Dimension out of range \(expected to be in range of "
                                          r"\[-2, 1\], but got 2\)"),
        (lambda m: m.argsort(-3), IndexError, "Dimension out of range"),
        (lambda m: m.sort(None), TypeError, r"sort\(\) received an invalid combination"),
        (lambda m: m.topk(5), RuntimeError, "selected index k out of range"),
        (lambda m: m.topk(-1), RuntimeError, "selected index k out of range"),
        (lambda m: m.topk(1.0), TypeError, r"argument 'k' \(position 1\) must be int, not float"),
        (lambda m: (m > 0).topk(1), RuntimeError, "topk does not support bool dtypes"),
        (lambda m: m.cumsum(2), IndexError, "Dimension out of range"),
        (lambda m: m.cumprod(None), TypeError, r"argument 'dim' \(position 1\) must be int"),
        (lambda m: m[0, 0].cumsum(1), IndexError, r"range of \[-1, 0\], but got 1"),
        (lambda m: m.prod((0, 1)), TypeError, r"prod\(\) received an invalid combination"),
        (lambda m: m.prod(keepdim=True), TypeError, "received an invalid combination"),
        (lambda m: m.flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list"),
        (lambda m: m.flip(), TypeError, "missing 1 required positional arguments"),
        (lambda m: m.flip(0.5), TypeError, "must be tuple of ints, not float"),
        (lambda m: m.roll((1, 2), 0), RuntimeError,
         "shifts and dimensions must align. shifts: 2, dims:1"),
        (lambda m: m.roll((1, 2)), RuntimeError, "must align. shifts: 2, dims:0"),
        (lambda m: m.roll(()), RuntimeError, "`shifts` required"),
        (lambda m: m[0, 0].roll(1, 0), IndexError, "Dimension specified as 0 but tensor has no"),
        (lambda m: m.requires_grad_().cumsum(0, dtype=m.long().dtype), RuntimeError,
         "Autograd not support dtype: Long"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_torchs_errors(call, kind, message, device):
    with pytest.raises(kind, match=message):
        call(tinyoptim.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device))
    if torch is not None:
        with pytest.raises(kind, match=message.replace("tinyoptim", "torch")):
            call(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
