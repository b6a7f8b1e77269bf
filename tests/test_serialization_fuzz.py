"""Fuzzing ``tinyoptim.load`` with byte mutations of a valid checkpoint.

Every mutated file either loads or raises the documented ``ValueError`` naming the file:
never another exception, a hang (hypothesis' deadline) or an allocation far beyond the
file's size (tracemalloc sees NumPy's buffers too).
"""

from __future__ import annotations

import json
import math
import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinyoptim
from tests.serialization_helpers import checkpoint_bytes

CPU = "cpu"
VALID = checkpoint_bytes(
    {
        "model": OrderedDict(
            [
                ("layer.weight", tinyoptim.ones(3, 2, device=CPU)),
                ("layer.bias", tinyoptim.zeros(3, dtype="float64", device=CPU)),
            ]
        ),
        "optimizer": {
            "state": {0: {"step": tinyoptim.tensor(2.0, device=CPU), "mask": np.ones(2, bool)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "foreach": None, "params": [0]}],
        },
        "scheduler": {"last_epoch": 3, "best": math.inf, "_last_lr": [0.1], "mode": "min"},
        "ids": tinyoptim.tensor([1, 2, 3], dtype="int64", device=CPU),
    }
)
HEADER = json.loads(VALID[8 : 8 + int.from_bytes(VALID[:8], "little")])
DATA = VALID[8 + int.from_bytes(VALID[:8], "little") :]
JSONISH = list(b'"[]{}:,.0123456789-e ') + list(b"tensorFIBOLU")


def _mutate(draw, data: bytearray, alphabet) -> bytearray:
    """One to four replaced, inserted or deleted bytes, or a cut."""
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["replace", "replace", "insert", "delete", "cut"]))
        byte = draw(alphabet)
        if kind == "replace":
            data[at] = byte
        elif kind == "insert":
            data.insert(at, byte)
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return data


def _with_header(header: bytes) -> bytes:
    return len(header).to_bytes(8, "little") + header + DATA


@st.composite
def mutations(draw) -> bytes:
    """``VALID`` mutated in one of three layers: raw bytes, header JSON, manifest JSON.

    The last two keep the header length right, so that the mutation reaches the checks
    of the header's entries and of the manifest's nodes.
    """
    alphabet = st.sampled_from(JSONISH) | st.integers(0, 255)
    layer = draw(st.sampled_from(["bytes", "header", "manifest", "manifest"]))
    if layer == "bytes":
        return bytes(_mutate(draw, bytearray(VALID), alphabet))
    if layer == "header":
        return _with_header(bytes(_mutate(draw, bytearray(json.dumps(HEADER).encode()), alphabet)))
    manifest = bytearray(HEADER["__metadata__"]["tinyoptim"].encode())
    text = _mutate(draw, manifest, st.sampled_from(JSONISH)).decode("latin-1")
    return _with_header(json.dumps({**HEADER, "__metadata__": {"tinyoptim": text}}).encode())


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "mutated.safetensors"


@pytest.mark.slow
@settings(max_examples=2000, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutations())
def test_a_mutated_checkpoint_loads_or_raises_value_error(path, content):
    path.write_bytes(content)
    tracemalloc.start()
    try:
        tinyoptim.load(path)
    except ValueError as error:
        assert str(error).startswith(f"cannot load '{path}': "), error
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 20 * len(VALID) + 1_000_000
