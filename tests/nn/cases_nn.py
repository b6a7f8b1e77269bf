"""Torch parity cases for ``nn.functional``: layers and losses, float64, tiny shapes.

Each case is run with torch and with tinyoptim (``tests/parity.py``); the output and the
gradient of every float input are compared. Integer arrays are targets or indices.
"""

from __future__ import annotations

import numpy as np

from tests.parity import make_cases

TARGETS = np.array([0, 3, 1, 4])
IGNORED = np.array([0, 1, 1, 4])  # class 1 is ignore_index in the cases that say so
CLASS_WEIGHTS = np.array([0.5, 1.5, 2.0, 0.25, 1.0])
PROBS = np.array(
    [[0.1, 0.2, 0.3, 0.4, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0], [0.2] * 5, [0.0, 0.0, 0.0, 0.1, 0.9]]
)
POSITIVE3 = np.array([0.5, 1.25, 2.0])
NO, YES = False, True


def _bn_train(lib, x, w, b):
    running_mean = lib.tensor(np.zeros(x.shape[1]))
    running_var = lib.tensor(np.ones(x.shape[1]))
    return lib.F.batch_norm(x, running_mean, running_var, w, b, training=True, momentum=0.3)


CASES = make_cases(
    [
        ("conv2d", lambda lib, x, w, b: lib.F.conv2d(x, w, b), [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]),
        (
            "conv2d_stride_padding",
            lambda lib, x, w, b: lib.F.conv2d(x, w, b, stride=2, padding=1),
            [(2, 2, 5, 6), (3, 2, 3, 3), (3,)],
        ),
        (
            "conv2d_dilation",
            lambda lib, x, w: lib.F.conv2d(x, w, dilation=2, padding=(2, 1)),
            [(1, 2, 6, 5), (2, 2, 3, 2)],
        ),
        (
            "conv2d_groups",
            lambda lib, x, w, b: lib.F.conv2d(x, w, b, stride=(1, 2), groups=2),
            [(2, 4, 5, 5), (6, 2, 3, 3), (6,)],
        ),
        (
            "conv2d_padding_same",
            lambda lib, x, w: lib.F.conv2d(x, w, padding="same"),
            [(1, 2, 4, 4), (2, 2, 3, 3)],
        ),
        ("conv2d_unbatched", lambda lib, x, w: lib.F.conv2d(x, w), [(2, 4, 4), (3, 2, 2, 2)]),
        ("linear", lambda lib, x, w, b: lib.F.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
        ("linear_batched", lambda lib, x, w: lib.F.linear(x, w), [(2, 3, 4), (5, 4)]),
        ("max_pool2d", lambda lib, x: lib.F.max_pool2d(x, 2), [(2, 2, 5, 5)]),
        (
            "max_pool2d_stride_padding",
            lambda lib, x: lib.F.max_pool2d(x, 3, stride=2, padding=1),
            [(1, 2, 6, 5)],
        ),
        (
            "max_pool2d_ceil_mode",
            lambda lib, x: lib.F.max_pool2d(x, 2, ceil_mode=True),
            [(1, 2, 5, 5)],
        ),
        (
            "max_pool2d_dilation",
            lambda lib, x: lib.F.max_pool2d(x, 2, stride=1, dilation=2),
            [(1, 1, 5, 5)],
        ),
        ("avg_pool2d", lambda lib, x: lib.F.avg_pool2d(x, 2), [(2, 2, 4, 5)]),
        (
            "avg_pool2d_padding",
            lambda lib, x: lib.F.avg_pool2d(x, 3, stride=2, padding=1),
            [(1, 2, 5, 6)],
        ),
        (
            "avg_pool2d_exclude_pad",
            lambda lib, x: lib.F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
            [(1, 2, 5, 6)],
        ),
        (
            "avg_pool2d_ceil_mode",
            lambda lib, x: lib.F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
            [(1, 1, 6, 6)],
        ),
        ("batch_norm_train_2d", _bn_train, [(4, 3, 2, 2), (3,), (3,)]),
        ("batch_norm_train_1d", _bn_train, [(5, 3), (3,), (3,)]),
        (
            "batch_norm_eval",
            lambda lib, x, m, v, w, b: lib.F.batch_norm(x, m, v, w, b, training=False),
            [(3, 3, 2), (3,), POSITIVE3, (3,), (3,)],
            [YES, NO, NO, YES, YES],
        ),
        (
            "layer_norm",
            lambda lib, x, w, b: lib.F.layer_norm(x, (3, 4), w, b),
            [(2, 3, 4), (3, 4), (3, 4)],
        ),
        ("layer_norm_plain", lambda lib, x: lib.F.layer_norm(x, (4,)), [(3, 4)]),
        (
            "embedding",
            lambda lib, w, i: lib.F.embedding(i, w),
            [(5, 3), np.array([[0, 2], [4, 2]])],
        ),
        (
            "embedding_padding_idx",
            lambda lib, w, i: lib.F.embedding(i, w, padding_idx=1),
            [(4, 2), np.array([1, 3, 1, 0])],
        ),
        ("cross_entropy", lambda lib, x, t: lib.F.cross_entropy(x, t), [(4, 5), TARGETS]),
        (
            "cross_entropy_weight_ignore",
            lambda lib, x, t, w: lib.F.cross_entropy(x, t, weight=w, ignore_index=1),
            [(4, 5), IGNORED, CLASS_WEIGHTS],
            [YES, NO, NO],
        ),
        (
            "cross_entropy_smoothing",
            lambda lib, x, t: lib.F.cross_entropy(x, t, label_smoothing=0.2),
            [(4, 5), TARGETS],
        ),
        (
            "cross_entropy_smoothing_weight_ignore",
            lambda lib, x, t, w: lib.F.cross_entropy(
                x, t, weight=w, ignore_index=1, label_smoothing=0.1
            ),
            [(4, 5), IGNORED, CLASS_WEIGHTS],
            [YES, NO, NO],
        ),
        (
            "cross_entropy_smoothing_sum",
            lambda lib, x, t: lib.F.cross_entropy(
                x, t, ignore_index=1, label_smoothing=0.3, reduction="sum"
            ),
            [(4, 5), IGNORED],
        ),
        (
            "cross_entropy_smoothing_none",
            lambda lib, x, t, w: lib.F.cross_entropy(
                x, t, weight=w, label_smoothing=0.3, reduction="none"
            ),
            [(4, 5), TARGETS, CLASS_WEIGHTS],
            [YES, NO, NO],
        ),
        (
            "cross_entropy_probs",
            lambda lib, x, t: lib.F.cross_entropy(x, t),
            [(4, 5), PROBS],
            [YES, NO],
        ),
        (
            "cross_entropy_probs_smoothing_weight",
            lambda lib, x, t, w: lib.F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
            [(4, 5), PROBS, CLASS_WEIGHTS],
            [YES, NO, NO],
        ),
        (
            "cross_entropy_spatial",
            lambda lib, x, t: lib.F.cross_entropy(x, t),
            [(2, 3, 2, 2), np.array([[[0, 2], [1, 1]], [[2, 2], [0, 1]]])],
        ),
        (
            "nll_loss",
            lambda lib, x, t: lib.F.nll_loss(x.log_softmax(1), t),
            [(4, 5), TARGETS],
        ),
        (
            "nll_loss_weight_ignore_sum",
            lambda lib, x, t, w: lib.F.nll_loss(x, t, w, ignore_index=1, reduction="sum"),
            [(4, 5), IGNORED, CLASS_WEIGHTS],
            [YES, NO, NO],
        ),
        (
            "nll_loss_none",
            lambda lib, x, t: lib.F.nll_loss(x, t, reduction="none", ignore_index=1),
            [(4, 5), IGNORED],
        ),
        (
            "nll_loss_unbatched",
            lambda lib, x, t: lib.F.nll_loss(x, t),
            [(5,), np.array(3)],
        ),
        ("mse_loss", lambda lib, x, y: lib.F.mse_loss(x, y), [(3, 4), (3, 4)]),
        (
            "mse_loss_sum",
            lambda lib, x, y: lib.F.mse_loss(x, y, reduction="sum"),
            [(2, 3), (2, 3)],
        ),
        (
            "bce_with_logits",
            lambda lib, x, y: lib.F.binary_cross_entropy_with_logits(x, y),
            [(3, 4), np.array([[0.0, 1, 1, 0], [1, 0, 0.3, 1], [0, 0, 1, 0.5]])],
            [YES, NO],
        ),
        (
            "bce_with_logits_pos_weight",
            lambda lib, x, y, p: lib.F.binary_cross_entropy_with_logits(x, y, pos_weight=p),
            [(2, 3), np.array([[0.0, 1, 1], [1, 0, 0.25]]), POSITIVE3],
            [YES, NO, NO],
        ),
        (
            "bce_with_logits_weight_sum",
            lambda lib, x, y, w: lib.F.binary_cross_entropy_with_logits(
                x * 20, y, weight=w, reduction="sum"
            ),
            [(2, 3), np.array([[0.0, 1, 1], [1, 0, 0.25]]), POSITIVE3],
            [YES, YES, NO],
        ),
        ("gelu", lambda lib, x: lib.F.gelu(x), [(3, 4)]),
        ("gelu_tanh", lambda lib, x: lib.F.gelu(x, approximate="tanh"), [(3, 4)]),
        ("relu", lambda lib, x: lib.F.relu(x), [(3, 4)]),
        ("logsigmoid", lambda lib, x: lib.F.logsigmoid(x * 30), [(3, 4)]),
        ("softmax", lambda lib, x: lib.F.softmax(x, dim=1), [(3, 4)]),
        ("log_softmax", lambda lib, x: lib.F.log_softmax(x, dim=0), [(3, 4)]),
    ]
)
