"""Result dtypes of binary ops on two tensors, torch's rules rather than NumPy's.

Two differences matter: an integer meeting a float gives that float (NumPy widens int64
with float32 to float64), and a 0-d tensor only counts when its category (bool < integer <
float) is above the other operand's (NumPy 2 lets a 0-d float64 array widen float32).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch

DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]
SHAPES = [((2,), ()), ((), (2,)), ((2,), (2,)), ((), ())]
OPS = {
    "add": lambda lib, x, y: x + y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "where": lambda lib, x, y: lib.where(lib.ones(2, dtype=lib.bool, device=DEVICE), x, y),
}
DEVICE = "cpu"

# (dtype a, shape a, dtype b, shape b) -> torch's result dtype, written out
EXPECTED = [
    ("float32", (2,), "float64", (), "float32"),  # a 0-d float64 does not widen float32
    ("float32", (2,), "int64", (), "float32"),
    ("int32", (2,), "int64", (), "int32"),  # nor a 0-d int64 an int32
    ("int64", (2,), "float64", (), "float64"),  # a higher category does count
    ("bool", (2,), "int32", (), "int32"),
    ("float16", (2,), "float32", (), "float16"),
    ("int64", (2,), "float32", (2,), "float32"),  # integer with float: the float
    ("int32", (2,), "float16", (2,), "float16"),
    ("uint8", (2,), "int32", (2,), "int32"),
    ("float32", (2,), "float64", (2,), "float64"),
    ("float64", (), "float32", (), "float64"),  # two 0-d: plain promotion
]


def _pair(lib, a, shape_a, b, shape_b):
    x = lib.ones(shape_a, dtype=getattr(lib, a), device=DEVICE)
    y = lib.ones(shape_b, dtype=getattr(lib, b), device=DEVICE)
    return x, y


@pytest.mark.parametrize("a, shape_a, b, shape_b, expected", EXPECTED)
@pytest.mark.parametrize("op", ["add", "mul", "maximum", "where"])
def test_result_dtype(op, a, shape_a, b, shape_b, expected):
    x, y = _pair(tinyoptim, a, shape_a, b, shape_b)
    assert OPS[op](tinyoptim, x, y).dtype == getattr(tinyoptim, expected)


def test_the_values_are_computed_in_the_result_dtype():
    x = tinyoptim.tensor([0.1, 0.2], dtype=tinyoptim.float32)
    third = tinyoptim.tensor(1 / 3, dtype=tinyoptim.float64)
    product = x * third  # float32 arithmetic: the 0-d float64 is cast first
    expected = tinyoptim.tensor([0.1, 0.2]) * tinyoptim.tensor(1 / 3)
    assert product.tolist() == expected.tolist()


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
def test_every_pair_matches_torch():
    for (a, b), (shape_a, shape_b), op in itertools.product(
        itertools.product(DTYPES, DTYPES), SHAPES, OPS
    ):
        if op == "div" and "bool" in (a, b):
            continue
        ours = OPS[op](tinyoptim, *_pair(tinyoptim, a, shape_a, b, shape_b)).dtype
        theirs = OPS[op](torch, *_pair(torch, a, shape_a, b, shape_b)).dtype
        assert str(ours).split(".")[1] == str(theirs).split(".")[1], (op, a, shape_a, b, shape_b)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_float_functions_of_integers_give_the_default_dtype(op, dtype):
    x = tinyoptim.tensor([1, 0], dtype=getattr(tinyoptim, dtype), device=DEVICE)
    y = getattr(x, op)()
    assert y.dtype == tinyoptim.float32
    assert np.allclose(
        y.tolist(),
        getattr(np, op if op != "sigmoid" else "tanh")(np.array([1.0, 0.0]))
        if op != "sigmoid"
        else 1 / (1 + np.exp(-np.array([1.0, 0.0]))),
    )


def test_cat_stack_where_and_numpy_scalars_promote_as_torch():
    f32, i64 = (
        tinyoptim.ones(1, device=DEVICE),
        tinyoptim.ones(1, dtype=tinyoptim.int64, device=DEVICE),
    )
    assert tinyoptim.cat([f32, i64]).dtype == tinyoptim.float32
    assert tinyoptim.stack([i64, f32]).dtype == tinyoptim.float32
    condition = tinyoptim.tensor([True, False], device=DEVICE)
    assert tinyoptim.where(condition, 1.0, 0.0).dtype == tinyoptim.float32
    assert (f32 + np.float64(0.5)).dtype == tinyoptim.float32  # a NumPy scalar is a number


@pytest.mark.parametrize(
    "dtype, op, message",
    [
        (
            "int64",
            lambda t: t.add_(1.5),
            "result type Float can't be cast to the desired output type Long",
        ),
        (
            "int64",
            lambda t: t.mul_(0.5),
            "result type Float can't be cast to the desired output type Long",
        ),
        (
            "bool",
            lambda t: t.add_(1),
            "result type Long can't be cast to the desired output type Bool",
        ),
    ],
)
def test_in_place_ops_refuse_to_truncate(dtype, op, message):
    t = tinyoptim.ones(3, dtype=getattr(tinyoptim, dtype), device=DEVICE)
    with pytest.raises(RuntimeError, match=message):
        op(t)
    assert t.tolist() == [1, 1, 1]  # nothing was written
    t[0] = 2.7  # assignment casts, as in torch
    assert t.tolist()[0] == (2 if dtype == "int64" else True)


def test_floor_division_and_remainder_round_down_as_python():
    ints = tinyoptim.tensor([5, -3], device=DEVICE)
    assert (ints // 2).tolist() == [2, -2] and (ints % 2).tolist() == [1, 1]
    assert (7 // tinyoptim.tensor([2, -2], device=DEVICE)).tolist() == [3, -4]
    assert (7 % tinyoptim.tensor([2, -2], device=DEVICE)).tolist() == [1, -1]
    assert (ints // 2.0).dtype == tinyoptim.float32
    a = tinyoptim.tensor([5.5, -3.2], requires_grad=True, device=DEVICE)
    b = tinyoptim.tensor([2.0, 2.0], requires_grad=True, device=DEVICE)
    (a % b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [-2.0, 2.0]
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        (a // b).sum().backward()


def test_fill_and_copy_keep_a_non_leaf_in_the_graph():
    x = tinyoptim.ones(3, requires_grad=True, device=DEVICE)
    y = x * 2
    y.zero_()
    assert y.requires_grad
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]  # only through the "+ x": y's old value got 0


def test_bool_tensors_refuse_minus_and_allow_reflected_logic():
    mask = tinyoptim.tensor([True, False], device=DEVICE)
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        mask - mask
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        1 - mask
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        mask.neg()
    assert (True & mask).tolist() == [True, False] and (False | mask).tolist() == [True, False]


def test_slices_step_forward_and_empty_lists_select_nothing():
    x = tinyoptim.ones(3, device=DEVICE)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    assert x[[]].shape == (0,)
