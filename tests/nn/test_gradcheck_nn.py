"""Finite-difference checks of every nn.functional op with a dedicated or composed backward.

float64, small shapes, a random upstream gradient (gradcheck draws one), on each device.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn.functional as F
from tinyoptim.autograd import gradcheck

TARGETS = [0, 2, 1, 2]


def _t(device, shape, seed, requires_grad=True, positive=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    a = np.abs(a) + 0.5 if positive else a
    return tinyoptim.tensor(a, dtype="float64", device=device, requires_grad=requires_grad)


def _ints(device, values):
    return tinyoptim.tensor(np.array(values), device=device)


CHECKS = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b), [(1, 2, 4, 4), (2, 2, 2, 2), (2,)]),
    "conv2d_strided_groups": (
        lambda x, w: F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2),
        [(2, 2, 4, 5), (2, 1, 2, 2)],
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [(1, 2, 3, 3)]),
    "max_pool2d_ceil": (lambda x: F.max_pool2d(x, 2, ceil_mode=True), [(1, 1, 5, 5)]),
    "avg_pool2d": (
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        [(1, 2, 4, 4)],
    ),
    "avg_pool2d_exclude_pad": (
        lambda x: F.avg_pool2d(x, 2, padding=1, count_include_pad=False),
        [(1, 1, 3, 4)],
    ),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (2, 4), (2,)]),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(3, 2, 2, 2), (2,), (2,)],
    ),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)]),
    "mse_loss": (lambda x, y: F.mse_loss(x, y), [(2, 3), (2, 3)]),
    "bce_with_logits": (
        lambda x, y, p: F.binary_cross_entropy_with_logits(x, y.sigmoid(), pos_weight=p),
        [(2, 3), (2, 3), (3,)],
    ),
    "gelu": (lambda x: F.gelu(x), [(2, 3)]),
    "logsigmoid": (lambda x: F.logsigmoid(x * 10), [(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_gradcheck(name, device):
    fn, shapes = CHECKS[name]
    inputs = [_t(device, s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_cross_entropy(device, smoothing, reduction):
    x = _t(device, (4, 3), seed=1)
    weight = _t(device, (3,), seed=2, requires_grad=False, positive=True)
    targets = _ints(device, TARGETS)

    def fn(x):
        return F.cross_entropy(
            x,
            targets,
            weight=weight,
            ignore_index=1,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    assert gradcheck(fn, [x])


def test_gradcheck_cross_entropy_probabilities(device):
    x = _t(device, (2, 3), seed=3)
    probs = _t(device, (2, 3), seed=4, requires_grad=False).softmax(1)
    assert gradcheck(lambda x: F.cross_entropy(x, probs, label_smoothing=0.1), [x])


def test_gradcheck_nll_loss(device):
    x = _t(device, (4, 3), seed=5)
    targets = _ints(device, TARGETS)
    assert gradcheck(lambda x: F.nll_loss(x, targets, reduction="none"), [x])


@pytest.mark.parametrize("sparse", [False, True])
def test_gradcheck_embedding(device, sparse):
    weight = _t(device, (4, 2), seed=6)
    indices = _ints(device, [[0, 3], [3, 2]])
    # padding_idx is left out: its zero gradient is a convention, not the derivative
    assert gradcheck(lambda w: F.embedding(indices, w, sparse=sparse), [weight])
