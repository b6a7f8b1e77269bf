"""In-place ops on views: the base's graph follows the write, as in torch.

Each case writes in place through a view and takes a loss of the base (and of views);
the gradient must be torch's. torch's values are recorded below, and compared live when
torch 2.13 is importable.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch


def slice_mul_(lib, x):
    y = x * 2
    y[:2].mul_(3)
    return y.sum()


def setitem_on_a_view(lib, x):
    y = x * 2
    y.view(2, 2)[0, 1] = 7.0
    return (y * y).sum()


def add_on_a_row_of_a_reshape(lib, x):
    y = x * 2
    y.reshape(2, 2)[0].add_(1)
    return (y * y).sum()


def mul_by_a_tensor_on_a_transpose(lib, x):
    y = (x * 1).view(2, 2)
    y.t().mul_(x.view(2, 2))
    return (y**2).sum()


def exp_on_a_column(lib, x):
    y = x * 1
    y.view(4, 1)[:, 0].exp_()
    return (y * y).sum()


def view_of_a_view(lib, x):
    y = x * 2
    v = y[:3]
    w = v[1:]
    w.mul_(3)
    return y.sum() + v.sum() * 10 + w.sum() * 100


def sibling_view_follows(lib, x):
    y = x * 2
    sibling = y[1:3]
    y[:2].mul_(3)
    return y.sum() + sibling.sum() * 10


def base_changes_view_follows(lib, x):
    y = x * 2
    v = y[:2]
    y.mul_(3)
    return v.sum()


def plain_base_with_a_grad_operand(lib, x):
    b = lib.zeros(4, dtype=x.dtype, device=x.device)
    b[1:3].add_(x[:2] * x[2:])
    return (b * lib.arange(1, 5, dtype=x.dtype, device=x.device)).sum()


def clamp_on_an_unsqueeze(lib, x):
    y = x - 2.5
    y.unsqueeze(0).clamp_(min=0)
    return (y**2).sum()


# (loss, x.grad) for x = [1, 2, 3, 4] in float64, recorded from torch 2.13
EXPECTED = {
    slice_mul_: (32.0, [6.0, 6.0, 2.0, 2.0]),
    setitem_on_a_view: (153.0, [8.0, 0.0, 24.0, 32.0]),
    add_on_a_row_of_a_reshape: (134.0, [12.0, 20.0, 24.0, 32.0]),
    mul_by_a_tensor_on_a_transpose: (329.0, [4.0, 72.0, 48.0, 256.0]),
    exp_on_a_column: (
        3446.3739866665,
        [14.778112197861299, 109.19630006628849, 806.8575869854702, 5961.915974083456],
    ),
    view_of_a_view: (3360.0, [22.0, 666.0, 666.0, 2.0]),
    sibling_view_follows: (212.0, [6.0, 66.0, 22.0, 2.0]),
    base_changes_view_follows: (18.0, [6.0, 6.0, 0.0, 0.0]),
    plain_base_with_a_grad_operand: (30.0, [6.0, 12.0, 2.0, 6.0]),
    clamp_on_an_unsqueeze: (2.5, [0.0, 0.0, 1.0, 3.0]),
}


@pytest.mark.parametrize("case", list(EXPECTED), ids=lambda case: case.__name__)
def test_gradient_through_an_in_place_op_on_a_view(case, device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0, 4.0], dtype=tinyoptim.float64, device=device)
    x.requires_grad_()
    loss = case(tinyoptim, x)
    loss.backward()
    expected_loss, expected_grad = EXPECTED[case]
    assert loss.item() == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(x.grad.tolist(), expected_grad, rtol=1e-12)


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
@pytest.mark.parametrize("case", list(EXPECTED), ids=lambda case: case.__name__)
def test_gradient_matches_torch_live(case):
    grads = []
    for lib in (torch, tinyoptim):
        x = lib.tensor([0.5, -1.5, 2.0, 3.25], dtype=lib.float64, requires_grad=True)
        case(lib, x).backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_nodes_after_an_in_place_op_on_a_view(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, device=device)
    y = x * 2
    v = y[:2]
    assert v._base is y and v._is_view() and not y._is_view()
    assert v.grad_fn.name() == "SliceBackward0"
    v.mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert (v._version, y._version) == (1, 1)  # one counter for the base and its views


def test_a_view_of_a_leaf_refuses_an_in_place_op(device):
    x = tinyoptim.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
        x[:1].mul_(2)
    with tinyoptim.no_grad():  # how optimizers write: allowed, and seen through the leaf
        x[:1].mul_(2)
    assert x.tolist() == [2.0, 2.0]


def test_a_view_made_under_no_grad_refuses_a_recorded_in_place_op(device):
    x = tinyoptim.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2
    with tinyoptim.no_grad():
        v = y[:1]
    with pytest.raises(RuntimeError, match="^A view was created in no_grad mode"):
        v.mul_(2)
    with tinyoptim.no_grad():
        v.mul_(2)
    assert y.tolist() == [4.0, 4.0]


def test_saved_values_changed_through_a_view_are_detected(device):
    x = tinyoptim.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x.exp()
    y[:1].mul_(2)
    with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 1; expected version 0"):
        y.sum().backward()


def test_view_refuses_a_shape_that_needs_a_copy(device):
    x = tinyoptim.zeros((2, 3), device=device)
    with pytest.raises(RuntimeError, match="^view size is not compatible"):
        x.t().view(6)
    assert x.t().reshape(6).shape == (6,)
    assert x.view(3, 2)._base is x


def test_t_as_torch(device):
    m = tinyoptim.tensor([[1.0, 2.0]], device=device)
    assert m.t().tolist() == [[1.0], [2.0]]
    assert tinyoptim.tensor([1.0, 2.0], device=device).t().tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        tinyoptim.zeros((1, 1, 1), device=device).t()


@pytest.mark.parametrize(
    "method, reference",
    [("exp_", np.exp), ("log_", np.log), ("sqrt_", np.sqrt), ("sin_", np.sin),
     ("cos_", np.cos), ("tanh_", np.tanh), ("neg_", np.negative), ("abs_", np.abs),
     ("relu_", lambda a: np.maximum(a, 0)), ("sigmoid_", lambda a: 1 / (1 + np.exp(-a)))],
)  # fmt: skip
def test_unary_in_place_methods(method, reference, device):
    values = np.array([0.25, 1.5, 2.0])
    x = tinyoptim.tensor(values, requires_grad=True, device=device)
    y = x * 1
    assert getattr(y, method)() is y
    np.testing.assert_allclose(y.tolist(), reference(values), rtol=1e-6)
    assert y._version == 1
    y.sum().backward()  # the gradient goes through the op, as the out-of-place one's
    out_of_place = tinyoptim.tensor(values, requires_grad=True, device=device)
    getattr(out_of_place, method.rstrip("_"))().sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), out_of_place.grad.tolist(), rtol=1e-12)


def test_one_element_picked_by_integers_is_a_view(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], dtype=tinyoptim.float64, device=device)
    x.requires_grad_()
    y = x * 1
    y[1].mul_(10)
    (y * y).sum().backward()
    assert y.tolist() == [1.0, 20.0, 3.0] and x.grad.tolist() == [2.0, 400.0, 6.0]
    z = tinyoptim.zeros((2, 3), device=device)
    z[1, 2].fill_(5)
    z[0][0].add_(1)
    assert z.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 5.0]]


@pytest.mark.parametrize("write", ["whole", "slice"])
def test_a_retained_grad_counts_once_after_an_in_place_op(write, device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], dtype=tinyoptim.float64, device=device)
    x.requires_grad_()
    y = x * 1
    y.retain_grad()
    (y if write == "whole" else y[0:2]).mul_(2)
    (y * y).sum().backward()
    assert y.grad.tolist() == ([4.0, 8.0, 12.0] if write == "whole" else [4.0, 8.0, 6.0])


def test_contiguous_flatten_and_node_names_as_torch(device):
    x = tinyoptim.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=device)
    y = x * 1
    assert y.is_contiguous() and y.contiguous() is y
    assert not y.t().is_contiguous() and y.t().contiguous().is_contiguous()
    assert y.t().grad_fn.name() == "TBackward0"
    assert y.t().contiguous().grad_fn.name() == "CloneBackward0"
    flat = y.reshape(4)
    assert flat.flatten() is flat and y.flatten(1, 1) is y
    names = []
    for write in (lambda z: z.zero_(), lambda z: z.fill_(2.0), lambda z: z.copy_(x)):
        z = x * 1
        write(z)
        names.append(z.grad_fn.name())
    assert names == ["ZeroBackward0", "FillBackward2", "CopyBackwards"]


def test_the_modified_in_place_message_names_the_tensor_type_as_torch(device):
    x = tinyoptim.tensor([[1.0, 2.0]], dtype=tinyoptim.float64, requires_grad=True, device=device)
    y = x * 1
    s = y.sin()
    y.zero_()
    with pytest.raises(RuntimeError) as raised:
        s.sum().backward()
    assert "[tinyoptim.DoubleTensor [1, 2]], which is output 0 of Zero, is at version 1" in str(
        raised.value
    )
    assert str(raised.value).endswith(
        "with tinyoptim.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def test_views_and_their_bases_pickle_and_copy(device):
    import copy
    import pickle

    base = tinyoptim.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    view = base[1:]  # the base now keeps a weak reference to it
    for copied in (pickle.loads(pickle.dumps(base)), copy.deepcopy(base)):
        assert copied.tolist() == [1.0, 2.0, 3.0] and copied.requires_grad
    detached = base.detach()[1:]
    for copied in (pickle.loads(pickle.dumps(detached)), copy.deepcopy(detached)):
        assert copied.tolist() == [2.0, 3.0] and copied._base is None  # a tensor of its own
    assert view._base is base


def test_inplace_into_an_expanded_tensor_is_refused_as_in_torch(device):
    x = tinyoptim.zeros(1, 2, device=device)
    e = x.expand(3, 2)
    message = "more than one element of the written-to tensor refers to a single memory location"
    for op in (
        lambda: e.add_(1),
        lambda: e.mul_(2),
        lambda: e.copy_(tinyoptim.ones(3, 2, device=device)),
    ):
        with pytest.raises(RuntimeError, match=message):
            op()
    assert x.tolist() == [[0.0, 0.0]]


def test_an_expand_that_repeats_nothing_is_a_writable_view(device):
    x = tinyoptim.zeros(2, device=device)
    x.expand(1, 2).add_(1)
    x.expand(2).add_(1)
    assert x.tolist() == [2.0, 2.0]
