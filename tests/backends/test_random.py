"""One host generator: seeded draws repeat, and its state round-trips as plain data."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinyoptim

DRAWS = {
    "rand": lambda device: tinyoptim.rand(3, 2, device=device),
    "randn": lambda device: tinyoptim.randn(5, device=device),
    "randn64": lambda device: tinyoptim.randn(2, 2, dtype="float64", device=device),
    "randint": lambda device: tinyoptim.randint(0, 100, (6,), device=device),
    "randn16": lambda device: tinyoptim.randn(4, dtype="float16", device=device),
}


@pytest.mark.parametrize("draw", sorted(DRAWS))
def test_manual_seed_makes_draws_reproducible(draw, device):
    tinyoptim.manual_seed(1234)
    first = DRAWS[draw](device).numpy()
    tinyoptim.manual_seed(1234)
    second = DRAWS[draw](device).numpy()
    np.testing.assert_array_equal(first, second)
    tinyoptim.manual_seed(1235)
    assert not np.array_equal(DRAWS[draw](device).numpy(), first)


def test_devices_draw_identical_numbers(device):
    tinyoptim.manual_seed(7)
    here = tinyoptim.randn(4, 3, device=device).numpy()
    tinyoptim.manual_seed(7)
    on_cpu = tinyoptim.randn(4, 3, device="cpu").numpy()
    np.testing.assert_array_equal(here, on_cpu)


def test_rng_state_restores_bit_identical_draws(device):
    tinyoptim.manual_seed(0)
    tinyoptim.randn(3)  # advance the generator
    state = tinyoptim.get_rng_state()
    expected = [DRAWS[name](device).numpy() for name in sorted(DRAWS)]
    tinyoptim.randn(10)
    tinyoptim.set_rng_state(state)
    again = [DRAWS[name](device).numpy() for name in sorted(DRAWS)]
    for a, b in zip(expected, again):
        assert a.tobytes() == b.tobytes()


def test_rng_state_is_plain_data():
    tinyoptim.manual_seed(3)
    tinyoptim.rand(1)
    state = tinyoptim.get_rng_state()
    restored = json.loads(json.dumps(state))  # survives a trip through a checkpoint
    expected = tinyoptim.rand(4).numpy()
    tinyoptim.set_rng_state(restored)
    assert tinyoptim.rand(4).numpy().tobytes() == expected.tobytes()


def test_rng_state_errors():
    with pytest.raises(ValueError, match="set_rng_state expects a dict"):
        tinyoptim.set_rng_state([1, 2, 3])
    with pytest.raises(TypeError, match="manual_seed expected an int seed"):
        tinyoptim.manual_seed(1.5)


def test_large_and_negative_seeds():
    tinyoptim.manual_seed(2**70 + 5)
    a = tinyoptim.rand(2).numpy()
    tinyoptim.manual_seed(-1)
    b = tinyoptim.rand(2).numpy()
    assert a.shape == b.shape == (2,)
