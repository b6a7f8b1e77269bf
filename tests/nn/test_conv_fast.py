"""conv2d's im2col and col2im paths against torch 2.13 (live) and finite differences.

The geometries cover each path of ``autograd/ops/conv.py``: stride 1 along the height
(width shifts, then whole-row blocks), strided rows, windows that do not overlap (col2im
by copies), padding wider than the kernel (taps that only ever read padding), dilation,
groups, odd sizes. Values in float64; float32 must stay float32. Forward keeps the columns
for backward's weight gradient unless they are large; rebuilding them gives the same
numbers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn.functional as F
from tests.parity import Lib, assert_close, make_cases, run_case
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck
from tinyoptim.autograd.ops import conv as conv_ops


def _conv(**options):
    return lambda lib, x, w, b=None: lib.F.conv2d(x, w, b, **options)


CASES = make_cases(
    [
        ("same_3x3", _conv(padding=1), [(2, 3, 7, 9), (4, 3, 3, 3), (4,)]),
        ("valid_rect_kernel", _conv(), [(2, 2, 6, 5), (3, 2, 2, 3), (3,)]),
        ("dilated", _conv(dilation=(2, 3), padding=(2, 1)), [(1, 2, 9, 8), (2, 2, 3, 2)]),
        ("stride_2_1", _conv(stride=(2, 1), padding=(1, 0)), [(2, 3, 8, 7), (4, 3, 3, 3)]),
        ("stride_1_2", _conv(stride=(1, 2), padding=1), [(2, 3, 6, 9), (2, 3, 3, 3), (2,)]),
        ("stride_2_odd", _conv(stride=2, padding=1), [(2, 2, 9, 7), (3, 2, 3, 3), (3,)]),
        ("disjoint", _conv(stride=3), [(1, 2, 10, 11), (2, 2, 2, 2), (2,)]),
        ("disjoint_tiling", _conv(stride=2), [(2, 2, 6, 8), (3, 2, 2, 2), (3,)]),
        ("disjoint_padded", _conv(stride=2, padding=1), [(2, 2, 5, 6), (3, 2, 2, 2)]),
        ("padding_wider_than_kernel", _conv(padding=3), [(1, 1, 2, 3), (2, 1, 2, 2), (2,)]),
        ("padding_wide_strided", _conv(stride=2, padding=(3, 2)), [(1, 2, 3, 4), (2, 2, 2, 3)]),
        # every kernel row reads padding only: the input gradient is zero
        ("rows_all_padding", _conv(padding=(2, 0), dilation=(3, 1)), [(1, 1, 1, 5), (1, 1, 2, 1)]),
        ("groups", _conv(padding=1, groups=2), [(2, 4, 6, 5), (6, 2, 3, 3), (6,)]),
        ("depthwise_strided", _conv(stride=2, padding=1, groups=3), [(2, 3, 5, 5), (3, 1, 3, 3)]),
        ("pointwise", _conv(), [(2, 3, 4, 5), (5, 3, 1, 1), (5,)]),
        ("kernel_fills_input", _conv(), [(2, 2, 3, 4), (2, 2, 3, 4), (2,)]),
        ("unbatched", _conv(padding=1), [(3, 6, 6), (2, 3, 3, 3), (2,)]),
    ]
)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_torch(case, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    ours = run_case(Lib(tinyoptim, device), case)
    assert_close(ours, run_case(Lib(torch), case))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_rebuilt_columns_give_the_kept_columns_gradients(case, device, monkeypatch):
    kept = run_case(Lib(tinyoptim, device), case)
    monkeypatch.setattr(conv_ops, "KEEP_COLUMNS_BYTES", 0)
    rebuilt = run_case(Lib(tinyoptim, device), case)
    for key, value in kept.items():
        np.testing.assert_array_equal(value, rebuilt[key], err_msg=key)


@pytest.mark.parametrize("case", CASES[:8], ids=repr)
def test_gradcheck(case, device):
    inputs = [tinyoptim.tensor(a, device=device, requires_grad=True) for a in case.inputs]
    assert gradcheck(lambda *args: case.fn(Lib(tinyoptim, device), *args), inputs)


def test_float32_stays_float32(device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(4, 3, 9, 8), (5, 3, 3, 3)]]
    upstream = rng.standard_normal((4, 5, 9, 8)).astype(np.float32)
    results = []
    for lib, kwargs in ((tinyoptim, {"device": device}), (torch, {})):
        x, w = (lib.tensor(a, requires_grad=True, **kwargs) for a in arrays)
        out = lib.nn.functional.conv2d(x, w, padding=1)
        (out * lib.tensor(upstream, **kwargs)).sum().backward()
        results.append([t.detach().cpu().numpy() for t in (out, x.grad, w.grad)])
    for ours, theirs in zip(*results):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_input_without_grad_gets_only_the_weight_gradient(device):
    rng = np.random.default_rng(1)
    x = tinyoptim.tensor(rng.standard_normal((2, 1, 6, 6)), device=device)
    w = tinyoptim.tensor(rng.standard_normal((3, 1, 3, 3)), device=device, requires_grad=True)
    F.conv2d(x, w, padding=1).sum().backward()
    assert x.grad is None and w.grad is not None
    assert gradcheck(lambda w: F.conv2d(x, w, padding=1), [w])


def test_backward_twice_with_retain_graph(device):
    rng = np.random.default_rng(2)
    x = tinyoptim.tensor(rng.standard_normal((2, 2, 5, 5)), device=device, requires_grad=True)
    w = tinyoptim.tensor(rng.standard_normal((3, 2, 3, 3)), device=device, requires_grad=True)
    loss = (F.conv2d(x, w, stride=(1, 2), padding=1) ** 2).sum()
    loss.backward(retain_graph=True)
    once = [x.grad.numpy().copy(), w.grad.numpy().copy()]
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), 2 * once[1], rtol=1e-12)


def test_input_changed_in_place_before_backward_raises(device):
    """The input is saved (the columns are rebuilt from it), as torch saves it."""
    x = tinyoptim.randn(1, 1, 4, 4, device=device, requires_grad=True)
    w = tinyoptim.randn(1, 1, 3, 3, device=device, requires_grad=True)
    x2 = x * 1
    out = F.conv2d(x2, w)
    x2.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("grad_of", ["all", "bias only", "none but bias", "unbatched"])
def test_a_bias_added_by_the_op_equals_a_separate_add(grad_of, device):
    # conv2d adds a bias of the weight's dtype inside the op (in the copy that lays the
    # output out); anything else takes the separate broadcast add. Both must agree.
    rng = np.random.default_rng(3)
    shape = (3, 5, 6) if grad_of == "unbatched" else (2, 3, 5, 6)
    arrays = [rng.standard_normal(s) for s in (shape, (4, 3, 3, 3), (4,))]
    results = []
    for fused in (True, False):
        x, w, b = (tinyoptim.tensor(a, dtype=tinyoptim.float64, device=device) for a in arrays)
        b.requires_grad_(True)
        if grad_of not in ("bias only", "none but bias"):
            x.requires_grad_(True)
            w.requires_grad_(True)
        if fused:
            y = F.conv2d(x, w, b, padding=1)
        else:
            y = F.conv2d(x, w, padding=1) + b.reshape(-1, 1, 1)
        (y * y).sum().backward()
        results.append([y] + [t.grad for t in (x, w, b) if t.requires_grad])
    for fused_value, separate_value in zip(*results):
        np.testing.assert_allclose(
            fused_value.detach().numpy(), separate_value.detach().numpy(), rtol=1e-12
        )


WEIGHT_ONLY = [
    dataclasses.replace(case, grad=[False] + case.grad[1:])
    for case in CASES
    if case.inputs[0].ndim == 4
]


@pytest.mark.parametrize("case", WEIGHT_ONLY, ids=repr)
def test_weight_gradient_summed_per_image_equals_the_one_product(case, device, monkeypatch):
    """Without an input gradient (a first layer), dW may be summed from one product per
    image, reading dy in place; it must match the single product over transposed dy."""
    monkeypatch.setattr(conv_ops, "PER_IMAGE_RATIO", 0)  # per image, always
    per_image = run_case(Lib(tinyoptim, device), case)
    monkeypatch.setattr(conv_ops, "PER_IMAGE_RATIO", 1 << 40)  # never
    one_product = run_case(Lib(tinyoptim, device), case)
    assert set(per_image) == set(one_product) and "grad1" in per_image
    for key, value in per_image.items():
        np.testing.assert_allclose(value, one_product[key], rtol=1e-12, atol=1e-12, err_msg=key)
    if torch is not None:
        assert_close(per_image, run_case(Lib(torch), case))
