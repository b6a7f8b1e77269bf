"""``engine.queue_callback``: work a node's backward defers to the end of the pass."""

from __future__ import annotations

import pytest

import tinyoptim
from tinyoptim.autograd import Function
from tinyoptim.autograd.engine import NOT_IN_BACKWARD, queue_callback


class Spy(Function):
    """Identity whose backward queues ``record`` (which may queue one more callback)."""

    @staticmethod
    def forward(ctx, x, log):
        ctx.log = log
        return x

    @staticmethod
    def backward(ctx, grad):
        def record():
            ctx.log.append(("callback", ctx.leaf.grad.tolist()))
            queue_callback(lambda: ctx.log.append(("queued by a callback",)))

        ctx.log.append(("backward",))
        queue_callback(record)
        return grad


def test_callbacks_run_after_the_leaves_grads_are_written():
    x = tinyoptim.tensor([1.0, 2.0], requires_grad=True)
    log = []
    y = Spy.apply(x * 3, log=log)
    y.grad_fn.leaf = x
    (y * x).sum().backward()
    assert log == [("backward",), ("callback", [6.0, 12.0]), ("queued by a callback",)]


def test_callbacks_run_for_autograd_grad_and_backward_with_inputs():
    x = tinyoptim.tensor([1.0], requires_grad=True)
    log = []
    y = Spy.apply(x * 2, log=log)
    y.grad_fn.leaf = x
    (y.sum() * 1).backward(inputs=[x])
    assert log[1] == ("callback", [2.0])
    log.clear()
    x.grad = None
    y = Spy.apply(x * 2, log=log)
    y.grad_fn.leaf = x
    x.grad = tinyoptim.tensor([7.0])
    tinyoptim.autograd.grad(y.sum(), [x])
    assert log[1] == ("callback", [7.0])  # autograd.grad leaves .grad alone


def test_queue_callback_outside_backward_raises_torchs_error():
    with pytest.raises(RuntimeError) as info:
        queue_callback(lambda: None)
    assert (
        str(info.value)
        == NOT_IN_BACKWARD
        == ("Final callbacks can only be installed during backward pass.")
    )


def test_a_failing_backward_leaves_no_callbacks_behind():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            queue_callback(lambda: pytest.fail("must not run"))
            raise ValueError("boom")

    x = tinyoptim.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="boom"):
        Boom.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        queue_callback(lambda: None)
