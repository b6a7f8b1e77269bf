"""Module forward hooks and pre-hooks, as torch runs them (order, replacement, removal)."""

from __future__ import annotations

import pytest

import tinyoptim
from tests.torch_ref import torch


def _trace(lib):
    """The calls that a set of hooks sees, and the final output, in library ``lib``."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with lib.no_grad():
        model[0].weight.fill_(0.5)
        model[0].bias.fill_(0.0)
    seen = []
    model[0].register_forward_hook(lambda m, args, out: seen.append(("out", tuple(out.shape))))
    model[1].register_forward_pre_hook(lambda m, args: args[0] * 2)  # not a tuple: wrapped
    model.register_forward_hook(lambda m, args, out: out + 1)
    handle = model[0].register_forward_pre_hook(lambda m, args: seen.append("pre"))
    first = model(lib.ones(4, 2)).sum().item()
    handle.remove()
    model[0].register_forward_pre_hook(
        lambda m, args, kwargs: ((args[0] * 3,), kwargs), with_kwargs=True, prepend=True
    )
    model[0].register_forward_hook(
        lambda m, args, kwargs, out: seen.append(("kwargs", kwargs)), with_kwargs=True
    )
    second = model(lib.ones(1, 2)).tolist()
    return seen, first, second


def test_forward_hooks_run_as_torchs():
    seen, first, second = _trace(tinyoptim)
    assert seen == ["pre", ("out", (4, 3)), ("out", (1, 3)), ("kwargs", {})]
    assert first == 4 * 3 * (2 * 1.0 + 1) and second == [[7.0, 7.0, 7.0]]
    if torch is not None:
        assert _trace(torch) == (seen, first, second)


def test_always_call_hooks_run_when_forward_raises():
    layer = tinyoptim.nn.Linear(2, 3)
    calls = []
    layer.register_forward_hook(lambda m, args, out: calls.append(out), always_call=True)
    layer.register_forward_hook(lambda m, args, out: calls.append("plain"))
    with pytest.raises(RuntimeError):
        layer(tinyoptim.ones(4, 5))
    assert calls == [None]
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        layer.register_forward_pre_hook(lambda m, a, k: 1, with_kwargs=True)
        layer(tinyoptim.ones(1, 2))
