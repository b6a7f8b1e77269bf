"""Edge cases where torch's answer is easy to miss: written out, so they hold without torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tinyoptim import nn
from tinyoptim.nn import functional as F


def test_reassigning_a_parameter_or_child_keeps_its_place(device):
    linear = nn.Linear(2, 2, device=device)
    linear.weight = nn.Parameter(tinyoptim.zeros(2, 2, device=device))
    assert [name for name, _ in linear.named_parameters()] == ["weight", "bias"]
    model = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    model[0] = nn.GELU()
    assert [type(m).__name__ for m in model] == ["GELU", "Tanh", "Sigmoid"]
    x = tinyoptim.tensor([-1.0, 2.0], device=device)
    expected = F.gelu(x).tanh().sigmoid()
    assert model(x).tolist() == expected.tolist()  # and it runs in that order


def test_max_pool_window_wholly_on_the_padding_is_minus_inf(device):
    x = tinyoptim.ones(1, 1, 1, 6, dtype="float64", device=device)
    y = F.max_pool2d(x, 2, padding=(1, 0), dilation=(2, 1))
    assert y.tolist() == [[[[-math.inf] * 3]]]


def test_batch_norm_on_an_empty_batch_keeps_its_running_statistics(device):
    norm = nn.BatchNorm1d(3, device=device)
    y = norm(tinyoptim.zeros(0, 3, device=device))
    assert y.shape == (0, 3)
    assert norm.running_mean.tolist() == [0.0] * 3 and norm.running_var.tolist() == [1.0] * 3
    assert norm.num_batches_tracked.item() == 1


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_over_an_empty_dim_is_empty(fn, device):
    x = tinyoptim.zeros(3, 0, requires_grad=True, device=device)
    y = fn(x, 1)
    assert y.shape == (3, 0)
    y.sum().backward()
    assert x.grad.shape == (3, 0)


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_all_targets_ignored_gives_nan_loss_and_zero_gradient(fn, device):
    x = tinyoptim.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, device=device)
    with np.errstate(invalid="ignore"):
        loss = fn(x, tinyoptim.tensor([1, 1], device=device), ignore_index=1)
    assert math.isnan(loss.item())
    loss.backward()
    assert x.grad.abs().sum().item() == 0.0


def test_probability_targets_refuse_an_ignore_index(device):
    x = tinyoptim.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, tinyoptim.full((2, 3), 1 / 3, device=device), ignore_index=1)


def test_relu_passes_the_gradient_of_a_nan_on(device):
    x = tinyoptim.tensor([1.0, math.nan, -1.0], dtype="float64", requires_grad=True, device=device)
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]


def test_strided_same_padding_is_refused_at_construction():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")


def test_clip_grad_norm_of_type_zero_counts_non_zeros(device):
    p = tinyoptim.zeros(3, requires_grad=True, device=device)
    p.grad = tinyoptim.tensor([1.0, 0.0, 2.0], device=device)
    total = nn.utils.clip_grad_norm_([p], max_norm=5.0, norm_type=0)
    assert total.item() == 1.0  # one tensor with non-zeros: the 0-"norm" of the per-tensor 2
    assert p.grad.tolist() == [1.0, 0.0, 2.0]


def test_casting_to_an_integer_dtype_leaves_the_graph(device):
    x = tinyoptim.tensor([1.5, -2.7], requires_grad=True, device=device)
    for y in (x.long(), x.int(), x.bool(), x.to(tinyoptim.int64)):
        assert not y.requires_grad and y.grad_fn is None
    assert x.double().requires_grad


@pytest.mark.parametrize("shape", [(2, 1), (2, 5)])
@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_k_dim_targets_must_have_the_inputs_spatial_shape(fn, shape, device):
    x = tinyoptim.zeros(2, 3, 4, device=device)
    target = tinyoptim.zeros(*shape, dtype=tinyoptim.int64, device=device)
    with pytest.raises(
        RuntimeError, match=rf"Expected target size \[2, 4\], got \[2, {shape[1]}\]"
    ):
        fn(x, target)
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        flat = tinyoptim.zeros(2, 1, dtype=tinyoptim.int64, device=device)
        fn(tinyoptim.zeros(2, 3, device=device), flat)


def test_weighted_mse_mean_divides_by_the_weights(device):
    x = tinyoptim.tensor([1.0, 2.0, 4.0], device=device)
    y = tinyoptim.zeros(3, device=device)
    w = tinyoptim.tensor([1.0, 0.0, 2.0], device=device)
    assert F.mse_loss(x, y, weight=w).item() == pytest.approx((1 + 32) / 3)
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(x, y, weight=w[:2])


def test_batch_norm_loads_a_checkpoint_without_num_batches_tracked(device):
    norm = nn.BatchNorm1d(2, device=device)
    norm.num_batches_tracked.fill_(3)
    state = {k: v for k, v in norm.state_dict().items() if k != "num_batches_tracked"}
    result = norm.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    assert norm.num_batches_tracked.item() == 3 and "num_batches_tracked" not in state
    state["extra"] = tinyoptim.ones(1)
    result = norm.load_state_dict(state, strict=False)
    assert repr(result) == "_IncompatibleKeys(missing_keys=[], unexpected_keys=['extra'])"
    # a state dict of today's layout (its _metadata says version 2) must have the count
    current = norm.state_dict()
    assert current._metadata[""] == {"version": 2}
    del current["num_batches_tracked"]
    with pytest.raises(
        RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'
    ):
        norm.load_state_dict(current)


def test_trunc_normal_stays_in_its_bounds_with_the_truncated_moments(device):
    tinyoptim.manual_seed(0)
    w = tinyoptim.empty(200_000, dtype="float64", device=device)
    nn.init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=1.5)
    values = np.asarray(w.tolist())
    assert values.min() >= -1.0 and values.max() <= 1.5
    # the moments of N(0.5, 1) truncated to [-1.5, 1] standard units (scipy.stats.truncnorm)
    assert abs(values.mean() - 0.35481) < 0.01 and abs(values.std() - 0.64474) < 0.01
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        nn.init.trunc_normal_(tinyoptim.empty(3, device=device), mean=5.0)


def test_eye_and_dirac(device):
    assert nn.init.eye_(tinyoptim.empty(2, 3, device=device)).tolist() == [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
    ]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.eye_(tinyoptim.empty(2, device=device))
    weight = nn.init.dirac_(tinyoptim.empty(4, 2, 3, 3, device=device), groups=2)
    x = tinyoptim.tensor(np.random.default_rng(0).standard_normal((1, 4, 5, 5)), device=device)
    y = F.conv2d(x.to(weight.dtype), weight, padding=1, groups=2)
    assert np.allclose(y.tolist(), x.tolist(), atol=1e-6)  # every channel passes through
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        nn.init.dirac_(tinyoptim.empty(3, 2, 3, 3, device=device), groups=2)


def test_sequential_and_module_list_edit_as_lists():
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    s.insert(1, nn.Sigmoid())
    s.extend(nn.Sequential(nn.GELU()))
    assert type(s.pop(0)) is nn.ReLU
    names = [type(m).__name__ for m in s]
    assert names == ["Sigmoid", "Tanh", "GELU"] and list(s._modules) == ["0", "1", "2"]
    assert [type(m).__name__ for m in s + nn.Sequential(nn.ReLU())][-1] == "ReLU"
    assert len(s * 2) == 6 and len(2 * s) == 6
    s += nn.Sequential(nn.Tanh())
    assert len(s) == 4
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
        s + [nn.ReLU()]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, nn.ReLU())
    modules = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    assert type(modules.pop(0)) is nn.ReLU and len(modules) == 1
    assert len(modules + [nn.GELU()]) == 2


def test_get_submodule_and_get_parameter():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert net.get_submodule("") is net and net.get_submodule("0") is net[0]
    assert net.get_parameter("0.weight") is net[0].weight
    with pytest.raises(AttributeError, match="Sequential has no attribute `5`"):
        net.get_submodule("5")
    with pytest.raises(AttributeError, match="`forward` is not an nn.Parameter"):
        net.get_parameter("0.forward")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: F.max_pool2d(x, 2, stride=0), "stride should not be zero"),
        (lambda x: F.avg_pool2d(x, 0), "stride should not be zero"),
        (lambda x: F.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
        (lambda x: F.max_pool2d(x, 2, dilation=0), "dilation should be greater than zero"),
        (lambda x: F.conv2d(x, tinyoptim.ones(1, 1, 3, 3), padding=-1), "negative padding"),
        (
            lambda x: F.conv2d(x, tinyoptim.ones(1, 1, 3, 3, dtype=tinyoptim.float64)),
            "expected scalar type Float but found Double",
        ),
        (
            lambda x: F.conv2d(
                x,
                tinyoptim.ones(2, 1, 3, 3, device="cpu"),
                tinyoptim.zeros(2, device="cpu").double(),
            ),
            r"Input type \(float\) and bias type \(double\) should be the same",
        ),
        (
            lambda x: F.conv2d(
                x, tinyoptim.ones(2, 1, 3, 3, device="cpu"), tinyoptim.zeros(3, device="cpu")
            ),
            r"expected bias to be 1-dimensional with 2 elements, but got bias of size \[3\]",
        ),
        (
            lambda x: F.cross_entropy(
                tinyoptim.zeros(2, 3), tinyoptim.tensor([0, 1], dtype=tinyoptim.int32)
            ),
            "expected target dtype to be Long or Byte, but got Int",
        ),
    ],
)
def test_bad_layer_arguments_raise_torchs_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(tinyoptim.ones(1, 1, 4, 4, device="cpu"))


def test_module_list_repr_groups_runs_of_equal_modules():
    modules = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.ReLU(), nn.Tanh()])
    assert repr(modules) == "ModuleList(\n  (0-2): 3 x ReLU()\n  (3): Tanh()\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_half_casts_floating_parameters():
    layer = nn.Linear(2, 2, device="cpu").half()
    assert layer.weight.dtype == tinyoptim.float16 and layer.bias.dtype == tinyoptim.float16


def test_train_goes_through_each_childs_own_train():
    class FrozenNorm(nn.Module):  # a common way to freeze batch norm while training
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()
            return self

    model = nn.Sequential(FrozenNorm(), nn.Linear(2, 2))
    model.train()
    assert model.training and model[1].training and not model[0].bn.training
    model.eval()
    assert not model.training and not model[1].training


def test_module_to_refuses_integer_dtypes():
    layer = nn.Linear(2, 2, device="cpu")
    for target in (tinyoptim.int64, tinyoptim.bool, tinyoptim.zeros(1, dtype=tinyoptim.int32)):
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex"):
            layer.to(target)
    assert layer.weight.dtype == tinyoptim.float32


def test_a_module_registered_twice_loads_under_both_names():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Linear(2, 2, bias=False, device="cpu")
            self.l2 = self.l1

    model = Shared()
    state = model.state_dict()
    assert list(state) == ["l1.weight", "l2.weight"]
    state = {"l1.weight": tinyoptim.ones(2, 2), "l2.weight": tinyoptim.full((2, 2), 2.0)}
    model.load_state_dict(state)
    assert model.l1.weight.tolist() == [[2.0, 2.0], [2.0, 2.0]]  # the later name wins, as torch
    del state["l2.weight"]
    result = model.load_state_dict({**state, "l2.foo": tinyoptim.ones(1)}, strict=False)
    assert result.missing_keys == ["l2.weight"] and result.unexpected_keys == ["l2.foo"]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.cross_entropy(
                tinyoptim.zeros(4, 3),
                tinyoptim.tensor([0, 1, 2, 0]),
                weight=tinyoptim.ones(3).double(),
            ),
            "expected scalar type Float but found Double",
        ),
        (
            lambda: nn.BatchNorm2d(3)(tinyoptim.ones(2, 3, 4, 4, dtype=tinyoptim.float64)),
            r"mixed dtype \(CPU\): all inputs must share same datatype.",
        ),
        (
            lambda: nn.LayerNorm(4).double()(tinyoptim.ones(2, 4)),
            r"mixed dtype \(CPU\): expect parameter to have scalar type of Float",
        ),
    ],
)
def test_normalisation_and_loss_dtypes_are_checked_as_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_float16_input_with_float32_norm_parameters_stays_float16():
    x = tinyoptim.ones(2, 3).half()
    assert nn.BatchNorm1d(3)(x).dtype == tinyoptim.float16
    assert nn.LayerNorm(3)(x).dtype == tinyoptim.float16


def test_batch_norm_without_a_batch_count_uses_its_momentum():
    bn = nn.BatchNorm1d(2)
    bn.num_batches_tracked = None  # allowed, as in torch
    bn(tinyoptim.tensor([[0.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(bn.running_mean.tolist(), [0.1, 0.3], rtol=1e-6)


def test_small_argument_checks_from_torch():
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Flatten()(tinyoptim.tensor(1.0))
    assert tinyoptim.tensor(1.0).flatten().shape == (1,)
    with pytest.raises(RuntimeError, match="pad must be non-negative, but got pad: -1"):
        F.max_pool2d(tinyoptim.ones(1, 1, 4, 4), 2, padding=-1)
    x = tinyoptim.tensor([1.0, 2.0, 4.0])
    assert x.var(False).item() == pytest.approx(14 / 9) and x.std(True).item() == pytest.approx(
        (7 / 3) ** 0.5
    )


def test_label_smoothing_with_every_target_ignored_gives_zero_gradient(device):
    x = tinyoptim.tensor([[0.3, -1.2, 0.5]], dtype=tinyoptim.float64, device=device)
    x.requires_grad_()
    with np.errstate(invalid="ignore", divide="ignore"):
        loss = F.cross_entropy(x, tinyoptim.tensor([-100], device=device), label_smoothing=0.5)
        loss.backward()
    assert math.isnan(loss.item())
    assert x.grad.abs().sum().item() == 0.0  # torch masks the ignored rows (masked_fill)


def test_a_one_element_vector_loads_into_a_0d_parameter(device):
    class Scalar(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(tinyoptim.tensor(1.0, device=device))

    model = Scalar()
    result = model.load_state_dict({"s": tinyoptim.tensor([5.0], device=device)})
    assert str(result) == "<All keys matched successfully>" and model.s.item() == 5.0


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_an_implicit_softmax_dim_warns_as_torch(fn, device):
    name = fn.__name__
    with pytest.warns(UserWarning, match=f"^Implicit dimension choice for {name} has been"):
        y = fn(tinyoptim.ones(2, 3, device=device))
    assert y.shape == (2, 3)


def test_embedding_repr_shows_every_option_torch_shows():
    text = repr(nn.Embedding(3, 2, padding_idx=1, norm_type=1.0))
    assert text == "Embedding(3, 2, padding_idx=1, norm_type=1.0)"
