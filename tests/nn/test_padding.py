"""F.pad's four modes and Conv2d's padding_mode and asymmetric padding="same", against
torch 2.13 (live, float64) and values recorded from it."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim import nn
from tinyoptim.autograd import gradcheck
from tinyoptim.nn import functional as F

X = np.arange(12.0).reshape(1, 1, 3, 4)
RECORDED = {  # F.pad(X, (2, 1, 1, -1), mode) from torch 2.13; reflect with (2, 1, 1, 0)
    "constant": [[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 2, 3, 0], [0, 0, 4, 5, 6, 7, 0]],
    "reflect": [
        [6, 5, 4, 5, 6, 7, 6],
        [2, 1, 0, 1, 2, 3, 2],
        [6, 5, 4, 5, 6, 7, 6],
        [10, 9, 8, 9, 10, 11, 10],
    ],
    "replicate": [[0, 0, 0, 1, 2, 3, 3], [0, 0, 0, 1, 2, 3, 3], [4, 4, 4, 5, 6, 7, 7]],
    "circular": [[6, 7, 4, 5, 6, 7, 4], [2, 3, 0, 1, 2, 3, 0], [6, 7, 4, 5, 6, 7, 4]],
}
NODES = {
    "constant": "ConstantPadNdBackward0",
    "reflect": "ReflectionPad2DBackward0",
    "replicate": "ReplicationPad2DBackward0",
    "circular": "CopySlices",
}


@pytest.mark.parametrize("mode", sorted(RECORDED))
def test_pad_matches_recorded_values(mode, device):
    pad = (2, 1, 1, 0) if mode == "reflect" else (2, 1, 1, -1)
    x = tinyoptim.tensor(X, requires_grad=True, device=device)
    y = F.pad(x, pad, mode=mode)
    assert y.tolist() == [[RECORDED[mode]]]
    assert y.grad_fn.name() == NODES[mode]


CASES = [  # (mode, input shape, pad)
    ("constant", (2, 3, 4, 5), (1, 2, 0, 3)),
    ("constant", (2, 3, 4, 5), (-1, 2, 1, -2, 1, 1)),
    ("constant", (3, 4), (2, 1)),
    ("reflect", (2, 3, 4, 5), (1, 2, 3, 0)),
    ("reflect", (2, 3, 4, 5), (-1, 4, 2, -1)),
    ("reflect", (3, 6), (5, 2)),
    ("reflect", (2, 3, 5), (3, 4, 1, 2)),
    ("reflect", (1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 0)),
    ("replicate", (2, 3, 4, 5), (3, 2, 0, 5)),
    ("replicate", (2, 3, 4, 5), (-2, 3, 4, -1)),
    ("replicate", (2, 5, 3), (4, 1)),
    ("replicate", (2, 2, 3, 4, 5), (1, 2, 2, 1, 3, 0)),
    ("circular", (2, 3, 4, 5), (2, 5, 4, 1)),
    ("circular", (2, 3, 4, 5), (-1, 2, 2, -2)),
    ("circular", (2, 3, 4, 5), (-2, 3, 0, 0)),
    ("circular", (3, 4), (4, 3)),
    ("circular", (1, 2, 3, 4, 5), (1, 2, 2, 1, 3, 0)),
]


@pytest.mark.parametrize("mode, shape, pad", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_pad_values_and_gradient_match_torch(mode, shape, pad, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    rng = np.random.default_rng(len(shape) + sum(pad))
    x = rng.standard_normal(shape)
    results = []
    for lib, options in ((tinyoptim, {"device": device}), (torch, {})):
        t = lib.tensor(x, requires_grad=True, **options)
        y = lib.nn.functional.pad(t, pad, mode=mode)
        upstream = np.random.default_rng(1).standard_normal(tuple(y.shape))
        (y * lib.tensor(upstream, **options)).sum().backward()
        results.append([a.detach().cpu().numpy() for a in (y, t.grad)])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", sorted(RECORDED))
def test_gradcheck_pad(mode, device):
    x = tinyoptim.tensor(np.random.default_rng(2).standard_normal((1, 2, 3, 4)), device=device)
    x.requires_grad_(True)
    assert gradcheck(lambda x: F.pad(x, (2, 3, 2, 1), mode=mode), [x])


def test_constant_value():
    y = F.pad(tinyoptim.tensor(X), (1, 1, 0, 0), value=2.5)
    assert y[0, 0, 0].tolist() == [2.5, 0.0, 1.0, 2.0, 3.0, 2.5]


UNSUPPORTED = (
    "Padding size {} is not supported for {}D input tensor.\n"
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)
ERRORS = [  # (input shape, pad, mode, value, type, torch 2.13's message)
    ((1, 1, 3, 3), (1, 1), "bogus", None, NotImplementedError, "Unrecognised padding mode bogus"),
    (
        (1, 1, 3, 3),
        (1, 2, 3),
        "constant",
        None,
        RuntimeError,
        "Padding length must be divisible by 2",
    ),
    (
        (1, 1, 3, 3),
        (1,) * 10,
        "constant",
        None,
        RuntimeError,
        "Padding length should be less than or equal to two times the input dimension but got "
        "padding length 10 and input of dimension 4",
    ),
    (
        (1, 1, 3, 3),
        (1, 1, 1, 1),
        "reflect",
        1.0,
        RuntimeError,
        'Padding mode "reflect" doesn\'t take in value argument',
    ),
    ((1, 1, 3, 3), (1, 1), "reflect", None, NotImplementedError, UNSUPPORTED.format(2, 4)),
    ((3, 3), (1, 1, 1, 1), "replicate", None, NotImplementedError, UNSUPPORTED.format(4, 2)),
    (
        (1, 1, 3, 3),
        (3, 3, 3, 3),
        "reflect",
        None,
        RuntimeError,
        "Argument #4: Padding size should be less than the corresponding input dimension, but "
        "got: padding (3, 3) at dimension 3 of input [1, 1, 3, 3]",
    ),
    (
        (1, 1, 3, 3),
        (0, 0, 3, 0),
        "reflect",
        None,
        RuntimeError,
        "Argument #6: Padding size should be less than the corresponding input dimension, but "
        "got: padding (3, 0) at dimension 2 of input [1, 1, 3, 3]",
    ),
    (
        (1, 1, 3, 3),
        (4, 0, 0, 0),
        "circular",
        None,
        RuntimeError,
        "Padding value causes wrapping around more than once.",
    ),
]


@pytest.mark.parametrize("shape, pad, mode, value, kind, message", ERRORS)
def test_pad_errors(shape, pad, mode, value, kind, message, device):
    libraries = [(tinyoptim, {"device": device})] + ([(torch, {})] if torch else [])
    for lib, options in libraries:
        x = lib.zeros(shape, **options)
        with pytest.raises(kind) as caught:
            lib.nn.functional.pad(x, pad, mode=mode, value=value)
        assert str(caught.value) == message


# -- Conv2d ----------------------------------------------------------------------------------

CONV_RECORDED = {  # Conv2d(1, 1, 2, padding="same", bias=False), weight [[1, 2], [3, 4]], on X
    "zeros": [[34, 44, 54, 24], [74, 84, 94, 40], [26, 29, 32, 11]],
    "reflect": [[34, 44, 54, 52], [74, 84, 94, 92], [58, 68, 78, 76]],
    "replicate": [[34, 44, 54, 58], [74, 84, 94, 98], [86, 96, 106, 110]],
    "circular": [[34, 44, 54, 40], [74, 84, 94, 80], [30, 40, 50, 36]],
}


@pytest.mark.parametrize("mode", sorted(CONV_RECORDED))
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv_same_even_kernel_matches_recorded_values(mode, device):
    conv = nn.Conv2d(1, 1, 2, padding="same", padding_mode=mode, bias=False, device=device)
    with tinyoptim.no_grad():
        conv.weight.copy_(tinyoptim.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], device=device))
    assert conv(tinyoptim.tensor(X, dtype="float32", device=device)).tolist() == [
        [CONV_RECORDED[mode]]
    ]
    suffix = "" if mode == "zeros" else f", padding_mode={mode}"
    assert repr(conv) == (
        f"Conv2d(1, 1, kernel_size=(2, 2), stride=(1, 1), padding=same, bias=False{suffix})"
    )


def test_same_with_an_even_kernel_warns_as_torch():
    x, w = tinyoptim.zeros(1, 1, 4, 4), tinyoptim.zeros(1, 1, 2, 3)
    with pytest.warns(UserWarning, match="Using padding='same' with even kernel lengths"):
        assert F.conv2d(x, w, padding="same").shape == (1, 1, 4, 4)


CONV_CASES = [  # Conv2d keyword arguments
    dict(kernel_size=3, padding=1, padding_mode="reflect"),
    dict(kernel_size=(3, 2), padding=(2, 1), padding_mode="replicate", stride=2),
    dict(kernel_size=3, padding=(1, 3), padding_mode="circular", dilation=(1, 2)),
    dict(kernel_size=(2, 4), padding="same", padding_mode="reflect"),
    dict(kernel_size=(4, 3), padding="same", padding_mode="circular", dilation=(1, 2)),
    dict(kernel_size=2, padding="same", padding_mode="replicate", groups=2),
    dict(kernel_size=(2, 3), padding="same", dilation=(3, 1)),
    dict(kernel_size=3, padding="valid", padding_mode="reflect"),
]


@pytest.mark.parametrize("options", CONV_CASES, ids=lambda o: "-".join(map(str, o.values())))
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv_padding_modes_match_torch(options, device):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 7, 8))
    ours = nn.Conv2d(4, 6, **options).double().to(device)
    theirs = torch.nn.Conv2d(4, 6, **options).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    assert repr(ours) == repr(theirs)
    results = []
    for lib, conv, options in ((tinyoptim, ours, {"device": device}), (torch, theirs, {})):
        t = lib.tensor(x, requires_grad=True, **options)
        y = conv(t)
        upstream = np.random.default_rng(6).standard_normal(tuple(y.shape))
        (y * lib.tensor(upstream, **options)).sum().backward()
        arrays = (y, t.grad, conv.weight.grad, conv.bias.grad)
        results.append([a.detach().cpu().numpy() for a in arrays])
    for a, b in zip(*results):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
