"""Small parts of torch's Tensor surface: type names and conversions, device predicates,
sizes in bytes, torch's alternative method names, and nan_to_num."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch


@pytest.mark.parametrize(
    "dtype, name",
    [("float32", "Float"), ("float64", "Double"), ("float16", "Half"), ("int64", "Long"),
     ("int32", "Int"), ("bool", "Bool")],
)  # fmt: skip
def test_type_names_and_conversions(dtype, name, device):
    x = tinyoptim.zeros(2, 3, dtype=dtype, device=device)
    place = "cuda." if x.device.type == "cuda" else ""
    assert x.type() == f"tinyoptim.{place}{name}Tensor"
    assert x.type(tinyoptim.float64).dtype == tinyoptim.float64
    assert x.type(f"tinyoptim.{name}Tensor").dtype == x.dtype
    assert x.float().type("torch.LongTensor").dtype == tinyoptim.int64  # torch's spelling
    if torch is not None:
        assert torch.zeros(2, dtype=getattr(torch, dtype)).type() == f"torch.{name}Tensor"


def test_type_conversion_keeps_the_graph(device):
    x = tinyoptim.ones(2, device=device, requires_grad=True)
    (x.type(tinyoptim.float64) * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and x.grad.dtype == tinyoptim.float32


def test_sizes_and_device_predicates(device):
    x = tinyoptim.zeros(2, 3, dtype=tinyoptim.float64, device=device)
    assert (x.nbytes, x.itemsize, x.ndimension()) == (48, 8, 2)
    assert x.is_cuda == (x.device.type == "cuda")
    assert x.is_cpu == (x.device.type == "cpu")
    assert x.get_device() == (x.device.index if x.is_cuda else -1)


def test_alternative_names(device):
    a = tinyoptim.tensor([1.0, -2.0, 3.0], device=device)
    b = tinyoptim.tensor([2.0, -2.0, 1.0], device=device)
    pairs = [
        (a.multiply(b), a * b), (a.subtract(b, alpha=2), a - 2 * b), (a.divide(b), a / b),
        (a.absolute(), a.abs()), (a.negative(), -a), (a.positive(), a),
        (a.greater(b), a > b), (a.greater_equal(b), a >= b), (a.less(b), a < b),
        (a.less_equal(b), a <= b), (a.not_equal(b), a != b),
    ]  # fmt: skip
    for got, expected in pairs:
        assert got.tolist() == expected.tolist()
    assert a.divide(b, rounding_mode="floor").tolist() == [0.0, 1.0, 3.0]
    assert a.allclose(a + 1e-9) and not a.equal(b) and a.isclose(b).tolist() == [
        False, True, False
    ]  # fmt: skip


def test_nan_to_num_values_and_gradient(device):
    values = [math.nan, math.inf, -math.inf, 1.5]
    x = tinyoptim.tensor(values, dtype=tinyoptim.float32, device=device, requires_grad=True)
    y = x.nan_to_num()
    big = float(np.finfo(np.float32).max)
    assert y.tolist() == [0.0, big, -big, 1.5]
    assert y.grad_fn.name() == "NanToNumBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert tinyoptim.nan_to_num(x, nan=2.0, posinf=3.0, neginf=-4.0).tolist() == [
        2.0, 3.0, -4.0, 1.5
    ]  # fmt: skip
    ints = tinyoptim.tensor([1, 2], device=device)
    assert ints.nan_to_num().tolist() == [1, 2] and ints.nan_to_num().dtype == tinyoptim.int64
    if torch is not None:
        t = torch.tensor(values, requires_grad=True)
        t.nan_to_num(nan=2.0).sum().backward()
        assert x.nan_to_num(nan=2.0).tolist() == t.nan_to_num(nan=2.0).tolist()
        assert t.grad.tolist() == x.grad.tolist()
