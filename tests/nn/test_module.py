"""Module mechanics: registration, names, state dicts, modes, devices, grads, init, utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn as nn
import tinyoptim.nn.functional as F
from tinyoptim.nn import init
from tinyoptim.nn.utils import clip_grad_norm_, clip_grad_value_


def mlp(device=None):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(device)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = mlp()
        self.norm = nn.BatchNorm1d(2)
        self.scale = nn.Parameter(tinyoptim.ones(1))
        self.register_buffer("step", tinyoptim.zeros(1))
        self.register_buffer("scratch", tinyoptim.zeros(2), persistent=False)

    def forward(self, x):
        return self.norm(self.body(x)) * self.scale


# -- registration and names -------------------------------------------------------------------


def test_named_parameters_follow_registration_order():
    names = [name for name, _ in Net().named_parameters()]
    assert names == [
        "scale",  # the module's own parameters come before its children's, as in torch
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "norm.weight",
        "norm.bias",
    ]


def test_registries():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["body", "norm"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "body.2", "norm"]
    assert [n for n, _ in net.named_buffers()] == [
        "step",
        "scratch",
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert list(net.state_dict()) == [
        "scale",
        "step",
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "norm.weight",
        "norm.bias",
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    ]


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4


def test_setattr_and_delattr():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = tinyoptim.ones(1)
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    del net.body
    assert [n for n, _ in net.named_children()] == ["norm"]
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'body'"):
        net.body  # noqa: B018
    with pytest.raises(KeyError, match="attribute 'norm' already exists"):
        net.register_buffer("norm", tinyoptim.zeros(1))


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match="Module \\[Module\\] is missing the required"):
        nn.Module()(1)


def test_repr_matches_torch_layout():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): Flatten(start_dim=1, end_dim=-1)\n"
        "  (3): Linear(in_features=8, out_features=2, bias=True)\n"
        ")"
    )
    p = nn.Parameter(tinyoptim.zeros(2, device="cpu"))
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"


LAYER_REPRS = [  # (layer, args, kwargs, torch 2.13's repr)
    (
        "BatchNorm1d",
        (2,),
        {},
        "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
    ),
    (
        "BatchNorm2d",
        (3,),
        {"momentum": None, "affine": False},
        "BatchNorm2d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)",
    ),
    (
        "LayerNorm",
        ((3, 4),),
        {"bias": False},
        "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=False)",
    ),
    (
        "Embedding",
        (5, 3),
        {"padding_idx": 0, "sparse": True},
        "Embedding(5, 3, padding_idx=0, sparse=True)",
    ),
    ("Dropout", (), {}, "Dropout(p=0.5, inplace=False)"),
    ("GELU", (), {"approximate": "tanh"}, "GELU(approximate='tanh')"),
    (
        "MaxPool2d",
        (2,),
        {},
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
    ),
    ("AvgPool2d", (3, 1, 1), {}, "AvgPool2d(kernel_size=3, stride=1, padding=1)"),
    (
        "Conv2d",
        (2, 4, 3),
        {"padding": "same", "groups": 2, "bias": False, "dilation": 2},
        "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), "
        "groups=2, bias=False)",
    ),
    ("CrossEntropyLoss", (), {}, "CrossEntropyLoss()"),
    ("ReLU", (True,), {}, "ReLU(inplace=True)"),
    ("Linear", (3, 2), {"bias": False}, "Linear(in_features=3, out_features=2, bias=False)"),
    ("Softmax", (1,), {}, "Softmax(dim=1)"),
]


@pytest.mark.parametrize("name, args, kwargs, expected", LAYER_REPRS, ids=lambda v: str(v)[:20])
def test_layer_repr_matches_torch(name, args, kwargs, expected):
    assert repr(getattr(nn, name)(*args, **kwargs)) == expected


def test_parameter_shares_data():
    t = tinyoptim.zeros(3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and p.data is t.data
    assert not nn.Parameter(t, requires_grad=False).requires_grad


def test_sequential_and_module_list():
    model = mlp()
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is model[2]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])
    layers.append(nn.Sigmoid())
    assert len(layers) == 3 and [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias"]


# -- state dicts ----------------------------------------------------------------------------------


def test_state_dict_round_trip_and_sharing():
    source, target = Net(), Net()
    state = source.state_dict()
    assert state["body.0.weight"].data is source.body[0].weight.data
    assert not state["body.0.weight"].requires_grad
    result = target.load_state_dict(state)
    assert result == ([], []) and result.missing_keys == []
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_load_state_dict_errors_use_torch_text():
    model = nn.Linear(2, 3)
    bad = {"weight": tinyoptim.zeros(2, 2), "bias": tinyoptim.zeros(3), "x": tinyoptim.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tUnexpected key(s) in state_dict: "x". \n'
        "\tsize mismatch for weight: copying a param with shape (2, 2) from checkpoint, "
        "the shape in current model is (3, 2)."
    )
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict({"weight": tinyoptim.zeros(3, 2)})
    assert str(info.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    )
    result = model.load_state_dict({"weight": tinyoptim.zeros(3, 2)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []
    assert (model.weight.detach().numpy() == 0).all()


# -- modes, devices, grads ------------------------------------------------------------------------


def test_train_eval_flags():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_to_keeps_parameter_identity():
    net = Net().cpu()
    net(tinyoptim.randn(4, 3, device="cpu")).sum().backward()
    params = list(net.parameters())
    grads = [p.grad for p in params]
    before = [p.detach().numpy().copy() for p in params]
    net.to("strict")
    assert all(a is b for a, b in zip(net.parameters(), params))
    assert all(p.device.type == "strict" and p.grad.device.type == "strict" for p in params)
    assert all(b.device.type == "strict" for b in net.buffers())
    assert all(p.grad is g for p, g in zip(params, grads))
    net.cpu()
    assert all(p.device.type == "cpu" for p in params)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
    net.double()
    assert all(p.dtype == tinyoptim.float64 for p in params)
    assert net.norm.num_batches_tracked.dtype == tinyoptim.int64


def test_zero_grad_keeps_grad_objects(device):
    model = mlp(device)
    model(tinyoptim.randn(2, 3, device=device)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))
    assert all((g.numpy() == 0).all() for g in grads)
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())


def test_flatten_parameters_makes_views_of_one_buffer(device):
    model = mlp(device)
    params = list(model.parameters())
    values = [p.detach().numpy().copy() for p in params]
    model.flatten_parameters()
    assert all(a is b for a, b in zip(model.parameters(), params))
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.detach().numpy(), v)
    flat = tinyoptim.Tensor._make(params[0].data.base, params[0].device)
    flat_grad = tinyoptim.Tensor._make(params[0].grad.data.base, params[0].device)
    assert flat.shape == (sum(p.numel() for p in params),)
    flat.fill_(3.0)  # a write through the buffer shows in every parameter
    assert all((p.detach().numpy() == 3.0).all() for p in params)
    with tinyoptim.no_grad():
        params[2].add_(1.0)  # and a write through a parameter shows in the buffer
    offset = params[0].numel() + params[1].numel()
    assert (flat.numpy()[offset : offset + params[2].numel()] == 4.0).all()
    model(tinyoptim.randn(2, 3, device=device)).sum().backward()  # accumulates into the views
    np.testing.assert_array_equal(
        flat_grad.numpy(), np.concatenate([p.grad.numpy().reshape(-1) for p in params])
    )


def test_sparse_embedding_gradient(device):
    table = nn.Embedding(5, 3, sparse=True, padding_idx=0).to(device)
    table(tinyoptim.tensor([[1, 0], [4, 1]], device=device)).sum().backward()
    grad = table.weight.grad
    assert grad.is_sparse
    dense = tinyoptim.Tensor._make(grad.to_dense(), grad.device).numpy()
    np.testing.assert_array_equal(dense.sum(1), [0, 6, 0, 0, 3])


def test_index_errors_use_torch_text(device):
    logp = tinyoptim.zeros(2, 10, device=device)
    with pytest.raises(IndexError, match="^Target 10 is out of bounds.$"):
        F.nll_loss(logp, tinyoptim.tensor([1, 10], device=device))
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(3, 2).to(device)(tinyoptim.tensor([3], device=device))


def test_batch_norm_running_stats(device):
    layer = nn.BatchNorm1d(2, momentum=None, dtype=tinyoptim.float64).to(device)
    batches = [np.random.default_rng(i).standard_normal((4, 2)) for i in range(2)]
    for b in batches:
        layer(tinyoptim.tensor(b, device=device))
    assert layer.num_batches_tracked.item() == 2
    np.testing.assert_allclose(
        layer.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-12
    )
    # momentum=None: a cumulative average, so the initial ones are forgotten at step 1
    expected_var = np.mean([b.var(0, ddof=1) for b in batches], 0)
    np.testing.assert_allclose(layer.running_var.numpy(), expected_var, rtol=1e-12)
    layer.eval()
    x = tinyoptim.tensor(batches[0], device=device)
    expected = (batches[0] - layer.running_mean.numpy()) / np.sqrt(layer.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-12)


# -- init and randomness --------------------------------------------------------------------------


def test_init_defaults_are_reproducible_and_torch_shaped():
    tinyoptim.manual_seed(0)
    a = nn.Linear(50, 40)
    tinyoptim.manual_seed(0)
    b = nn.Linear(50, 40)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(50)
    w = a.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(a.bias.detach().numpy()).max() <= bound
    conv = nn.Conv2d(3, 8, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(27)
    table = nn.Embedding(400, 50, padding_idx=2).weight.detach().numpy()
    assert abs(table.std() - 1) < 0.05 and (table[2] == 0).all()
    norm = nn.BatchNorm2d(3)
    assert (norm.weight.detach().numpy() == 1).all() and (norm.bias.detach().numpy() == 0).all()


def test_init_functions():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tinyoptim.zeros(3))
    w = tinyoptim.zeros(200, 100)
    assert init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu") is w
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.01
    init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 300)
    init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()


def test_dropout_train_and_eval(device):
    layer = nn.Dropout(0.25)
    x = tinyoptim.ones(100, 100, device=device)
    out = layer(x).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.03
    assert layer.eval()(x) is x
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        nn.Dropout(1.5)


# -- clipping -------------------------------------------------------------------------------------


def _params_with_grads(device, grads):
    params = []
    for g in grads:
        p = tinyoptim.zeros(len(g), dtype="float64", device=device, requires_grad=True)
        p.grad = tinyoptim.tensor(g, dtype="float64", device=device)
        params.append(p)
    return params


GRADS = [[3.0, -4.0], [12.0]]  # joint 2-norm 13, inf-norm 12


@pytest.mark.parametrize("norm_type, total", [(2.0, 13.0), (math.inf, 12.0), (1.0, 19.0)])
def test_clip_grad_norm(device, norm_type, total):
    params = _params_with_grads(device, GRADS)
    norm = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert norm.item() == pytest.approx(total, rel=1e-15)
    scale = 1.0 / (total + 1e-6)
    for p, g in zip(params, GRADS):
        np.testing.assert_allclose(p.grad.numpy(), np.array(g) * scale, rtol=1e-14)
    params = _params_with_grads(device, GRADS)
    clip_grad_norm_(params, max_norm=100.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), GRADS[0])


def test_clip_grad_norm_nonfinite(device):
    params = _params_with_grads(device, [[1.0, float("inf")]])
    with pytest.raises(RuntimeError) as info:
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert str(info.value) == (
        "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it "
        "cannot be clipped. To disable this error and scale the gradients by the non-finite "
        "norm anyway, set `error_if_nonfinite=False`"
    )


@pytest.mark.parametrize("norm_type, total", [(2.0, 13.0), (math.inf, 12.0), (0, 2.0)])
def test_get_total_norm_then_clip_grads_with_norm(device, norm_type, total):
    """torch's two halves of clip_grad_norm_: the norm of given tensors, then the scaling
    (p = 0 counts the tensors of non-zero norm, as torch's norm of norms does)."""
    params = _params_with_grads(device, GRADS)
    norm = nn.utils.get_total_norm([p.grad for p in params], norm_type)
    assert norm.item() == pytest.approx(total, rel=1e-15)
    assert nn.utils.get_total_norm(params[1].grad).item() == 12.0  # a single tensor
    assert nn.utils.clip_grads_with_norm_(params, 1.0, norm) is None
    for p, g in zip(params, GRADS):
        np.testing.assert_allclose(p.grad.numpy(), np.array(g) * (1 / (total + 1e-6)))
    assert nn.utils.get_total_norm([]).item() == 0.0
    nn.utils.clip_grads_with_norm_([], 1.0, norm)  # nothing to scale
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.get_total_norm([tinyoptim.tensor([math.nan])], error_if_nonfinite=True)


def test_clip_grad_value(device):
    params = _params_with_grads(device, GRADS)
    assert clip_grad_value_(params, 3.5) is None
    np.testing.assert_array_equal(params[0].grad.numpy(), [3.0, -3.5])
    np.testing.assert_array_equal(params[1].grad.numpy(), [3.5])
