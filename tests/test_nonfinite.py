"""Non-finite values: anomaly mode names the op inside a model; clip_grad_norm_ refuses them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim import nn


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN is the point
def test_detect_anomaly_names_the_op_inside_a_model(device):
    tinyoptim.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
    opt = tinyoptim.optim.SGD(model.parameters(), lr=0.1)
    x = tinyoptim.randn(5, 4, device=device)
    with tinyoptim.autograd.detect_anomaly():
        out = model(x)
        loss = out.sqrt().sum()  # negative outputs: the gradient of sqrt is NaN
        with pytest.raises(RuntimeError) as raised:
            loss.backward()
    text = str(raised.value)
    assert text.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "loss = out.sqrt().sum()" in text  # where the op was created
    assert all(p.grad is None for p in model.parameters())  # stopped before the layers
    opt.zero_grad()


def test_torch_names_the_same_op():
    if torch is None:
        pytest.skip("torch 2.13 is not installed")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly():
        loss = model(torch.randn(5, 4)).sqrt().sum()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
            loss.backward()


NONFINITE = [
    ([1.0, math.nan, 2.0], 2.0),
    ([1.0, math.inf, 2.0], 2.0),
    ([1.0, -math.inf, 2.0], "inf"),
    ([math.nan, 0.0, 0.0], 1.0),
]


def _clip(lib, values, norm_type, device=None):
    kwargs = {} if device is None else {"device": device}
    a = lib.nn.Parameter(lib.ones(3, **kwargs))
    b = lib.nn.Parameter(lib.ones(2, **kwargs))
    a.grad = lib.tensor(values, **kwargs)
    b.grad = lib.tensor([3.0, 4.0], **kwargs)
    with pytest.raises(RuntimeError) as raised:
        lib.nn.utils.clip_grad_norm_([a, b], 1.0, norm_type=norm_type, error_if_nonfinite=True)
    return raised, a, b


@pytest.mark.parametrize("values, norm_type", NONFINITE)
def test_clip_grad_norm_refuses_nonfinite_norms(values, norm_type, device):
    raised, a, b = _clip(tinyoptim, values, norm_type, device)
    order = float(norm_type)
    assert str(raised.value) == (
        f"The total norm of order {order} for gradients from `parameters` is non-finite, so it "
        "cannot be clipped. To disable this error and scale the gradients by the non-finite "
        "norm anyway, set `error_if_nonfinite=False`"
    )
    np.testing.assert_array_equal(a.grad.numpy(), np.array(values, dtype=np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 4.0])  # nothing was scaled
    if torch is not None:
        theirs, _, _ = _clip(torch, values, norm_type)
        assert str(theirs.value) == str(raised.value)


def test_clip_grad_norm_scales_by_a_nonfinite_norm_when_allowed(device):
    p = nn.Parameter(tinyoptim.ones(2, device=device))
    p.grad = tinyoptim.tensor([math.inf, 1.0], device=device)
    norm = nn.utils.clip_grad_norm_([p], 1.0)
    assert math.isinf(norm.item())


OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax"]
OPTIMIZERS += ["Adadelta", "ASGD", "Rprop", "Adafactor", "LBFGS"]


@pytest.mark.parametrize("foreach", [False, None])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_steps_through_inf_and_nan_without_warnings(name, foreach, device):
    """torch computes through non-finite gradients silently; NumPy would warn."""
    import warnings

    p = tinyoptim.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    options = {} if name == "LBFGS" else {"foreach": foreach}
    opt = getattr(tinyoptim.optim, name)([p], lr=0.1, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for g in ([math.inf, math.nan, 0.0], [1e38, -math.inf, 0.0]):

            def closure(g=g):
                p.grad = tinyoptim.tensor(g, device=device)
                return tinyoptim.tensor(1.0)

            opt.step(closure)
