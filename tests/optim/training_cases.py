"""An MLP on the bundled digits, trained by the canonical loop in either library."""

from __future__ import annotations

import numpy as np

from tinyoptim.data import load_digits

STEPS = 20

# name -> (class, keyword arguments): every dense optimizer with typical settings.
DENSE = {
    "SGD": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-2, amsgrad=True)),
    "AdamW": ("AdamW", dict(lr=1e-2)),
    "Adadelta": ("Adadelta", dict(lr=1.0)),
    "Adagrad": ("Adagrad", dict(lr=0.1, lr_decay=1e-3)),
    "Adamax": ("Adamax", dict(lr=2e-2)),
    "ASGD": ("ASGD", dict(lr=0.05, t0=5)),
    "RMSprop": ("RMSprop", dict(lr=1e-3, momentum=0.5, centered=True)),
    "Rprop": ("Rprop", dict(lr=1e-3)),
    "NAdam": ("NAdam", dict(lr=1e-2)),
    "RAdam": ("RAdam", dict(lr=1e-2)),
    "Adafactor": ("Adafactor", dict(lr=1e-2)),
}


def run_loop(lib, name: str) -> np.ndarray:
    """The loss before each of ``STEPS`` steps (float64)."""
    cls_name, kwargs = DENSE[name]
    images, labels = load_digits()
    x, y = images[:128].astype(np.float64), labels[:128]
    rng = np.random.default_rng(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    model = model.double() if lib.is_torch else model.to(lib.device).double()
    weights = {k: rng.standard_normal(tuple(v.shape)) * 0.2 for k, v in model.state_dict().items()}
    model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    optimizer = getattr(lib.mod.optim, cls_name)(model.parameters(), **kwargs)
    loss_fn = nn.CrossEntropyLoss()
    inputs, targets = lib.tensor(x), lib.tensor(y)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)
