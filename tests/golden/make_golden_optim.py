"""Record torch 2.13's optimizer trajectories (tests/optim/cases_optim.py) as golden files.

    python tests/golden/make_golden_optim.py          # every optimizer in the matrix
    python tests/golden/make_golden_optim.py Adam     # one

writes ``tests/golden/optim_<Class>.npz`` with keys ``<case>/<dtype>/<array>``. Run it
again, and commit the result, whenever the cases change.
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def main(names) -> None:
    import torch

    from tests.optim.cases_optim import CASES, run_trajectory
    from tests.parity import Lib

    torch.set_default_dtype(torch.float64)  # step counters as tinyoptim's tests expect
    for cls_name, cases in CASES.items():
        if names and cls_name not in names:
            continue
        arrays = {}
        for name, kwargs in cases:
            for dtype in ("float32", "float64"):
                torch.set_default_dtype(getattr(torch, dtype))
                result = run_trajectory(Lib(torch), cls_name, name, kwargs, dtype)
                arrays.update({f"{name}/{dtype}/{k}": v for k, v in result.items()})
        path = os.path.join(HERE, f"optim_{cls_name}.npz")
        np.savez_compressed(path, **arrays)
        print(f"{path}: {len(arrays)} arrays")


if __name__ == "__main__":
    main(sys.argv[1:])
