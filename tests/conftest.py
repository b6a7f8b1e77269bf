"""Shared fixtures: the device matrix (cpu, strict, and cuda where a GPU exists) and torch.

Every test that takes ``device`` runs once per device. ``TINYOPTIM_DEVICE=strict`` makes
strict the default device too, so tests that never name a device also run on it.
"""

from __future__ import annotations

import pytest

import tinyoptim

DEVICES = ["cpu", "strict", pytest.param("cuda", marks=pytest.mark.requires_cuda)]


def pytest_collection_modifyitems(config, items):
    if tinyoptim.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA GPU")
    for item in items:
        if "requires_cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DEVICES)
def device(request):
    """A device name: each test using it runs on cpu, strict and (with a GPU) cuda."""
    return request.param


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype or seed; put them back afterwards."""
    dtype = tinyoptim.get_default_dtype()
    state = tinyoptim.get_rng_state()
    yield
    tinyoptim.set_default_dtype(dtype)
    tinyoptim.set_rng_state(state)
