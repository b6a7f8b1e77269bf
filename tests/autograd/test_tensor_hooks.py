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


def test_post_accumulate_grad_hooks(device):
    x = tinyoptim.ones(2, device=device, requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]  # after each accumulation, with the sum so far
    tinyoptim.autograd.grad((x * 2).sum(), x)  # no .grad is written: no call
    (x * 2).sum().backward(inputs=[x])
    assert len(seen) == 3
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 3
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tinyoptim.ones(2, device=device).register_post_accumulate_grad_hook(lambda t: None)
    x.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError, match="expected Variable, but hook returned 'int'"):
        (x * 3).sum().backward()


def test_an_optimizer_step_inside_backward(device):
    """torch's pattern: each parameter steps as soon as its gradient is ready."""
    model = tinyoptim.nn.Linear(3, 2).to(device)
    reference = tinyoptim.nn.Linear(3, 2).to(device)
    reference.load_state_dict(model.state_dict())
    optimizers = {p: tinyoptim.optim.SGD([p], lr=0.1) for p in model.parameters()}

    def step(p):
        optimizers[p].step()
        optimizers[p].zero_grad(set_to_none=True)

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(step)
    whole = tinyoptim.optim.SGD(reference.parameters(), lr=0.1)
    x = tinyoptim.ones(4, 3, device=device)
    for _ in range(3):
        model(x).pow(2).sum().backward()
        whole.zero_grad()
        reference(x).pow(2).sum().backward()
        whole.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.grad is None
        assert p.tolist() == q.tolist()
