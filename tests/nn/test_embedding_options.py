"""Embedding's ``max_norm``/``norm_type`` (rows renormalised in place before the lookup) and
``scale_grad_by_freq``, against torch 2.13 (live, float64) and values recorded from it."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim import nn
from tinyoptim.autograd.tensor import Tensor
from tinyoptim.nn import functional as F

WEIGHT = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, -2.0]]
INDICES = [[0, 1], [0, 3]]


def test_max_norm_and_scale_grad_by_freq_match_recorded_values(device):
    w = tinyoptim.tensor(WEIGHT, dtype="float64", requires_grad=True, device=device)
    indices = tinyoptim.tensor(INDICES, device=device)
    y = F.embedding(indices, w, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)
    y.backward(tinyoptim.arange(8.0, dtype="float64", device=device).reshape(2, 2, 2))
    # recorded from torch 2.13: rows 0 and 3 scaled by 1 / (|row|_1 + 1e-7), row 2 not looked up
    renormed = [
        [0.42857142244897967, 0.5714285632653062],
        [0.3, 0.4],
        [6.0, 8.0],
        [0.3333333222222226, -0.6666666444444452],
    ]
    np.testing.assert_allclose(w.detach().numpy(), renormed, rtol=1e-15, atol=0)
    assert w._version == 1  # one in-place update, as torch counts it
    np.testing.assert_allclose(y.detach().numpy()[1], [renormed[0], renormed[3]], rtol=1e-15)
    assert w.grad.tolist() == [[2.0, 3.0], [2.0, 3.0], [0.0, 0.0], [6.0, 7.0]]


CASES = [  # F.embedding keyword arguments
    dict(max_norm=1.5),
    dict(max_norm=0.5, norm_type=1.0),
    dict(max_norm=2.0, norm_type=3.0),
    dict(max_norm=1.0, norm_type=float("inf"), padding_idx=2),
    dict(scale_grad_by_freq=True),
    dict(scale_grad_by_freq=True, padding_idx=0, max_norm=1.2),
    dict(max_norm=1.0, sparse=True),
]


@pytest.mark.parametrize("options", CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_embedding_options_match_torch(options, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((7, 3)) * 1.5
    indices = np.array([[0, 2, 2, 6], [5, 0, 1, 0], [2, 2, 2, 3]])
    upstream = rng.standard_normal(indices.shape + (3,))
    results = []
    for lib, device_options in ((tinyoptim, {"device": device}), (torch, {})):
        w = lib.tensor(weight, requires_grad=True, **device_options)
        ids = lib.tensor(indices, **device_options)
        y = lib.nn.functional.embedding(ids, w, **options)
        y = lib.nn.functional.embedding(ids[1:], w, **options)  # sees the renormalised rows
        (y * lib.tensor(upstream[1:], **device_options)).sum().backward()
        grad = w.grad.to_dense() if lib is torch and w.grad.is_sparse else w.grad
        if lib is tinyoptim and getattr(grad, "is_sparse", False):
            grad = Tensor._make(grad.to_dense(), grad.device)
        results.append([np.asarray(a.detach().cpu().numpy()) for a in (y, w, grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


def test_the_module_renormalises_before_each_lookup(device):
    emb = nn.Embedding(4, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, device=device)
    assert repr(emb) == "Embedding(4, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"
    with tinyoptim.no_grad():
        emb.weight.copy_(tinyoptim.tensor(WEIGHT, device=device))
    emb(tinyoptim.tensor([3], device=device))
    assert emb.weight.abs().sum(1).tolist()[2:] == [14.0, pytest.approx(1.0, abs=1e-6)]


def test_sparse_gradients_refuse_scale_grad_by_freq(device):
    w = tinyoptim.tensor(WEIGHT, requires_grad=True, device=device)
    y = F.embedding(
        tinyoptim.tensor([1, 1], device=device), w, scale_grad_by_freq=True, sparse=True
    )
    with pytest.raises(RuntimeError) as caught:
        y.sum().backward()
    assert str(caught.value) == (
        "embedding_backward: scale_grad_by_freq not supported with sparse gradients"
    )


def test_max_norm_with_an_index_out_of_range(device):
    libraries = [(tinyoptim, {"device": device})] + ([(torch, {})] if torch else [])
    for lib, options in libraries:
        w = lib.ones(5, 3, **options)
        with pytest.raises(IndexError) as caught:
            lib.nn.functional.embedding(lib.tensor([1, 10, 12], **options), w, max_norm=1.0)
        assert str(caught.value) == (
            "select(): index 10 out of range for tensor of size [5, 3] at dimension 0"
        )
