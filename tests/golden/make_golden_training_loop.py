"""Record torch 2.13's losses for tests/optim/training_cases.py.

    python tests/golden/make_golden_training_loop.py

writes ``tests/golden/training_loop.npz`` (one array of losses per optimizer).
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def main() -> None:
    import torch

    from tests.optim.training_cases import DENSE, run_loop
    from tests.parity import Lib

    losses = {name: run_loop(Lib(torch), name) for name in DENSE}
    path = os.path.join(HERE, "training_loop.npz")
    np.savez_compressed(path, **losses)
    print(f"{path}: {sorted(losses)}")


if __name__ == "__main__":
    main()
