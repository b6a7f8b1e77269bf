"""Record torch 2.13's learning-rate schedules (tests/optim/lr_scheduler/cases.py) as golden data.

    python tests/golden/make_golden_schedulers.py

writes ``tests/golden/schedulers.npz``: ``seq/<case>`` (the recorded lr table of each
sequence case) and ``json``, one string holding the constructor signatures, the
``state_dict`` summaries and the warning scenarios. Run it again, and commit the result,
whenever the cases change.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def main() -> None:
    import torch

    from tests.optim.lr_scheduler.cases import (
        CASES,
        make_optimizer,
        record,
        signatures,
        state_summary,
    )
    from tests.optim.lr_scheduler.scenarios import SCENARIOS, run_scenario

    arrays = {f"seq/{name}": record(torch, name) for name in CASES}
    states = {}
    for name, (kind, factory, _) in CASES.items():
        states[name] = state_summary(factory(torch.optim.lr_scheduler, make_optimizer(torch, kind)))
    extra = {
        "signatures": signatures(torch.optim.lr_scheduler),
        "states": states,
        "scenarios": {name: run_scenario(torch, name) for name in SCENARIOS},
    }
    arrays["json"] = np.array(json.dumps(extra))
    path = os.path.join(HERE, "schedulers.npz")
    np.savez_compressed(path, **arrays)
    print(f"{path}: {len(arrays)} arrays")


if __name__ == "__main__":
    main()
