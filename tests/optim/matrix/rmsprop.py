"""RMSprop in the parity matrix."""

OPTIMIZER = "RMSprop"

CASES = [
    ("default", dict()),
    ("decay_maximize", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("centered", dict(lr=0.01, alpha=0.9, centered=True)),
    ("momentum_eps", dict(lr=0.01, momentum=0.9, eps=1e-3)),
    (
        "centered_momentum_decay",
        dict(lr=0.005, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05),
    ),
]

# TORCH_OPTIM.md §9's second RMSprop row (centered, momentum, weight decay) is checked in
# tests/optim/test_rmsprop.py: its g + wd*p cancels to ~1e-17 on the first step, where
# torch's fused multiply-add and NumPy round differently, so it needs a looser tolerance.
SPEC_ROWS = [
    (dict(), [0.589117093909899, -1.67553955531217, 3.08193084949031, 0.460282704585604]),
]
