"""nn.functional against torch 2.13 (live, or the golden fixture when torch is absent)."""

from __future__ import annotations

import pytest

import tinyoptim
import tinyoptim.nn
from tests.nn.cases_nn import CASES
from tests.parity import Lib, assert_close, reference, run_case
from tests.torch_ref import torch


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch(case, device):
    ours = run_case(Lib(tinyoptim, device), case)
    assert_close(ours, reference("cases_nn", case, torch))
