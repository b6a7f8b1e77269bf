"""Helpers for tests/test_serialization.py: structural equality and hand-made bad files."""

from __future__ import annotations

import json
import math
import pickle
import tempfile
from collections import OrderedDict

import numpy as np
import safetensors.numpy

import tinyoptim

DTYPE_NAMES = ["float16", "float32", "float64", "int32", "int64", "bool", "uint8"]


def assert_same(got, want, where="obj"):
    """Equal structure, types and bits: tuples stay tuples, -0.0 stays -0.0, NaN is NaN."""
    assert type(got) is type(want), f"{where}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, float):
        assert math.isnan(got) if math.isnan(want) else repr(got) == repr(want), where
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(want, dict):
        assert [(type(k), k) for k in got] == [(type(k), k) for k in want], where
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, np.ndarray):
        assert (got.dtype, got.shape) == (want.dtype, want.shape), where
        assert got.tobytes() == want.tobytes(), where
    elif isinstance(want, tinyoptim.Tensor):
        assert (got.device, got.dtype, got.shape) == (want.device, want.dtype, want.shape), where
        assert got.requires_grad == want.requires_grad, where
        host = [t.backend.to_host(t.data) for t in (got, want)]  # the explicit crossing
        assert host[0].tobytes() == np.ascontiguousarray(host[1]).tobytes(), where
    else:
        assert got == want, where


def checkpoint_bytes(obj) -> bytes:
    """The bytes ``tinyoptim.save`` writes for ``obj``."""
    with tempfile.TemporaryDirectory() as folder:
        tinyoptim.save(obj, f"{folder}/c.safetensors")
        with open(f"{folder}/c.safetensors", "rb") as file:
            return file.read()


def manifest_file(keys: dict, tensors: list) -> bytes:
    """A safetensors file holding ``tensors`` whose manifest maps each name to a tensor key."""
    node = {"type": "tensor", "device": "cpu", "requires_grad": False}
    items = [[name, {**node, "key": key}] for name, key in keys.items()]
    manifest = {"format": "tinyoptim", "version": 1, "root": {"type": "dict", "items": items}}
    arrays = {name: np.ones(2, np.float32) for name in tensors}
    return safetensors.numpy.save(arrays, metadata={"tinyoptim": json.dumps(manifest)})


class _Payload:
    """Unpickling this creates the file named by $TINYOPTIM_TEST_MARKER."""

    def __reduce__(self):
        code = "import os; open(os.environ['TINYOPTIM_TEST_MARKER'], 'w').close()"
        return (exec, (code,))


def _raw_safetensors(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def hostile_files() -> dict:
    """``{case: (file content, start of the expected error after the file's name)}``."""
    good = checkpoint_bytes(OrderedDict(w=tinyoptim.ones(64), b=tinyoptim.zeros(3)))
    deep = "[" * 10_000 + "]" * 10_000
    manifest = '{"format":"tinyoptim","version":1,"root":' + deep + "}"
    return {
        "empty": (b"", "the file is empty"),
        "pickle": (pickle.dumps({"w": _Payload()}), "it is a pickle"),
        "truncated": (
            good[:-100],
            "tensor 'w' ends at byte 268 of a 168-byte data section: the file is truncated",
        ),
        "header-length-beyond-file": (
            (1 << 40).to_bytes(8, "little") + good[8:],
            "the header length 1099511627776 is larger than the rest of the file",
        ),
        "missing-tensor": (
            manifest_file({"w": "w", "g": "ghost"}, ["w"]),
            "the manifest names tensor 'ghost', which is not in the file",
        ),
        "disallowed-dtype": (
            _raw_safetensors(
                {"x": {"dtype": "O", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8
            ),
            "tensor 'x' has dtype 'O', which is not one of",
        ),
        "nested-10000-levels": (
            safetensors.numpy.save({}, metadata={"tinyoptim": manifest}),
            "the manifest nests 10001 levels deep, deeper than the limit of 256",
        ),
    }
