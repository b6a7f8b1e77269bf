"""Whole models against torch: an MLP and a CNN with identical weights, in float64.

Logits, loss and every parameter gradient must agree within 1e-10 (relative to
max(1, |torch|)). Without torch the reference is ``tests/golden/models.npz``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn
from tests.nn.model_cases import MODELS, run_model
from tests.parity import GOLDEN_DIR, Lib, assert_close
from tests.torch_ref import torch


def reference(name: str) -> dict:
    if torch is not None:
        return run_model(Lib(torch), name)
    with np.load(os.path.join(GOLDEN_DIR, "models.npz")) as golden:
        prefix = name + "/"
        return {k[len(prefix) :]: golden[k] for k in golden.files if k.startswith(prefix)}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_torch(name, device):
    expected = reference(name)
    weights = {k[len("weight/") :]: v for k, v in expected.items() if k.startswith("weight/")}
    ours = run_model(Lib(tinyoptim, device), name, weights)
    assert_close(ours, expected, tol=1e-10)
