"""Record torch 2.13's logits, loss and gradients for the whole-model tests.

    python tests/golden/make_golden_models.py

writes ``tests/golden/models.npz`` (keys ``<model>/<what>``), which ``tests/nn/test_models.py``
uses when torch is absent. Run it again, and commit the result, whenever
``tests/nn/model_cases.py`` changes.
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def main() -> None:
    import torch

    from tests.nn.model_cases import MODELS, run_model
    from tests.parity import Lib
    from tests.torch_ref import TORCH_VERSION

    assert torch.__version__.startswith(TORCH_VERSION), torch.__version__
    arrays = {}
    for name in MODELS:
        for key, value in run_model(Lib(torch), name).items():
            arrays[f"{name}/{key}"] = value
    path = os.path.join(HERE, "models.npz")
    np.savez_compressed(path, **arrays)
    print(f"{path}: {len(MODELS)} models, {len(arrays)} arrays")


if __name__ == "__main__":
    main()
