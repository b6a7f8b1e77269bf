"""The backward engine: ordering, accumulation, retained graphs, ``autograd.grad``."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tinyoptim.autograd import Function


def _t(values, device, requires_grad=True):
    return tinyoptim.tensor(values, dtype="float64", device=device, requires_grad=requires_grad)


def test_long_chain_needs_no_recursion(device):
    """A 100,000-op chain: the topological walk uses an explicit stack."""
    x = _t(1.0, device)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_leaf_grad_accumulates_in_place(device):
    x = _t([1.0, 2.0, 3.0], device)
    (x * x).sum().backward()
    grad, array = x.grad, x.grad.data
    (x * 3).sum().backward()
    assert x.grad is grad and x.grad.data is array
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])


def test_grad_that_is_a_view_stays_one(device):
    """The engine adds into an existing grad, so a grad viewing a flat buffer keeps it."""
    x = _t([1.0, 2.0], device)
    flat = tinyoptim.zeros(4, dtype="float64", device=device)
    x.grad = tinyoptim.Tensor._make(flat.data[1:3], x.device)
    (x * 2).sum().backward()
    np.testing.assert_allclose(flat.numpy(), [0.0, 2.0, 2.0, 0.0])


def test_self_product_and_diamond_accumulate(device):
    x = _t([0.5, -2.0], device)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -4.0])

    x = _t(0.3, device)
    a, b = x.exp(), x.sin()
    (a * b + a + b).backward()  # each path from x reaches the output more than once
    value = 0.3
    expected = (
        np.exp(value) * np.sin(value) + np.exp(value) * np.cos(value) + np.exp(value)
    ) + np.cos(value)
    assert x.grad.item() == pytest.approx(expected, rel=1e-14)


def test_node_runs_once_after_all_consumers(device):
    calls = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, grad):
            calls.append(grad.copy())
            return grad

    x = _t([1.0, 2.0], device)
    y = Record.apply(x)
    (y * 2 + y.exp() + y).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), 3 + np.exp([1.0, 2.0]))


def test_retain_graph_allows_a_second_backward(device):
    x = _t([1.0, 2.0], device)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_saved_arrays_are_freed_after_backward(device):
    x = _t([1.0, 2.0], device)
    y = x.exp()
    y.sum().backward()
    assert y.grad_fn.saved is None


def test_backward_with_gradient_argument(device):
    x = _t([[1.0, 2.0], [3.0, 4.0]], device)
    y = x * x
    y.backward(_t([[1.0, 0.0], [0.5, -1.0]], device, requires_grad=False))
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 0.0], [3.0, -8.0]])


def test_backward_inputs_restricts_accumulation(device):
    x, w = _t([1.0, 2.0], device), _t([3.0, 4.0], device)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


def test_retain_grad_keeps_non_leaf_grad(device):
    x = _t([1.0, 2.0], device)
    y = x * 3
    y.retain_grad()
    z = y * y
    z.sum().backward()
    assert y.retains_grad and not z.retains_grad
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    with pytest.warns(UserWarning, match="of a Tensor that is not a leaf Tensor is being"):
        assert z.grad is None  # torch warns too: retain_grad() is what fills it


def test_retain_grad_requires_grad(device):
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        _t([1.0], device, requires_grad=False).retain_grad()


def test_detach_cuts_the_graph_and_shares_data(device):
    x = _t([1.0, 2.0], device)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    y = x * 1
    alias = y.detach()
    alias.data[0] = 7.0  # a detached tensor shares memory with its source
    assert y.detach().numpy()[0] == 7.0
    assert alias._version == y._version


def test_detach_shares_version_counter(device):
    x = _t([1.0, 2.0], device, requires_grad=False)
    d = x.detach()
    d.add_(1.0)
    assert x._version == d._version == 1
    np.testing.assert_allclose(x.numpy(), [2.0, 3.0])


def test_requires_grad_flags(device):
    x = _t([1.0], device, requires_grad=False)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    assert (y.detach() * 2).grad_fn is None
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        tinyoptim.tensor([1, 2], device=device).requires_grad_()


def test_inputs_without_grad_get_none(device):
    x = _t([1.0, 2.0], device)
    c = _t([3.0, 4.0], device, requires_grad=False)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_autograd_grad_leaves_dot_grad_alone(device):
    x = _t([1.0, 2.0], device)
    w = _t([0.5, -1.0], device)
    y = (x * x * w).sum()
    gx, gw = tinyoptim.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [1.0, -4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 4.0])
    assert x.grad is None and w.grad is None
    assert gx.device == x.device


def test_autograd_grad_of_intermediate_and_grad_outputs(device):
    x = _t([1.0, 2.0], device)
    h = x * 2
    y = h.exp()
    (gh,) = tinyoptim.autograd.grad(y, h, grad_outputs=_t([1.0, 0.5], device, False))
    np.testing.assert_allclose(gh.numpy(), [np.exp(2.0), 0.5 * np.exp(4.0)])


def test_autograd_grad_unused_inputs(device):
    x, unused = _t([1.0], device), _t([2.0], device)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tinyoptim.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = tinyoptim.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_autograd_grad_retain_graph(device):
    x = _t([1.0, 2.0], device)
    y = (x.sin() * x).sum()
    first = tinyoptim.autograd.grad(y, x, retain_graph=True)[0].numpy()
    second = tinyoptim.autograd.grad(y, x)[0].numpy()
    np.testing.assert_array_equal(first, second)


def test_shape_check_names_the_op(device):
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad.reshape(1)

    x = _t([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward0 returned an invalid grad"):
        BadShape.apply(x).backward()


def test_custom_function_sees_needs_grad(device):
    seen = []

    class Pair(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.needs_grad)
            return grad if ctx.needs_grad[0] else None, grad if ctx.needs_grad[1] else None

    x, c = _t([1.0], device), _t([2.0], device, requires_grad=False)
    Pair.apply(x, c).sum().backward()
    assert seen == [(True, False)]


def test_version_counter_counts_in_place_ops(device):
    x = _t([1.0, 2.0], device, requires_grad=False)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    x[0] = 5.0
    x.zero_()
    assert x._version == 4
    y = x * 2  # out-of-place ops leave it alone
    assert x._version == 4 and y._version == 0


def test_gradient_dtype_follows_the_input(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * 0.5).sum().backward()
    assert x.grad.dtype == tinyoptim.float32


@pytest.mark.parametrize("later, expected", [("y * 3", 3.0), ("y + 1", 1.0), ("y.sin()", None)])
def test_an_op_reads_the_value_before_a_later_in_place_op(later, expected, device):
    """z's gradient flows to the y it read (x * 1), not through the mul_ that came after;
    where z saved y itself, torch's modified-in-place error is raised instead."""
    x = tinyoptim.ones(3, requires_grad=True, device=device)
    y = x * 1
    z = eval(later, {"y": y})
    y.mul_(2)
    if expected is None:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
        return
    z.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [expected] * 3
    y.sum().backward()  # and y's own graph now goes through mul_
    assert x.grad.tolist() == [expected + 2.0] * 3


def test_torchs_other_backward_and_grad_arguments(device):
    x = tinyoptim.ones(2, device=device, requires_grad=True)
    y = tinyoptim.ones(2, device=device, requires_grad=True)
    gx, gy = tinyoptim.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert gx.tolist() == [2.0, 2.0] and gy.tolist() == [0.0, 0.0]
    assert tinyoptim.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)[1] is None
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed"):
        tinyoptim.autograd.grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True)
    with pytest.raises(NotImplementedError, match="higher-order gradients are out of scope"):
        (x * 2).sum().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="create_graph=True is not supported"):
        tinyoptim.autograd.grad((x * 2).sum(), x, create_graph=True)
    with pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
        tinyoptim.autograd.backward(
            (x * 3).sum(), grad_variables=tinyoptim.tensor(2.0, device=device)
        )
    assert x.grad.tolist() == [6.0, 6.0]
    (x * y).sum().backward(inputs=[y])
    assert x.grad.tolist() == [6.0, 6.0] and y.grad.tolist() == [1.0, 1.0]
