"""Whole models for the torch comparison: an MLP and a small CNN, written against ``lib``.

Both libraries build the same architecture, load the same float64 weights (drawn from a
fixed seed), run forward, a cross-entropy loss and backward. ``run_model`` returns the
logits, the loss and every parameter's gradient by state_dict name, as NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from tests.parity import to_numpy


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * 3 * 3, 3),
    )


MODELS = {"mlp": (mlp, (5, 6)), "cnn": (cnn, (4, 1, 6, 6))}


def inputs(name: str) -> tuple:
    """Weights (by state_dict name), input and targets for one model, from a fixed seed."""
    build, x_shape = MODELS[name]
    rng = np.random.default_rng(len(name) * 1000 + sum(map(ord, name)))
    x = rng.standard_normal(x_shape)
    targets = rng.integers(0, 3, size=x_shape[0])
    return rng, x, targets


def run_model(lib, name: str, weights: dict | None = None) -> dict:
    """Logits, loss and parameter gradients of model ``name`` in ``lib``."""
    build, _ = MODELS[name]
    rng, x, targets = inputs(name)
    model = build(lib)
    if lib.is_torch:
        model = model.double()
    else:
        model = model.to(lib.device).double()
    names = list(model.state_dict())
    if weights is None:
        weights = {k: rng.standard_normal(tuple(model.state_dict()[k].shape)) * 0.5 for k in names}
    model.load_state_dict({k: lib.tensor(weights[k]) for k in names})
    logits = model(lib.tensor(x))
    loss = lib.nn.CrossEntropyLoss()(logits, lib.tensor(targets))
    loss.backward()
    result = {"logits": to_numpy(logits), "loss": to_numpy(loss)}
    for key, p in model.named_parameters():
        result[f"grad/{key}"] = to_numpy(p.grad)
    result.update({f"weight/{k}": v for k, v in weights.items()})
    return result
