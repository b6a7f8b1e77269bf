"""The strict device refuses every implicit trip to the host, as a CuPy array does."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinyoptim
from tinyoptim.backends.strict_backend import IMPLICIT, StrictArray

MIXED = "a strict-device array cannot be mixed with a host NumPy array"


@pytest.fixture
def strict():
    return tinyoptim.tensor([[1.0, 2.0], [3.0, 4.0]], device="strict")


@pytest.mark.parametrize(
    "exit_",
    [
        np.asarray,
        np.array,
        lambda a: a.tolist(),
        lambda a: a.item(),
        lambda a: a[0, 0].tolist(),
        lambda a: float(a[0, 0]),
        lambda a: int(a[0, 0]),
        lambda a: bool(a[0, 0]),
        lambda a: operator.index(a[0, 0]),
        lambda a: complex(a[0, 0]),
        lambda a: float(a.sum()),  # a 0-d result refuses too
        lambda a: bool((a > 0).all()),
        lambda a: a.tobytes(),
    ],
)
def test_raw_array_refuses_implicit_exits(strict, exit_):
    assert type(strict.data) is StrictArray
    with pytest.raises(TypeError) as raised:
        exit_(strict.data)
    assert str(raised.value) == IMPLICIT


@pytest.mark.parametrize(
    "mix",
    [
        lambda a, h: a + h,
        lambda a, h: h + a,
        lambda a, h: a * h,
        lambda a, h: h @ a,
        lambda a, h: a < h,
        lambda a, h: a.__setitem__(0, h[0]),
        lambda a, h: a.__iadd__(h),
    ],
)
def test_raw_array_refuses_mixing_with_ndarray(strict, mix):
    with pytest.raises(TypeError, match=MIXED):
        mix(strict.data, np.ones((2, 2)))


def test_numpy_functions_on_raw_arrays_are_refused(strict):
    with pytest.raises(TypeError, match="numpy.sum was called on a strict-device array"):
        np.sum(strict.data)
    with pytest.raises(TypeError, match="numpy.concatenate was called on a strict-device"):
        np.concatenate([strict.data, strict.data])


def test_tensor_refuses_implicit_host_conversion(strict):
    with pytest.raises(TypeError, match="can't convert strict device type tensor to numpy"):
        np.asarray(strict)
    with pytest.raises(RuntimeError, match="found at least two devices, strict and cpu!"):
        strict + np.ones((2, 2))
    with pytest.raises(Exception):  # noqa: B017 - no zero-copy exchange with host NumPy
        np.from_dlpack(strict)


def test_explicit_crossings_work(strict):
    assert strict.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(strict.numpy(), np.ndarray)
    assert strict.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert strict[1, 0].item() == 3.0
    assert float(strict[0, 1]) == 2.0 and int(strict[0, 1]) == 2 and bool(strict[0, 1])
    cpu = strict.cpu()
    assert cpu.device == "cpu" and type(cpu.data) is np.ndarray
    assert repr(strict) == "tensor([[1., 2.],\n        [3., 4.]], device='strict')"
    back = cpu.to("strict")
    assert type(back.data) is StrictArray and back.tolist() == strict.tolist()


def test_numpy_of_strict_is_a_copy(strict):
    host = strict.numpy()
    host[0, 0] = 100.0
    assert strict[0, 0].item() == 1.0


def test_host_data_enters_through_tensor(strict):
    moved = tinyoptim.tensor(np.ones((2, 2)), device="strict")
    assert type(moved.data) is StrictArray
    assert (strict + moved).tolist() == [[2.0, 3.0], [4.0, 5.0]]
    assert (strict + 1.5).device == "strict"
    assert type((strict * 2).sum().data) is StrictArray  # 0-d results stay wrapped


def test_backend_namespace_wraps_results():
    backend = tinyoptim.device("strict").backend
    xp = backend.xp
    a = backend.from_host(np.arange(6.0).reshape(2, 3))
    for result in (xp.exp(a), xp.sum(a, axis=0), xp.where(a > 2, a, 0.0), xp.maximum(a, 1.0)):
        assert type(result) is StrictArray
    target = xp.zeros(3)
    backend.scatter_add(target, backend.asarray([0, 0, 2]), backend.asarray([1.0, 2.0, 3.0]))
    assert backend.to_host(target).tolist() == [3.0, 0.0, 3.0]
    assert backend.is_array(a) and not backend.is_array(np.ones(2))
    assert backend.to_host(backend.erf(backend.asarray([0.0]))).tolist() == [0.0]


def test_whole_training_step_runs_on_strict():
    """A forward/backward/update cycle never needs an implicit host copy."""
    tinyoptim.manual_seed(0)
    w = tinyoptim.randn(3, 2, device="strict", requires_grad=True)
    x = tinyoptim.randn(4, 3, device="strict")
    target = tinyoptim.tensor([0, 1, 1, 0], device="strict")
    for _ in range(3):
        logits = x @ w
        loss = -logits.log_softmax(dim=1)[tinyoptim.arange(4, device="strict"), target].mean()
        w.grad = None
        loss.backward()
        with tinyoptim.no_grad():
            w -= 0.1 * w.grad
    assert type(w.data) is StrictArray and np.isfinite(loss.item())
