"""Optimizer trajectory cases: one parameter set, fixed gradients, 100 steps.

Gradients come from a seed, not from a model, so both libraries see identical inputs
and any difference is the optimizer's. ``run_trajectory`` records every parameter after
every step and every state buffer at the end.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib

import numpy as np

from tests.optim import matrix

STEPS = 100
SHAPES = [(3, 4), (5,), (1,), ()]


def _matrix_modules():
    """One module per optimizer in ``tests/optim/matrix/``: ``OPTIMIZER``, ``CASES`` (named
    keyword sets) and ``SPEC_ROWS`` (TORCH_OPTIM.md §9 rows: kwargs, expected values, and
    optionally a relative tolerance other than 1e-13, with the reason beside it)."""
    for info in pkgutil.iter_modules(matrix.__path__):
        yield importlib.import_module(f"{matrix.__name__}.{info.name}")


SPEC_ROWS = [
    (module.OPTIMIZER, row[0], row[1], row[2] if len(row) > 2 else None)
    for module in _matrix_modules()
    for row in getattr(module, "SPEC_ROWS", [])
]

CASES = {module.OPTIMIZER: module.CASES for module in _matrix_modules()}


def case_ids():
    return [(cls, name, kwargs) for cls, cases in CASES.items() for name, kwargs in cases]


def _inputs(name: str, dtype: str):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def run_trajectory(lib, cls_name: str, case: str, kwargs: dict, dtype: str, **extra) -> dict:
    """Run ``STEPS`` steps of ``lib.optim.<cls_name>``. Returns ``p<i>``: parameter i after
    every step, stacked (``STEPS`` × its shape), and ``state<i>/<key>`` at the end."""
    params0, grads = _inputs(f"{cls_name}/{case}", dtype)
    params = [lib.tensor(p, requires_grad=True) for p in params0]
    opt = getattr(lib.mod.optim, cls_name)(params, **kwargs, **extra)
    history = [[] for _ in params]
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = lib.tensor(g)
        opt.step()
        for i, p in enumerate(params):
            history[i].append(_np(p))
    out = {f"p{i}": np.stack(h) for i, h in enumerate(history)}
    for i, p in enumerate(params):
        for key, value in opt.state[p].items():
            out[f"state{i}/{key}"] = _np(value) if hasattr(value, "shape") else np.asarray(value)
    return out


def _np(t):
    t = t.detach()
    return np.array(
        t.cpu().numpy() if hasattr(t, "cpu") else t.numpy()
    )  # a copy: p changes in place
