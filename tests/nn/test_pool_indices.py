"""max_pool2d's ``return_indices`` and max_unpool2d, against torch 2.13 (live) and values
recorded from it.

The indices are torch's row-major positions in each input (H, W) plane: the first maximum
among ties, the last NaN, the first real cell of a window of -inf, and, for a window wholly
on the padding, the corner torch starts from (which can lie past the plane).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim import nn
from tinyoptim.autograd import gradcheck
from tinyoptim.nn import functional as F

TIES = [[[[1.0, 1, 2], [2, 0, 2], [1, 2, 2]]]]


def _ties(shape, seed):
    return np.random.default_rng(seed).integers(0, 3, shape).astype(np.float64)


def _special():
    x = _ties((2, 2, 6, 6), seed=1)
    x[0, 0, 0, :2] = np.nan  # two NaNs in one window: torch picks the last
    x[1, 1, :3, :3] = -np.inf  # windows of real cells that are all -inf
    return x


GEOMETRIES = [
    ("2x2", dict(kernel_size=2), _ties((2, 3, 6, 8), 0)),
    ("odd_size_ceil", dict(kernel_size=2, ceil_mode=True), _ties((1, 2, 7, 9), 2)),
    ("overlap_padded", dict(kernel_size=3, stride=1, padding=1), _ties((1, 2, 5, 6), 3)),
    ("strided_padded", dict(kernel_size=3, stride=2, padding=1), _ties((2, 1, 7, 6), 4)),
    ("dilated_rect", dict(kernel_size=3, stride=(1, 2), padding=1, dilation=(2, 1)), None),
    ("rect", dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0)), None),
    ("nan_and_neg_inf", dict(kernel_size=3, stride=1, padding=1), _special()),
    ("unbatched", dict(kernel_size=2), _ties((3, 6, 5), 5)),
]


def _input(x):
    return np.random.default_rng(9).standard_normal((1, 2, 7, 8)) if x is None else x


def _run(lib, x, options, **device):
    t = lib.tensor(x, requires_grad=True, **device)
    values, indices = lib.nn.functional.max_pool2d(t, return_indices=True, **options)
    upstream = np.random.default_rng(7).standard_normal(tuple(values.shape))
    (values * lib.tensor(upstream, **device)).sum().backward()
    return [a.detach().cpu().numpy() for a in (values, indices, t.grad)], indices.dtype


@pytest.mark.parametrize("name, options, x", GEOMETRIES, ids=[g[0] for g in GEOMETRIES])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN and -inf inputs
def test_values_indices_and_gradient_match_torch(name, options, x, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    x = _input(x)
    ours, dtype = _run(tinyoptim, x, options, device=device)
    theirs, _ = _run(torch, x, options)
    assert dtype == tinyoptim.int64
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=0)


def test_ties_pick_the_first_maximum_as_torch_does(device):
    x = tinyoptim.tensor(TIES, requires_grad=True, device=device)
    values, indices = F.max_pool2d(x, 2, stride=1, return_indices=True)
    assert values.tolist() == [[[[2.0, 2.0], [2.0, 2.0]]]]
    assert indices.tolist() == [[[[3, 2], [3, 5]]]]  # recorded from torch 2.13
    assert indices.dtype == tinyoptim.int64 and not indices.requires_grad
    assert values.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    values.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 0.0, 1.0], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]]


def test_a_window_wholly_on_the_padding_points_past_the_plane(device):
    x = tinyoptim.ones(1, 1, 1, 6, dtype="float64", device=device)
    values, indices = F.max_pool2d_with_indices(x, 2, padding=(1, 0), dilation=(2, 1))
    assert values.tolist() == [[[[-float("inf")] * 3]]]
    assert indices.tolist() == [[[[6, 8, 10]]]]  # recorded from torch 2.13
    if torch is not None:  # torch's backward would write past the plane: forward only
        t = torch.ones(1, 1, 1, 6, dtype=torch.float64)
        _, theirs = torch.nn.functional.max_pool2d_with_indices(t, 2, None, (1, 0), (2, 1))
        assert theirs.tolist() == indices.tolist()


def test_the_module_returns_values_and_indices(device):
    pool = nn.MaxPool2d(2, stride=1, return_indices=True)
    values, indices = pool(tinyoptim.tensor(TIES, device=device)[0])
    assert values.shape == (1, 2, 2) and indices.tolist() == [[[3, 2], [3, 5]]]


def test_gradcheck_with_indices(device):
    values = np.random.default_rng(8).permutation(2 * 6 * 7) * 0.1
    x = tinyoptim.tensor(values.reshape(1, 2, 6, 7), device=device, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], [x])


# -- max_unpool2d -----------------------------------------------------------------------------


def _unpool(lib, x, options, unpool_options, **device):
    t = lib.tensor(x, **device)
    values, indices = lib.nn.functional.max_pool2d(t, return_indices=True, **options)
    values = values.detach().requires_grad_(True)
    out = lib.nn.functional.max_unpool2d(values, indices, **unpool_options)
    upstream = np.random.default_rng(3).standard_normal(tuple(out.shape))
    (out * lib.tensor(upstream, **device)).sum().backward()
    return [a.detach().cpu().numpy() for a in (out, values.grad)]


UNPOOL_CASES = [
    ("2x2", dict(kernel_size=2), dict(kernel_size=2), (2, 3, 6, 8)),
    ("odd_size", dict(kernel_size=2), dict(kernel_size=2, output_size=(7, 9)), (1, 2, 7, 9)),
    ("full_output_size", dict(kernel_size=2), dict(kernel_size=2, output_size=[1, 2, 5, 4]), None),
    (
        "padded",
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=3, stride=2, padding=1, output_size=(5, 6)),
        (1, 2, 5, 6),
    ),
    ("unbatched", dict(kernel_size=2), dict(kernel_size=2), (3, 4, 6)),
]


@pytest.mark.parametrize(
    "name, pool, unpool, shape", UNPOOL_CASES, ids=[c[0] for c in UNPOOL_CASES]
)
def test_max_unpool2d_matches_torch(name, pool, unpool, shape, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    x = np.random.default_rng(4).standard_normal(shape or (1, 2, 5, 4))
    ours = _unpool(tinyoptim, x, pool, unpool, device=device)
    theirs = _unpool(torch, x, pool, unpool)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


def test_max_unpool2d_puts_the_maxima_back(device):
    x = tinyoptim.tensor(TIES, device=device)
    values, indices = F.max_pool2d(x, 2, stride=1, return_indices=True)
    values.requires_grad_(True)
    out = nn.MaxUnpool2d(2, stride=1)(values, indices)
    assert out.tolist() == [[[[0.0, 0.0, 2.0], [2.0, 0.0, 2.0], [0.0, 0.0, 0.0]]]]
    assert out.grad_fn.name() == "MaxUnpool2DBackward0"
    out.backward(tinyoptim.tensor(np.arange(9.0).reshape(1, 1, 3, 3), device=device))
    assert values.grad.tolist() == [[[[3.0, 2.0], [3.0, 5.0]]]]


def test_max_unpool2d_repr():
    assert (
        repr(nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    )
    assert repr(nn.MaxUnpool2d((2, 3), stride=1, padding=1)) == (
        "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 1))"
    )


UNPOOL_ERRORS = [  # torch 2.13's types and messages
    (
        lambda F, v, i: F.max_unpool2d(v, i, 2, output_size=(7, 7)),
        ValueError,
        'invalid output_size "(7, 7)" (dim 0 must be between 2 and 6)',
    ),
    (
        lambda F, v, i: F.max_unpool2d(v, i, 2, output_size=(1, 4, 4)),
        ValueError,
        "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'",
    ),
    (
        lambda F, v, i: F.max_unpool2d(v, i + (i > 14) * 100, 2),  # one bad index: torch's
        # threads may name any of several
        RuntimeError,
        "Found an invalid max index: 115 (output volumes are of size 4x4)",
    ),
    (
        lambda F, v, i: F.max_unpool2d(v, i.float(), 2),
        RuntimeError,
        "elements in indices should be type int64 but got: Float",
    ),
    (
        lambda F, v, i: F.max_unpool2d(v, i[..., :1], 2),
        RuntimeError,
        "Expected shape of indices to be same as that of the input tensor ([1, 1, 2, 2]) but "
        "got indices tensor with shape: [1, 1, 2, 1]",
    ),
]


@pytest.mark.parametrize("call, kind, message", UNPOOL_ERRORS)
def test_max_unpool2d_errors(call, kind, message, device):
    libraries = [(tinyoptim, {"device": device})] + ([(torch, {})] if torch else [])
    for lib, options in libraries:
        x = lib.arange(16.0, **options).reshape(1, 1, 4, 4)
        values, indices = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        with pytest.raises(kind) as caught:
            call(lib.nn.functional, values, indices)
        assert str(caught.value) == message
