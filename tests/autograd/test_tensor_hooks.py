"""Tensor.register_hook, as torch: hooks see a gradient before it is used and may replace
it; on a leaf before ``.grad`` is filled, on another tensor before its node's backward
(and before a retained ``.grad``)."""

from __future__ import annotations

import pytest

import tinyoptim


def test_hooks_replace_gradients_in_order(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    seen = []
    handle = x.register_hook(lambda g: g * 2)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: seen.append(g.tolist()))  # returns None: the gradient stays
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    assert seen == [[6.0, 12.0, 18.0]]
    assert y.grad.tolist() == [7.0, 13.0, 19.0]  # the retained grad is the hooked one
    assert x.grad.tolist() == [42.0, 78.0, 114.0]  # 2 * 3 * (2 y + 1)
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_hooks_run_for_autograd_grad_too(device):
    x = tinyoptim.tensor([1.0, 2.0], requires_grad=True, device=device)
    x.register_hook(lambda g: g * 10)
    (grad,) = tinyoptim.autograd.grad((x * x).sum(), x)
    assert grad.tolist() == [20.0, 40.0] and x.grad is None


def test_a_hook_needs_a_tensor_that_requires_grad(device):
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        tinyoptim.ones(2, device=device).register_hook(print)
