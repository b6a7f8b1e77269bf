"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``; thread-local, as in torch."""

from __future__ import annotations

import threading

import pytest

import tinyoptim


def _leaf(device):
    return tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)


def test_no_grad_records_nothing(device):
    x = _leaf(device)
    with tinyoptim.no_grad():
        assert not tinyoptim.is_grad_enabled()
        y = x * 2
    assert tinyoptim.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad


def test_enable_grad_inside_no_grad(device):
    x = _leaf(device)
    with tinyoptim.no_grad():
        with tinyoptim.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad


def test_decorators(device):
    x = _leaf(device)

    @tinyoptim.no_grad()
    def frozen(t):
        """Docstring kept."""
        return t * 2

    @tinyoptim.enable_grad()
    def recorded(t):
        return t * 2

    assert not frozen(x).requires_grad
    assert frozen.__name__ == "frozen" and frozen.__doc__ == "Docstring kept."
    with tinyoptim.no_grad():
        assert recorded(x).requires_grad
        assert not tinyoptim.is_grad_enabled()
    assert tinyoptim.is_grad_enabled()


def test_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with tinyoptim.no_grad():
            raise ValueError
    assert tinyoptim.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator(device):
    x = _leaf(device)
    try:
        tinyoptim.set_grad_enabled(False)
        assert not tinyoptim.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        tinyoptim.set_grad_enabled(True)
    with tinyoptim.set_grad_enabled(False):
        assert not tinyoptim.is_grad_enabled()
    assert tinyoptim.is_grad_enabled()

    @tinyoptim.set_grad_enabled(False)
    def frozen(t):
        return t * 2

    assert tinyoptim.is_grad_enabled()
    assert not frozen(x).requires_grad


def test_grad_mode_is_thread_local():
    """Another thread sees grad enabled while the main thread is inside no_grad."""
    seen = {}

    def worker():
        seen["enabled"] = tinyoptim.is_grad_enabled()
        x = tinyoptim.tensor([1.0], requires_grad=True)
        seen["recorded"] = (x * 2).requires_grad

    with tinyoptim.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not tinyoptim.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}


def test_no_grad_in_a_thread_leaves_main_thread_alone():
    entered, release = threading.Event(), threading.Event()

    def worker():
        with tinyoptim.no_grad():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    entered.wait(5)
    try:
        assert tinyoptim.is_grad_enabled()
    finally:
        release.set()
        thread.join()


def test_backward_works_on_a_graph_built_before_no_grad(device):
    x = _leaf(device)
    y = (x * x).sum()
    with tinyoptim.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_decorators_without_parentheses_and_on_generators():
    x = tinyoptim.ones(2, requires_grad=True)

    @tinyoptim.no_grad
    def doubled(t):
        return t * 2

    @tinyoptim.no_grad()
    def steps(t):
        yield (t * 2).requires_grad
        yield (t * 3).requires_grad  # the mode holds on every resumption
        return "done"

    def delegate():
        result = yield from steps(x)
        yield result

    assert not doubled(x).requires_grad and doubled.__name__ == "doubled"
    assert list(delegate()) == [False, False, "done"]
    gen = steps(x)
    next(gen)
    assert (x * 2).requires_grad and tinyoptim.is_grad_enabled()  # not while suspended

    @tinyoptim.enable_grad
    def tracked(t):
        return t * 2

    with tinyoptim.no_grad():
        assert tracked(x).requires_grad


def test_inference_mode_is_no_grad(device):
    x = tinyoptim.ones(2, device=device, requires_grad=True)
    with tinyoptim.inference_mode():
        assert not tinyoptim.is_grad_enabled()
        assert (x * 2).grad_fn is None
    assert tinyoptim.is_grad_enabled()
    with tinyoptim.inference_mode(False):  # no change
        assert (x * 2).grad_fn is not None
    with tinyoptim.no_grad(), tinyoptim.inference_mode(False):
        assert not tinyoptim.is_grad_enabled()

    @tinyoptim.inference_mode
    def bare():
        return tinyoptim.is_grad_enabled()

    @tinyoptim.inference_mode()
    def called():
        return (x * 2).requires_grad

    assert bare() is False and called() is False and tinyoptim.is_grad_enabled()
