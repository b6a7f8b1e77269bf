"""max_pool2d and avg_pool2d over kernel taps, against torch 2.13 (live) and finite differences.

Max pooling must send the gradient where torch does: to the first maximum among ties
(inputs drawn from a few integers, so windows tie often), to the last NaN of a window, and
to a real cell, never the padding, when a window holds only -inf. The geometries cover
windows that do not overlap (the input copied in and the gradient copied back), sizes they
do not divide, ceil_mode, padding, overlap, dilation and a kernel of more than 127 taps.
With numba installed, max pooling's backward on the cpu device is a compiled kernel, and
the strict device runs the NumPy code; both are held to torch, and to each other.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tinyoptim
from tests.parity import Lib, assert_close, make_cases, run_case
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck
from tinyoptim.backends.numpy_backend import NumpyBackend


def _max(*args, **options):
    return lambda lib, x: lib.F.max_pool2d(x, *args, **options)


def _avg(*args, **options):
    return lambda lib, x: lib.F.avg_pool2d(x, *args, **options)


def _ties(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 3, shape).astype(np.float64)


def _with_nans():
    x = _ties((2, 2, 6, 6), seed=1)
    x[0, 0, 0, :2] = np.nan  # two NaNs in one window: torch picks the last
    x[0, 1, 2:4, 3] = np.nan
    x[1, 0, 5, 5] = np.nan  # a NaN in the row a 2x2 pool of size 5 would drop
    return x


def _with_neg_inf():
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 6))
    x[0, 0, :2, :2] = -np.inf  # a corner window of real cells that are all -inf
    x[0, 1] = -np.inf
    return x


MAX_CASES = make_cases(
    [
        ("ties_2x2", _max(2), [_ties((2, 3, 6, 8))]),
        ("ties_odd_size", _max(2), [_ties((2, 2, 7, 9), seed=3)]),
        ("ties_overlap", _max(3, stride=1), [_ties((1, 2, 6, 7), seed=4)]),
        ("ties_padded", _max(3, stride=2, padding=1), [_ties((2, 2, 7, 6), seed=5)]),
        ("ties_same", _max(3, stride=1, padding=1), [_ties((1, 2, 5, 6), seed=6)]),
        ("odd_size", _max(2), [(1, 2, 7, 9)]),
        ("ceil_mode", _max(2, ceil_mode=True), [(1, 2, 7, 9)]),
        ("ceil_mode_padded", _max(3, stride=2, padding=1, ceil_mode=True), [(1, 1, 8, 6)]),
        ("dilated", _max(2, stride=1, dilation=2), [(1, 2, 6, 7)]),
        ("dilated_rect", _max(3, stride=(1, 2), padding=1, dilation=(2, 1)), [(1, 2, 7, 8)]),
        ("rect", _max((3, 2), stride=(2, 3), padding=(1, 0)), [(2, 1, 7, 8)]),
        ("nan", _max(2), [_with_nans()]),
        ("nan_overlap", _max(3, stride=1, padding=1), [_with_nans()]),
        ("many_taps", _max(12), [_ties((1, 2, 12, 13), seed=7)]),
        ("unbatched", _max(2), [(3, 6, 5)]),
    ]
)

AVG_CASES = make_cases(
    [
        ("avg_odd_size", _avg(2), [(2, 3, 7, 9)]),
        ("avg_overlap_padded", _avg(3, stride=1, padding=1), [(1, 2, 6, 5)]),
        (
            "avg_exclude_pad_ceil",
            _avg(3, 2, 1, ceil_mode=True, count_include_pad=False),
            [(1, 2, 8, 7)],
        ),
        ("avg_divisor_override", _avg(2, stride=1, divisor_override=3), [(1, 2, 5, 6)]),
        ("avg_rect", _avg((2, 3), stride=(1, 2), padding=1), [(2, 1, 6, 7)]),
    ]
)


@pytest.mark.parametrize("case", MAX_CASES + AVG_CASES, ids=repr)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN inputs
def test_matches_torch(case, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    ours = run_case(Lib(tinyoptim, device), case)
    assert_close(ours, run_case(Lib(torch), case))


@pytest.mark.parametrize("case", MAX_CASES, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN inputs
def test_compiled_backward_equals_numpy(case, dtype, monkeypatch):
    pytest.importorskip("numba")
    assert NumpyBackend().op_kernels() is not None
    case = dataclasses.replace(case, inputs=[a.astype(dtype) for a in case.inputs])
    compiled = run_case(Lib(tinyoptim, "cpu"), case)
    monkeypatch.setattr(NumpyBackend, "op_kernels", lambda self: None)
    reference = run_case(Lib(tinyoptim, "cpu"), case)
    assert compiled["grad0"].dtype == dtype
    # Overlapping windows may add a cell's shares in another order: an ulp apart.
    assert_close(compiled, reference, tol=1e-12 if dtype == np.float64 else 1e-6)


NEG_INF_CASES = make_cases(
    [
        ("neg_inf_padded", _max(3, stride=2, padding=1), [_with_neg_inf()]),
        ("neg_inf_same", _max(3, stride=1, padding=1), [_with_neg_inf()]),
    ]
)


@pytest.mark.parametrize("case", NEG_INF_CASES, ids=repr)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # -inf times the upstream gradient
def test_window_of_only_neg_inf_routes_to_a_real_cell(case, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    ours = run_case(Lib(tinyoptim, device), case)
    theirs = run_case(Lib(torch), case)
    np.testing.assert_array_equal(ours.pop("out"), theirs.pop("out"))  # -inf equals -inf
    assert_close(ours, theirs)


GRADCHECKS = {
    "max_2x2_odd": _max(2),
    "max_overlap_padded": _max(3, stride=1, padding=1),
    "max_ceil_padded": _max(3, stride=2, padding=1, ceil_mode=True),
    "max_dilated": _max(2, stride=1, dilation=2),
    "avg_2x2_odd": _avg(2),
    "avg_overlap_padded": _avg(3, stride=1, padding=1),
    "avg_exclude_pad_ceil": _avg(3, 2, 1, ceil_mode=True, count_include_pad=False),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name, device):
    # distinct values spaced far beyond the finite-difference step: no ties to break
    values = np.random.default_rng(8).permutation(2 * 7 * 9) * 0.1
    x = tinyoptim.tensor(values.reshape(1, 2, 7, 9), device=device, requires_grad=True)
    fn = GRADCHECKS[name]
    assert gradcheck(lambda x: fn(Lib(tinyoptim, device), x), [x])


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_float32_stays_float32(pool, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3, 9, 10)).astype(np.float32)
    upstream = rng.standard_normal((4, 3, 4, 5)).astype(np.float32)
    results = []
    for lib, kwargs in ((tinyoptim, {"device": device}), (torch, {})):
        t = lib.tensor(x, requires_grad=True, **kwargs)
        fn = lib.nn.functional.max_pool2d if pool == "max" else lib.nn.functional.avg_pool2d
        out = fn(t, 2)
        (out * lib.tensor(upstream, **kwargs)).sum().backward()
        results.append([a.detach().cpu().numpy() for a in (out, t.grad)])
    for ours, theirs in zip(*results):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
