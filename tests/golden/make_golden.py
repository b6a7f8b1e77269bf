"""Record torch 2.13's results for the parity cases, for runs where torch is absent.

    python tests/golden/make_golden.py            # every case module
    python tests/golden/make_golden.py cases_ops  # one module

Each case module under ``tests/`` (a ``cases_*.py`` file with a ``CASES`` list) gets a
fixture ``tests/golden/<module>.npz`` holding, for each case, ``<case>/out`` and
``<case>/grad<i>``. Run it again, and commit the result together with any change to the
cases.
"""

from __future__ import annotations

import glob
import importlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)


def case_modules() -> dict:
    """``{"cases_ops": "tests.autograd.cases_ops", ...}`` for every case module."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "**", "cases_*.py"), recursive=True)):
        dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
        found[os.path.basename(path)[:-3]] = dotted
    return found


def main(names) -> None:
    import torch

    from tests.parity import Lib, run_case
    from tests.torch_ref import TORCH_VERSION

    assert torch.__version__.startswith(TORCH_VERSION), torch.__version__
    torch.use_deterministic_algorithms(True)
    modules = case_modules()
    for name in names or sorted(modules):
        cases = importlib.import_module(modules[name]).CASES
        arrays = {}
        for case in cases:
            for key, value in run_case(Lib(torch), case).items():
                if value is not None:
                    arrays[f"{case.name}/{key}"] = value
        path = os.path.join(HERE, f"{name}.npz")
        np.savez_compressed(path, **arrays)
        print(f"{path}: {len(cases)} cases, {len(arrays)} arrays")


if __name__ == "__main__":
    main(sys.argv[1:])
