"""nn.init.orthogonal_ and nn.init.sparse_: torch 2.13's algorithms, checked by their
properties (the draws come from tinyoptim's generator, not torch's), signatures and errors."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.nn import init


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (4, 2, 3, 3), (1, 6)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, dtype, device):
    tinyoptim.manual_seed(0)
    t = tinyoptim.empty(*shape, dtype=dtype, device=device)
    assert init.orthogonal_(t, gain=1.5) is t
    assert t.dtype.name == dtype and t.shape == shape
    a = t.numpy().astype(np.float64).reshape(shape[0], -1)
    gram = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(len(gram)), atol=tol)


def test_orthogonal_is_reproducible_and_the_same_on_every_device(device):
    results = []
    for where in ("cpu", device):
        tinyoptim.manual_seed(3)
        results.append(init.orthogonal_(tinyoptim.empty(4, 6, device=where)).numpy())
    np.testing.assert_array_equal(*results)


def test_orthogonal_of_an_empty_tensor_does_nothing():
    t = tinyoptim.empty(0, 3)
    assert init.orthogonal_(t) is t and t.shape == (0, 3)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_sparse_zeroes_the_same_count_in_every_column(sparsity, device):
    tinyoptim.manual_seed(1)
    t = tinyoptim.empty(200, 30, device=device)
    assert init.sparse_(t, sparsity, std=0.5) is t
    a = t.numpy()
    zeros = math.ceil(sparsity * 200)
    assert ((a == 0).sum(axis=0) == zeros).all()
    assert not np.signbit(a[a == 0]).any()  # +0, as torch's assignment writes
    if zeros < 200:
        assert abs(a[a != 0].std() - 0.5) < 0.05


def test_sparse_picks_different_rows_per_column():
    tinyoptim.manual_seed(2)
    a = init.sparse_(tinyoptim.empty(50, 20), 0.5).numpy()
    assert len({tuple(np.flatnonzero(column == 0)) for column in a.T}) > 1


ERRORS = [  # torch 2.13's messages
    (
        lambda lib: lib.nn.init.orthogonal_(lib.zeros(3)),
        "Only tensors with 2 or more dimensions are supported",
    ),
    (
        lambda lib: lib.nn.init.sparse_(lib.zeros(2, 3, 4), 0.1),
        "Only tensors with 2 dimensions are supported",
    ),
    (
        lambda lib: lib.nn.init.sparse_(lib.zeros(3), 0.1),
        "Only tensors with 2 dimensions are supported",
    ),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors(call, message):
    for lib in [tinyoptim] + ([torch] if torch else []):
        with pytest.raises(ValueError) as caught:
            call(lib)
        assert str(caught.value) == message


@pytest.mark.parametrize("name", ["orthogonal_", "sparse_"])
def test_signature_matches_torch(name):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    ours = inspect.signature(getattr(init, name))
    theirs = inspect.signature(getattr(torch.nn.init, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for a, b in zip(ours.parameters.values(), theirs.parameters.values()):
        assert (a.default, a.kind) == (b.default, b.kind)
