"""Error paths: the exception type and torch's exact wording, checked against torch too."""

from __future__ import annotations

import importlib
import re
import sys

import numpy as np
import pytest

import tinyoptim
from tests.autograd._lib import tinyoptim_lib
from tests.parity import Lib
from tests.torch_ref import torch

FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: "
)


def _second_backward(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.exp().sum()
    y.backward()
    y.backward()


def _second_grad(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    lib.mod.autograd.grad(y, x)
    lib.mod.autograd.grad(y, x)


def _non_scalar(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2).backward()


def _no_grad_fn(lib):
    lib.tensor(np.array(1.0)).backward()


def _modified_output(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.exp()  # saves its output
    y.add_(1)
    y.sum().backward()


def _modified_input(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 1
    y = h.log()  # saves its input
    h.mul_(2)
    y.sum().backward()


def _leaf_in_place(lib):
    lib.tensor(np.array([1.0, 2.0]), requires_grad=True).add_(1)


def _leaf_in_place_operator(lib):
    x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x *= 2


def _matmul_shapes(lib):
    lib.tensor(np.ones((2, 3))) @ lib.tensor(np.ones((2, 3)))


def _matmul_vectors(lib):
    lib.tensor(np.ones(3)) @ lib.tensor(np.ones(2))


def _matmul_0d(lib):
    lib.tensor(np.ones(())) @ lib.tensor(np.ones(2))


def _numpy_requires_grad(lib):
    lib.tensor(np.ones(2), requires_grad=True).numpy()


def _bool_ambiguous(lib):
    bool(lib.tensor(np.ones(2)))


def _item_of_many(lib):
    lib.tensor(np.ones(2)).item()


def _reshape_invalid(lib):
    lib.tensor(np.ones(6)).reshape(4, -1)


def _dim_out_of_range(lib):
    lib.tensor(np.ones((2, 3))).sum(dim=2)


def _index_out_of_range(lib):
    lib.tensor(np.ones((2, 3)))[2]


def _float_index(lib):
    lib.tensor(np.ones(3))[lib.tensor(np.array([0.0, 1.0]))]


def _cat_sizes(lib):
    lib.mod.cat([lib.tensor(np.ones((2, 3))), lib.tensor(np.ones((2, 2)))])


def _stack_sizes(lib):
    lib.mod.stack([lib.tensor(np.ones(3)), lib.tensor(np.ones(2))])


def _expand_size(lib):
    lib.tensor(np.ones((2, 3))).expand(4, 3)


def _clamp_no_bounds(lib):
    lib.tensor(np.ones(3)).clamp()


def _gradient_shape(lib):
    x = lib.tensor(np.ones(3), requires_grad=True)
    (x * 2).backward(lib.tensor(np.ones(2)))


# (id, program, exception type, message, exact): with exact=False the message is a prefix.
ERRORS = [
    ("second_backward", _second_backward, RuntimeError, FREED, True),
    ("second_grad", _second_grad, RuntimeError, FREED, True),
    ("non_scalar", _non_scalar, RuntimeError, tinyoptim.autograd.engine.NON_SCALAR, True),
    (
        "no_grad_fn",
        _no_grad_fn,
        RuntimeError,
        "element 0 of tensors does not require grad and does not have a grad_fn",
        True,
    ),
    ("modified_output", _modified_output, RuntimeError, MODIFIED, False),
    ("modified_input", _modified_input, RuntimeError, MODIFIED, False),
    (
        "leaf_in_place",
        _leaf_in_place,
        RuntimeError,
        "a leaf Variable that requires grad is being used in an in-place operation.",
        True,
    ),
    (
        "leaf_in_place_operator",
        _leaf_in_place_operator,
        RuntimeError,
        "a leaf Variable that requires grad is being used in an in-place operation.",
        True,
    ),
    (
        "matmul_shapes",
        _matmul_shapes,
        RuntimeError,
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
        True,
    ),
    (
        "matmul_vectors",
        _matmul_vectors,
        RuntimeError,
        "inconsistent tensor size, expected tensor [3] and src [2] to have the same number of "
        "elements, but got 3 and 2 elements respectively",
        True,
    ),
    (
        "matmul_0d",
        _matmul_0d,
        RuntimeError,
        "both arguments to matmul need to be at least 1D, but they are 0D and 1D",
        True,
    ),
    (
        "numpy_requires_grad",
        _numpy_requires_grad,
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        True,
    ),
    (
        "bool_ambiguous",
        _bool_ambiguous,
        RuntimeError,
        "Boolean value of Tensor with more than one value is ambiguous",
        True,
    ),
    (
        "item_of_many",
        _item_of_many,
        RuntimeError,
        "a Tensor with 2 elements cannot be converted to Scalar",
        True,
    ),
    (
        "reshape_invalid",
        _reshape_invalid,
        RuntimeError,
        "shape '[4, -1]' is invalid for input of size 6",
        True,
    ),
    (
        "dim_out_of_range",
        _dim_out_of_range,
        IndexError,
        "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
        True,
    ),
    (
        "index_out_of_range",
        _index_out_of_range,
        IndexError,
        "index 2 is out of bounds for dimension 0 with size 2",
        True,
    ),
    (
        "float_index",
        _float_index,
        IndexError,
        "tensors used as indices must be long, int, byte or bool tensors",
        True,
    ),
    (
        "cat_sizes",
        _cat_sizes,
        RuntimeError,
        "Sizes of tensors must match except in dimension 0. ",
        False,
    ),
    (
        "stack_sizes",
        _stack_sizes,
        RuntimeError,
        "stack expects each tensor to be equal size, but got [3] at entry 0 and [2] at entry 1",
        True,
    ),
    (
        "expand_size",
        _expand_size,
        RuntimeError,
        "The expanded size of the tensor (4) must match the existing size (2) at "
        "non-singleton dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]",
        True,
    ),
    (
        "clamp_no_bounds",
        _clamp_no_bounds,
        RuntimeError,
        "torch.clamp: At least one of 'min' or 'max' must not be None",
        True,
    ),
    (
        "gradient_shape",
        _gradient_shape,
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of ",
        False,
    ),
]


def _check(raised, kind, message, exact):
    assert type(raised.value) is kind
    text = str(raised.value)
    assert text == message if exact else text.startswith(message), text


@pytest.mark.parametrize("row", ERRORS, ids=lambda row: row[0])
def test_error_type_and_message(row, device):
    _, program, kind, message, exact = row
    with pytest.raises(Exception) as raised:
        program(tinyoptim_lib(device))
    _check(raised, kind, message, exact)


@pytest.mark.parametrize("row", ERRORS, ids=lambda row: row[0])
def test_torch_raises_the_same(row):
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    _, program, kind, message, exact = row
    with pytest.raises(Exception) as raised:
        program(Lib(torch))
    _check(raised, kind, message, exact)


def test_modified_message_names_the_op_and_versions(device):
    with pytest.raises(RuntimeError) as raised:
        _modified_output(tinyoptim_lib(device))
    assert "which is output 0 of Exp, is at version 1; expected version 0" in str(raised.value)


def test_modified_message_names_the_tensors_own_maker_as_torch():
    x = tinyoptim.ones(3, requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)  # y is now the output of Add
    with pytest.raises(RuntimeError, match=r"\[3\]\], which is output 0 of Add, is at version 1"):
        z.sum().backward()
    w = tinyoptim.ones(3, 3, requires_grad=True)
    a = tinyoptim.ones(3, 3)
    product = w @ a
    a.mul_(2)  # a leaf: no clause
    with pytest.raises(RuntimeError, match=r"\[3, 3\]\] is at version 1; expected version 0"):
        product.sum().backward()


def test_in_place_on_leaf_is_allowed_under_no_grad(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    with tinyoptim.no_grad():
        x.add_(1)
        x[0] = 5.0
    assert x.is_leaf and x.requires_grad
    np.testing.assert_allclose(x.detach().numpy(), [5.0, 3.0])


def test_mixed_devices_raise():
    a = tinyoptim.tensor([1.0, 2.0], device="cpu")
    b = tinyoptim.tensor([1.0, 2.0], device="strict")
    message = (
        "Expected all tensors to be on the same device, but found at least two devices, "
        "cpu and strict!"
    )
    for op in (
        lambda: a + b,
        lambda: a * b,
        lambda: a @ b,
        lambda: tinyoptim.cat([a, b]),
        lambda: tinyoptim.where(a > 0, a, b),
        lambda: a < b,
    ):
        with pytest.raises(RuntimeError) as raised:
            op()
        assert str(raised.value) == message
    with pytest.raises(RuntimeError, match="found at least two devices, strict and cpu!"):
        b - a
    with pytest.raises(RuntimeError, match="found at least two devices"):
        a.add_(b)


def test_cuda_without_cupy_says_how_to_install(monkeypatch):
    """Runs where CuPy is installed too: its import is made to fail."""
    real_import = importlib.import_module

    def no_cupy(name, *args, **kwargs):
        if name == "cupy" or name.startswith(("cupy.", "cupyx")):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_cupy)
    monkeypatch.setitem(sys.modules, "cupy", None)
    device_module = sys.modules["tinyoptim.backends.device"]  # the module, not the class
    monkeypatch.setattr(device_module, "_backends", {})
    before = tinyoptim.get_default_device()

    assert tinyoptim.cuda.is_available() is False
    for attempt in (
        lambda: tinyoptim.tensor([1.0], device="cuda"),
        lambda: tinyoptim.zeros(2, device="cuda:0"),
        lambda: tinyoptim.tensor([1.0]).cuda(),
        lambda: tinyoptim.set_default_device("cuda"),
    ):
        with pytest.raises(RuntimeError) as raised:
            attempt()
        text = str(raised.value)
        assert text.startswith("cannot use a 'cuda' device: CuPy is not installed"), text
        assert re.search(r"pip install .*gpu", text), text
    assert tinyoptim.get_default_device() == before


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN is the point
def test_detect_anomaly_names_the_op_and_line(device):
    x = tinyoptim.tensor([0.0, 2.0], device=device, requires_grad=True)
    with tinyoptim.autograd.detect_anomaly():
        y = x.log()  # the line the error must point at
        with pytest.raises(RuntimeError) as raised:
            (y * 0).sum().backward()
    text = str(raised.value)
    assert text.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert "test_errors.py" in text and "y = x.log()  # the line the error must point at" in text


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN is the point
def test_detect_anomaly_reports_inf_and_is_scoped(device):
    x = tinyoptim.tensor([0.0, 1.0], device=device, requires_grad=True)
    with tinyoptim.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned inf values"):
            x.sqrt().sum().backward()
    assert not tinyoptim.autograd.anomaly.is_anomaly_enabled()
    x.sqrt().sum().backward()  # outside the block: no check, the inf is simply kept
    assert np.isinf(x.grad.numpy()[0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN is the point
def test_detect_anomaly_as_decorator(device):
    @tinyoptim.autograd.detect_anomaly()
    def run():
        x = tinyoptim.tensor([-1.0], device=device, requires_grad=True)
        x.sqrt().sum().backward()

    with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
        run()


def test_gradient_lists_are_checked_as_torch():
    x = tinyoptim.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        tinyoptim.autograd.grad([x * 2, x * 3], x, grad_outputs=[tinyoptim.ones(3)])
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        tinyoptim.autograd.backward([x * 2, x * 3], [tinyoptim.ones(3)])
    with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got float"):
        (x * 2).backward([1.0, 1.0, 1.0])
    assert x.grad is None


def test_messages_and_edges_from_torch():
    x = tinyoptim.ones(3, requires_grad=True)
    unused = tinyoptim.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not"):
        tinyoptim.autograd.grad((x * 2).sum(), [x, unused])
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype"):
        tinyoptim.zeros(2, dtype=tinyoptim.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require"):
        tinyoptim.zeros(2, dtype=tinyoptim.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="dtype. Got: Long$"):
        tinyoptim.ones(2, dtype=tinyoptim.int64).mean()
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size"):
        tinyoptim.ones(3) == tinyoptim.ones(2)  # noqa: B015
    assert (tinyoptim.ones(3) == None) is False  # noqa: E711
    assert (tinyoptim.ones(3) != None) is True  # noqa: E711
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        tinyoptim.ones(2, 3).sum((0, 0))


def test_numpy_integers_count_as_python_ints():
    x = tinyoptim.ones(2, 3)
    assert x.sum(np.int64(0)).shape == (3,) and x.transpose(np.int64(0), 1).shape == (3, 2)
    assert tinyoptim.cat([x, x], np.int64(1)).shape == (2, 6)
    assert x.sum(dim=tinyoptim.tensor(1)).shape == (2,)
    assert tinyoptim.arange(np.int64(3)).dtype == tinyoptim.int64
    assert tinyoptim.arange(tinyoptim.tensor(3)).dtype == tinyoptim.int64
    assert tinyoptim.full((2,), np.int64(2)).dtype == tinyoptim.int64
