"""Module.get_buffer: torch 2.13's lookup by dotted path, and its messages."""

from __future__ import annotations

import pytest

import tinyoptim
from tests.torch_ref import torch


def _net(lib, **device):
    net = lib.nn.Sequential(lib.nn.BatchNorm1d(2, **device))
    net.register_buffer("empty", None)
    net[0].plain = lib.zeros(1, **device)
    return net


def test_get_buffer_finds_buffers(device):
    net = _net(tinyoptim, device=device)
    assert net.get_buffer("0.running_mean") is net[0].running_mean
    assert net.get_buffer("0.num_batches_tracked") is net[0].num_batches_tracked
    assert net.get_buffer("empty") is None


ERRORS = [  # torch 2.13's messages
    ("0.weight", "`weight` is not a buffer"),
    ("0.plain", "`plain` is not a buffer"),
    ("0", "`0` is not a buffer"),
    ("0.nope", "BatchNorm1d has no attribute `nope`"),
    ("1.running_mean", "Sequential has no attribute `1`"),
    ("0.running_mean.x", "`running_mean` is not an nn.Module"),
]


@pytest.mark.parametrize("target, message", ERRORS)
def test_get_buffer_errors(target, message, device):
    libraries = [(tinyoptim, {"device": device})] + ([(torch, {})] if torch else [])
    for lib, options in libraries:
        with pytest.raises(AttributeError) as caught:
            _net(lib, **options).get_buffer(target)
        assert str(caught.value) == message
