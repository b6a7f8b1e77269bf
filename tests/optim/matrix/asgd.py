"""ASGD in the parity matrix."""

OPTIMIZER = "ASGD"

CASES = [
    ("default", dict()),
    # t0 below the run length, so the averaging (mu < 1) starts mid-run.
    ("averaging", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10)),
    ("decay_maximize", dict(lr=0.02, lambd=0.1, t0=30, weight_decay=0.1, maximize=True)),
    ("odd_hyperparameters", dict(lr=0.01, lambd=-0.5, alpha=-0.25, t0=-3)),
    ("strong_decay", dict(lr=0.1, lambd=1.0, alpha=1.0, t0=50, weight_decay=0.05)),
]

SPEC_ROWS = [
    (dict(), [0.984995050155074, -1.98999003515972, 3.0029849895153, 0.499997501283474]),
    (
        dict(lr=0.1, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1),
        [0.760625942343263, -1.71446986016695, 2.74303293766196, 0.453127780592425],
    ),
]
