"""The fast paths of the engine and the ops: each gives what the plain path gave.

``nn.functional.linear`` as one op, operands saved only for the gradients that need them
(torch's version-counter behaviour), leaf gradients kept without a copy only when nothing
else holds them, gradients summed in place, the order of nodes by creation (in-place ops
included), matrix gradients in their input's layout, and lazily made version counters.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn.functional as F
from tests.torch_ref import torch
from tinyoptim.autograd.function import MODIFIED_INPLACE

MODIFIED = MODIFIED_INPLACE.split(":")[0]


def _t(values, device, requires_grad=True, dtype="float64"):
    return tinyoptim.tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def _grads(*tensors):
    return [t.grad.numpy().copy() for t in tensors]


# -- nn.functional.linear as one op ------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, bias", [((4, 3), True), ((4, 3), False), ((2, 5, 3), True), ((3,), True)]
)
def test_linear_matches_its_composition(device, x_shape, bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((6, 3)), rng.standard_normal(6)]
    upstream = rng.standard_normal(x_shape[:-1] + (6,))

    def run(fused):
        x, w, b = (_t(a, device) for a in arrays)
        b = b if bias else None
        y = F.linear(x, w, b) if fused else (x @ w.T if b is None else x @ w.T + b)
        (y * _t(upstream, device, False)).sum().backward()
        return y.detach().numpy(), _grads(*(t for t in (x, w, b) if t is not None))

    (y_fused, grads_fused), (y_plain, grads_plain) = run(True), run(False)
    np.testing.assert_allclose(y_fused, y_plain, rtol=1e-12, atol=1e-12)
    for fused, plain in zip(grads_fused, grads_plain):
        np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)


def test_linear_is_one_node_and_keeps_float32(device):
    layer = tinyoptim.nn.Linear(3, 2, device=device)
    y = layer(tinyoptim.randn(4, 3, device=device))
    assert y.grad_fn.name() == "AddmmBackward0" and y.dtype == tinyoptim.float32
    y.sum().backward()
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == tinyoptim.float32


def test_linear_with_an_unusual_bias_falls_back_to_broadcasting(device):
    x, w = _t(np.ones((2, 3)), device), _t(np.ones((4, 3)), device)
    b = _t(np.arange(8.0).reshape(2, 4), device)  # not (out_features,): plain broadcasting
    F.linear(x, w, b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.ones((2, 4)))
    np.testing.assert_allclose(w.grad.numpy(), np.full((4, 3), 2.0))


def test_linear_refuses_what_matmul_refuses(device):
    x = _t(np.ones((2, 3)), device, dtype="float32")
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5"
    ):
        F.linear(x, _t(np.ones((5, 4)), device, dtype="float32"))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        F.linear(x, _t(np.ones((5, 3)), device))


# -- what forward saves, and the version checks that follow -------------------------------


def _in_place_after_forward(lib, which):
    """``y = h * c`` (or ``linear(c, w)``), then one operand changed in place before backward.

    Each op keeps an operand only for the other's gradient, as torch does, so changing an
    operand whose partner needs no gradient is allowed.
    """
    x = lib.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    c = lib.tensor(np.array([[3.0, 4.0]]))
    if which == "linear_weight":  # only the weight needs a gradient: it is not saved
        y = lib.nn.functional.linear(c, x)
        with lib.no_grad():
            x.mul_(2)
    else:
        h = x * 1
        y = h * c
        (h if which == "mul_unsaved" else c).mul_(2)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("which", ["mul_unsaved", "linear_weight"])
def test_changing_an_operand_no_gradient_needs_is_allowed(device, which):
    lib = _Lib(device)
    assert _in_place_after_forward(lib, which) is not None
    if torch is not None:
        assert _in_place_after_forward(_Lib(None, torch), which) is not None


def test_changing_a_saved_operand_raises(device):
    with pytest.raises(RuntimeError, match=MODIFIED):
        _in_place_after_forward(_Lib(device), "mul_saved")
    if torch is not None:
        with pytest.raises(RuntimeError, match=MODIFIED):
            _in_place_after_forward(_Lib(None, torch), "mul_saved")


class _Lib:
    """tinyoptim on one device, or torch, behind the few names the programs above use."""

    def __init__(self, device, mod=tinyoptim):
        self.mod, self.device = mod, device
        self.nn, self.no_grad = mod.nn, mod.no_grad

    def tensor(self, array, requires_grad=False):
        if self.mod is tinyoptim:
            return tinyoptim.tensor(array, device=self.device, requires_grad=requires_grad)
        return self.mod.tensor(array, requires_grad=requires_grad)


# -- leaf gradients: adopted only when nothing else holds them ----------------------------


def test_a_gradient_sent_to_two_leaves_is_copied_for_each(device):
    x, y = _t([1.0, 2.0], device), _t([3.0, 4.0], device)
    (x + y).sum().backward()  # Add hands the same array to both inputs
    assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
    x.grad.data[0] = 10.0
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])


def test_user_gradient_is_not_kept_as_grad(device):
    x = _t([1.0, 2.0], device)
    seed = _t([5.0, 6.0], device, False)
    x.backward(seed)  # a leaf as the root: its gradient is the seed itself
    seed.data[0] = 0.0
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 6.0])


def test_matmul_gradients_are_kept_without_a_copy_and_stay_separate(device):
    a, b = _t(np.ones((2, 2)), device), _t(np.full((2, 2), 2.0), device)
    (a @ b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 2), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((2, 2), 2.0))


def test_sums_made_in_place_survive_a_second_backward(device):
    """Three contributions meet in one node and in one leaf; retain_graph runs it twice."""
    x = _t([0.5, -1.5], device)
    h = x * 2
    y = (h * h + h.exp() + h.sin() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-14)
    v = np.array([0.5, -1.5])
    expected = 8 * v + 2 * np.exp(2 * v) + 2 * v * np.cos(2 * v) + np.sin(2 * v)
    np.testing.assert_allclose(first, expected, rtol=1e-13)


def test_captured_intermediate_gradient_is_not_changed_afterwards(device):
    x = _t([1.0, 2.0], device)
    h = x * 3
    y = (h * h + h).sum()  # two contributions to h, summed by the engine
    gh, gx = tinyoptim.autograd.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [7.0, 13.0])
    np.testing.assert_allclose(gx.numpy(), [21.0, 39.0])


# -- the order of nodes: by creation, in-place ops included -------------------------------


def test_in_place_op_in_the_middle_of_a_graph(device):
    x = _t([0.1, 0.4], device)
    h = x * 2
    e = h.exp()  # saves its output, not h
    h.add_(1)  # h is now a new node, made after e's
    (h * e).sum().backward()
    v = np.array([0.1, 0.4])
    expected = 2 * np.exp(2 * v) + (2 * v + 1) * 2 * np.exp(2 * v)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-13)


def test_graphs_built_in_two_threads_backward_independently(device):
    results = {}

    def work(name, scale):
        x = _t([1.0, 2.0], device)
        y = x
        for _ in range(200):
            y = y * 1.0 + 0.0
        (y * scale).sum().backward()
        results[name] = x.grad.numpy()

    threads = [threading.Thread(target=work, args=(i, float(i + 1))) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_allclose(results[0], [1.0, 1.0])
    np.testing.assert_allclose(results[1], [2.0, 2.0])


# -- matrix gradients in their input's layout ----------------------------------------------


def test_gradient_of_a_transposed_weight_is_row_major(device):
    x, w = _t(np.arange(6.0).reshape(2, 3), device), _t(np.ones((4, 3)), device)
    (x @ w.T).sum().backward()
    grad = w.grad.numpy()
    assert grad.flags.c_contiguous
    np.testing.assert_allclose(grad, np.tile(x.detach().numpy().sum(0), (4, 1)))
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 4.0))


def test_transposed_left_operand(device):
    a, b = _t(np.arange(6.0).reshape(3, 2), device), _t(np.arange(6.0).reshape(3, 2), device)
    (a.T @ b).sum().backward()  # a.T is column-major
    assert a.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(a.grad.numpy(), np.tile(b.detach().numpy().sum(1), (2, 1)).T)
    np.testing.assert_allclose(b.grad.numpy(), np.tile(a.detach().numpy().sum(1), (2, 1)).T)


# -- broadcasting shortcuts -----------------------------------------------------------------


def test_scalar_and_zero_d_operands_get_their_own_shapes(device):
    s, v = _t(2.0, device), _t([1.0, 2.0, 3.0], device)
    (s * v + v * 0.5 - 1).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 6.0
    np.testing.assert_allclose(v.grad.numpy(), [2.5, 2.5, 2.5])


def test_integer_tensor_meets_float_scalar(device):
    n = tinyoptim.tensor([1, 2], device=device)
    assert (n * 1.5).dtype == tinyoptim.float32 and (n / 2).dtype == tinyoptim.float32
    assert (n + 1).dtype == tinyoptim.int64


# -- version counters, made when first needed ------------------------------------------------


def test_version_counters_are_shared_once_made(device):
    x = _t([1.0, 2.0], device, False)
    assert x._version == 0
    alias = x.detach()
    p = tinyoptim.nn.Parameter(x)
    alias.add_(1)
    assert x._version == alias._version == p._version == 1
    y = x * 2
    assert y._version == 0


@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_gradient_reaching_a_tensor_three_times_is_summed_three_times(shape, device):
    # The engine adds into sums it made itself; a 0-d sum must stay an array it can update.
    x = tinyoptim.ones(shape, dtype=tinyoptim.float64, device=device, requires_grad=True)
    (x + (x + x)).sum().backward()
    y = x * 2.0
    (y + (y + y)).sum().backward()
    assert x.grad.tolist() == ([9.0] * 3 if shape else 9.0)
