"""Every op's backward against central finite differences, in float64, on every device.

``gradcheck`` weights the output by a random upstream gradient, so a backward that is
right only for an all-ones gradient fails. The cases (``cases_ops.py``) include
broadcast operands and 0-d tensors.
"""

from __future__ import annotations

import pytest

import tinyoptim
from tests.autograd._lib import tinyoptim_lib
from tests.autograd.cases_ops import CASES
from tinyoptim.autograd import GradcheckError, gradcheck
from tinyoptim.autograd.ops.activation import Gelu

DIFFERENTIABLE = [case for case in CASES if any(case.grad)]


def _inputs(case, device):
    return [
        tinyoptim.tensor(a, device=device, requires_grad=g) for a, g in zip(case.inputs, case.grad)
    ]


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=repr)
def test_gradcheck(case, device):
    lib = tinyoptim_lib(device)
    inputs = _inputs(case, device)
    if not case.fn(lib, *inputs).requires_grad:
        pytest.skip("the output does not depend on a differentiable input")
    assert gradcheck(lambda *ts: case.fn(lib, *ts), inputs, eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gradcheck_gelu_op(approximate, device):
    """The Gelu op itself, independent of ``nn.functional``."""
    x = tinyoptim.tensor([[-2.5, -0.3, 0.1], [0.7, 1.9, 3.2]], dtype="float64", device=device)
    x.requires_grad_()
    assert gradcheck(lambda t: Gelu.apply(t, approximate=approximate), [x])


def test_gradcheck_catches_a_wrong_backward(device):
    """A deliberately wrong derivative is reported, naming the input."""

    class WrongSquare(tinyoptim.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved
            return grad * a  # should be 2 * a

    x = tinyoptim.tensor([0.5, -1.5], dtype="float64", device=device, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for input 0"):
        gradcheck(WrongSquare.apply, [x])
    assert gradcheck(WrongSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_warns_below_float64():
    x = tinyoptim.tensor([0.5, 1.5], requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision"):
        gradcheck(lambda t: t * 2, [x], eps=1e-2, atol=1e-2, rtol=1e-2)
