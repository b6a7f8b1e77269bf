"""Optimizer trajectory cases: one parameter set, fixed gradients, 100 steps.

Gradients come from a seed, not from a model, so both libraries see identical inputs
and any difference is the optimizer's. ``run_trajectory`` records every parameter after
every step and every state buffer at the end.
"""

from __future__ import annotations

import zlib

import numpy as np

STEPS = 100
SHAPES = [(3, 4), (5,), ()]

CASES = {
    "SGD": [
        ("plain", dict(lr=0.1)),
        ("momentum", dict(lr=0.1, momentum=0.9)),
        ("nesterov", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("dampening_decay", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.1)),
        ("maximize", dict(lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True)),
    ],
    "Adam": [
        ("default", dict()),
        ("lr_decay", dict(lr=0.1, weight_decay=0.1)),
        ("amsgrad", dict(lr=0.05, amsgrad=True, betas=(0.8, 0.9))),
        (
            "decoupled_maximize",
            dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True),
        ),
        ("amsgrad_decay_eps", dict(lr=0.02, amsgrad=True, weight_decay=0.05, eps=1e-3)),
    ],
    "AdamW": [
        ("default", dict()),
        ("amsgrad_maximize", dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True)),
        ("betas", dict(lr=0.01, betas=(0.5, 0.6))),
    ],
}


def case_ids():
    return [(cls, name, kwargs) for cls, cases in CASES.items() for name, kwargs in cases]


def _inputs(name: str, dtype: str):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def run_trajectory(lib, cls_name: str, case: str, kwargs: dict, dtype: str, **extra) -> dict:
    """Run ``STEPS`` steps of ``lib.optim.<cls_name>``; arrays keyed ``p<i>/step<k>`` and
    ``state<i>/<key>``."""
    params0, grads = _inputs(f"{cls_name}/{case}", dtype)
    params = [lib.tensor(p, requires_grad=True) for p in params0]
    opt = getattr(lib.mod.optim, cls_name)(params, **kwargs, **extra)
    out = {}
    for k in range(STEPS):
        for p, g in zip(params, grads[k]):
            p.grad = lib.tensor(g)
        opt.step()
        for i, p in enumerate(params):
            out[f"p{i}/step{k}"] = _np(p)
    for i, p in enumerate(params):
        for key, value in opt.state[p].items():
            out[f"state{i}/{key}"] = _np(value) if hasattr(value, "shape") else np.asarray(value)
    return out


def _np(t):
    t = t.detach()
    return np.array(
        t.cpu().numpy() if hasattr(t, "cpu") else t.numpy()
    )  # a copy: p changes in place
