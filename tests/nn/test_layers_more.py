"""The layers of ``nn/layers_more.py`` and their functional forms, against torch 2.13 when
importable (values and input/parameter gradients in float64, odd sizes for the adaptive
pools), against NumPy formulas and ``gradcheck`` without it; reprs and errors are torch's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn as nn
import tinyoptim.nn.functional as F
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch 2.13")
rng = np.random.default_rng(0)
X4 = rng.standard_normal((2, 3, 7, 5))
W6, B6 = rng.standard_normal(6), rng.standard_normal(6)
X6 = rng.standard_normal((3, 6, 5, 3))
Y = rng.standard_normal((4, 5))
Y[1] = 0  # a zero row: the norms' clamps show
Z = rng.standard_normal((4, 5))


def _call(lib, name, tensors, options):
    """lib.<name>(*tensors, **options); ``options["after"]`` tensors go after its scalars,
    as named keywords with ``options["names"]``."""
    options = dict(options)
    names, first = options.pop("names", None), options.pop("first", len(tensors))
    head, tail = tensors[:first], tensors[first:]
    fn = getattr(lib, name)
    if names:
        return fn(*head, **options, **dict(zip(names, tail)))
    return fn(*head, *options.pop("scalars", ()), *tail, **options)


def _compare(name, arrays, device, **options):
    """F.<name> here and in torch: values, and gradients of a random weighting of the
    output (the first output when it is a pair, whose second must equal)."""
    ours = [tinyoptim.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _call(F, name, ours, options)
    ref = _call(torch.nn.functional, name, theirs, options)
    if isinstance(ref, tuple):
        np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
        out, ref = out[0], ref[0]
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(tinyoptim.tensor(g, device=device))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


POOL_SIZES = [(3, 2), (4, None), 1, (7, 5), (2, 5), (5, 3), (6, 4)]
CASES = (
    [("normalize", [Y], dict(p=p)) for p in (2.0, 1.0, 3.0)]
    + [("normalize", [Y], dict(dim=0))]
    + [("cosine_similarity", [Y, Z], {}), ("cosine_similarity", [Y, Z[:1]], dict(dim=0))]
    + [("pairwise_distance", [Y, Z], dict(p=p)) for p in (2.0, 1.0, 3.0)]
    + [("pairwise_distance", [Y, Z[0]], dict(keepdim=True))]
    + [("adaptive_avg_pool2d", [X4], dict(output_size=o)) for o in POOL_SIZES]
    + [("adaptive_max_pool2d", [X4], dict(output_size=o, return_indices=True)) for o in POOL_SIZES]
    + [("adaptive_max_pool2d", [X4[0]], dict(output_size=(3, 2)))]
    + [("adaptive_avg_pool1d", [X4[0, :, :, 0]], dict(output_size=3))]
    + [("adaptive_max_pool1d", [X4[:, :, :, 0]], dict(output_size=3, return_indices=True))]
    + [
        ("group_norm", [X6, W6, B6], dict(first=1, scalars=(3,))),
        ("group_norm", [X6[:, :, 0]], dict(scalars=(2,))),
    ]
    + [
        ("instance_norm", [X6], {}),
        ("instance_norm", [X6, W6, B6], dict(first=1, names=("weight", "bias"))),
    ]
    + [("prelu", [X6, W6], {}), ("prelu", [X6, W6[:1]], {}), ("prelu", [Y[0], W6[:1]], {})]
)
UPSAMPLE = [dict(size=(7, 9)), dict(size=(3, 2)), dict(scale_factor=2), dict(scale_factor=1.7)]
UPSAMPLE += [dict(scale_factor=(0.6, 2.5)), dict(size=1)]


@needs_torch
@pytest.mark.parametrize("name,arrays,options", CASES)
def test_against_torch(name, arrays, options, device):
    _compare(name, arrays, device, **options)


@needs_torch
@pytest.mark.parametrize("options", UPSAMPLE)
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_against_torch(options, mode, align, device):
    _compare("interpolate", [X4[:, :, :5, :4]], device, mode=mode, align_corners=align, **options)


@needs_torch
def test_nearest_float32_indices_match_torch():
    x = rng.standard_normal((1, 1, 13, 11)).astype(np.float32)
    for options in (dict(size=(37, 29)), dict(scale_factor=1.3), dict(scale_factor=(0.7, 3.1))):
        ours = F.interpolate(tinyoptim.tensor(x), **options).numpy()
        np.testing.assert_array_equal(
            ours, torch.nn.functional.interpolate(torch.tensor(x), **options).numpy()
        )


@needs_torch
def test_instance_norm_running_stats_match_torch():
    mean, var = rng.standard_normal(6), rng.random(6) + 0.5
    ours = [tinyoptim.tensor(mean), tinyoptim.tensor(var)]
    theirs = [torch.tensor(mean), torch.tensor(var)]
    F.instance_norm(tinyoptim.tensor(X6), *ours, momentum=0.3)
    torch.nn.functional.instance_norm(torch.tensor(X6), *theirs, momentum=0.3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


# -- without torch --------------------------------------------------------------------------


def _window(i, size, out):
    return math.floor(i * size / out), math.ceil((i + 1) * size / out)


@pytest.mark.parametrize("out", [(3, 2), (4, 5), (7, 1), (2, None)])
def test_adaptive_pools_numpy(out, device):
    x = tinyoptim.tensor(X4, device=device)
    oh, ow = out[0], out[1] if out[1] is not None else 5
    avg = np.empty((2, 3, oh, ow))
    top = np.empty((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            (hs, he), (ws, we) = _window(i, 7, oh), _window(j, 5, ow)
            avg[..., i, j] = X4[..., hs:he, ws:we].mean((-2, -1))
            top[..., i, j] = X4[..., hs:he, ws:we].max((-2, -1))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, out).numpy(), avg, rtol=1e-12)
    values, index = F.adaptive_max_pool2d(x, out, return_indices=True)
    np.testing.assert_array_equal(values.numpy(), top)
    flat = X4.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, index.numpy().reshape(2, 3, -1), -1).reshape(values.shape)
    np.testing.assert_array_equal(picked, top)
    assert index.dtype.name == "int64"


def test_gradcheck(device):
    def make(a):
        return tinyoptim.tensor(a, dtype="float64", device=device, requires_grad=True)

    x, w, b = make(X6[:2, :, :3]), make(W6), make(B6)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 3)), [make(X4[:1])])
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 2)), [make(X4[:1])])
    assert gradcheck(lambda t, w, b: F.group_norm(t, 2, w, b), [x, w, b])
    assert gradcheck(lambda t: F.instance_norm(t), [x])
    assert gradcheck(lambda t, w: F.prelu(t, w), [x, w])
    assert gradcheck(lambda a, c: F.cosine_similarity(a, c), [make(Z), make(Z[::-1].copy())])
    assert gradcheck(lambda a: F.normalize(a, p=3.0), [make(Z)])
    assert gradcheck(
        lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear"), [make(X4[:1, :1])]
    )


def test_formulas_numpy(device):
    y, z = tinyoptim.tensor(Y, device=device), tinyoptim.tensor(Z, device=device)
    norms = np.maximum(np.linalg.norm(Y, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(F.normalize(y).numpy(), Y / norms, rtol=1e-12)
    cos = (Y / np.maximum(np.linalg.norm(Y, axis=1, keepdims=True), 1e-8) * Z).sum(1)
    np.testing.assert_allclose(
        F.cosine_similarity(y, z).numpy(), cos / np.linalg.norm(Z, axis=1), rtol=1e-12
    )
    np.testing.assert_allclose(
        F.pairwise_distance(y, z).numpy(), np.linalg.norm(Y - Z + 1e-6, axis=1), rtol=1e-12
    )
    g = X6.reshape(3, 3, -1)
    expect = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5)).reshape(
        X6.shape
    )
    np.testing.assert_allclose(
        F.group_norm(tinyoptim.tensor(X6, device=device), 3).numpy(), expect, rtol=1e-10
    )
    hot = F.one_hot(tinyoptim.tensor([[0, 2], [1, 1]], device=device))
    assert hot.dtype.name == "int64" and hot.shape == (2, 2, 3)
    np.testing.assert_array_equal(hot.numpy(), np.eye(3, dtype=np.int64)[[[0, 2], [1, 1]]])
    assert F.one_hot(tinyoptim.tensor([1], device=device), 4).tolist() == [[0, 1, 0, 0]]
    up = F.interpolate(tinyoptim.tensor(X4, device=device), scale_factor=2)
    np.testing.assert_array_equal(up.numpy(), X4.repeat(2, axis=2).repeat(2, axis=3))


def test_channel_dropout_structure(device):
    tinyoptim.manual_seed(0)
    x = tinyoptim.ones(40, 50, 3, 4, dtype="float64", device=device)
    out = F.dropout2d(x, p=0.3).numpy()
    per_channel = out.reshape(40, 50, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # whole channels
    assert set(np.unique(per_channel).round(12)) <= {0.0, round(1 / 0.7, 12)}
    assert abs((per_channel[..., 0] == 0).mean() - 0.3) < 0.05
    one = F.dropout1d(tinyoptim.ones(500, 6, device=device), p=0.5).numpy()
    assert np.all(one.min(-1) == one.max(-1)) and 0.4 < (one[:, 0] == 0).mean() < 0.6
    assert F.dropout2d(x, 0.3, training=False) is x
    layer = nn.Dropout2d(0.3).eval()
    assert layer(x) is x


def test_modules(device):
    def run(module, *args):
        return module.to(device)(*args)

    x = tinyoptim.tensor(X6, dtype="float32", device=device)
    assert run(nn.GroupNorm(3, 6), x).shape == x.shape
    assert run(nn.InstanceNorm2d(6), x).shape == x.shape
    assert run(nn.InstanceNorm2d(6), x[0]).shape == x[0].shape
    p = nn.PReLU(6)
    assert p.weight.tolist() == [0.25] * 6
    assert run(p, x).shape == x.shape
    assert run(nn.Unflatten(1, (2, 3)), x).shape == (3, 2, 3, 5, 3)
    assert run(nn.ZeroPad2d(1), x).shape == (3, 6, 7, 5)
    assert run(nn.ConstantPad2d((1, 0, 2, 0), 3.5), x).numpy()[0, 0, 0, 0] == 3.5
    assert run(nn.ReflectionPad2d(2), x).shape == (3, 6, 9, 7)
    assert run(nn.ReplicationPad2d((1, 0, 1, 0)), x).shape == (3, 6, 6, 4)
    assert run(nn.AdaptiveAvgPool2d((None, 2)), x).shape == (3, 6, 5, 2)
    values, index = run(nn.AdaptiveMaxPool2d(2, return_indices=True), x)
    assert values.shape == index.shape == (3, 6, 2, 2)
    assert run(nn.Upsample(scale_factor=2), x).shape == (3, 6, 10, 6)
    assert run(nn.CosineSimilarity(), x, x).shape == (3, 5, 3)
    assert run(nn.PairwiseDistance(), x, x).shape == (3, 6, 5)


def test_reprs():
    expect = {
        nn.GroupNorm(2, 4): "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
        nn.InstanceNorm2d(
            3
        ): "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)",
        nn.PReLU(): "PReLU(num_parameters=1)",
        nn.Unflatten(1, (2, 3)): "Unflatten(dim=1, unflattened_size=(2, 3))",
        nn.ZeroPad2d(1): "ZeroPad2d((1, 1, 1, 1))",
        nn.ConstantPad2d((1, 2, 3, 4), 3.5): "ConstantPad2d(padding=(1, 2, 3, 4), value=3.5)",
        nn.ReflectionPad2d(2): "ReflectionPad2d((2, 2, 2, 2))",
        nn.ReplicationPad2d((1, 0, 1, 0)): "ReplicationPad2d((1, 0, 1, 0))",
        nn.Dropout1d(): "Dropout1d(p=0.5, inplace=False)",
        nn.Dropout2d(0.3): "Dropout2d(p=0.3, inplace=False)",
        nn.CosineSimilarity(): "CosineSimilarity()",
        nn.PairwiseDistance(): "PairwiseDistance()",
        nn.AdaptiveAvgPool2d((None, 3)): "AdaptiveAvgPool2d(output_size=(None, 3))",
        nn.AdaptiveMaxPool2d(2): "AdaptiveMaxPool2d(output_size=2)",
        nn.AdaptiveAvgPool1d(3): "AdaptiveAvgPool1d(output_size=3)",
        nn.Upsample(scale_factor=2): "Upsample(scale_factor=2.0, mode='nearest')",
        nn.Upsample(size=(3, 4), mode="bilinear"): "Upsample(size=(3, 4), mode='bilinear')",
        nn.UpsamplingBilinear2d(
            scale_factor=2
        ): "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')",
    }
    for module, text in expect.items():
        assert repr(module) == text
    assert [k for k, _ in nn.GroupNorm(2, 4).named_parameters()] == ["weight", "bias"]
    assert list(nn.InstanceNorm2d(3, track_running_stats=True).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


ERRORS = [
    (
        lambda: F.one_hot(tinyoptim.tensor([1.0])),
        RuntimeError,
        "one_hot is only applicable to index tensor of type LongTensor.",
    ),
    (lambda: F.one_hot(tinyoptim.tensor([-1])), RuntimeError, "Class values must be non-negative."),
    (
        lambda: F.one_hot(tinyoptim.tensor([3]), 2),
        RuntimeError,
        "Class values must be smaller than num_classes.",
    ),
    (
        lambda: F.one_hot(tinyoptim.tensor([], dtype="int64")),
        RuntimeError,
        "Can not infer total number of classes from empty tensor.",
    ),
    (
        lambda: F.group_norm(tinyoptim.randn(2, 5, 3), 2),
        RuntimeError,
        "Expected number of channels in input to be divisible by num_groups, but got input "
        "of shape [2, 5, 3] and num_groups=2",
    ),
    (
        lambda: nn.GroupNorm(2, 5),
        ValueError,
        "num_channels (5) must be divisible by num_groups (2)",
    ),
    (
        lambda: F.prelu(tinyoptim.randn(2, 4), tinyoptim.ones(3)),
        RuntimeError,
        "Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 "
        "and channel size = 4.",
    ),
    (
        lambda: F.adaptive_avg_pool2d(tinyoptim.randn(2, 3), 2),
        RuntimeError,
        "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [2, 3]",
    ),
    (
        lambda: F.adaptive_avg_pool2d(tinyoptim.randn(1, 2, 3, 3), (2, 2, 2)),
        RuntimeError,
        "adaptive_avg_pool2d: output_size must be 2",
    ),
    (
        lambda: F.adaptive_max_pool2d(tinyoptim.randn(2, 3), 2),
        RuntimeError,
        "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [2, 3]",
    ),
    (
        lambda: F.interpolate(tinyoptim.randn(1, 1, 3, 3)),
        ValueError,
        "either size or scale_factor should be defined",
    ),
    (
        lambda: F.interpolate(tinyoptim.randn(1, 1, 3, 3), size=2, scale_factor=2),
        ValueError,
        "only one of size or scale_factor should be defined",
    ),
    (
        lambda: F.interpolate(tinyoptim.randn(1, 1, 3, 3), size=2, align_corners=True),
        ValueError,
        "align_corners option can only be set with the interpolating modes: linear | "
        "bilinear | bicubic | trilinear",
    ),
    (
        lambda: F.cosine_similarity(tinyoptim.randn(2, 3), tinyoptim.randn(2, 4)),
        RuntimeError,
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    ),
    (
        lambda: F.instance_norm(tinyoptim.randn(2, 3, 1, 1)),
        ValueError,
        "Expected more than 1 spatial element when training, got input size [2, 3, 1, 1]",
    ),
    (
        lambda: F.dropout1d(tinyoptim.randn(2, 3, 4, 5)),
        RuntimeError,
        "dropout1d: Expected 2D or 3D input, but received a 4D input.",
    ),
    (
        lambda: nn.Dropout2d(1.5),
        ValueError,
        "dropout probability has to be between 0 and 1, but got 1.5",
    ),
    (
        lambda: nn.InstanceNorm2d(3)(tinyoptim.randn(2, 3)),
        ValueError,
        "expected 3D or 4D input (got 2D input)",
    ),
]


@pytest.mark.parametrize("call,kind,message", ERRORS)
def test_errors(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value).startswith(message)


def test_dropout2d_warns_on_3d():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.dropout2d(tinyoptim.ones(2, 3, 4))
    assert "Received a 3D input to dropout2d" in str(caught[0].message)
