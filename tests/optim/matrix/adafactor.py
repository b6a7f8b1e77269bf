"""Adafactor in the parity matrix (no TORCH_OPTIM.md §9 row exists for it)."""

OPTIMIZER = "Adafactor"

CASES = [
    ("default", dict()),
    ("lr_decay", dict(lr=0.05, weight_decay=0.1)),
    # lr above 1/sqrt(t): the relative step size 1/sqrt(t) is the one in force
    ("relative_step", dict(lr=1.0, beta2_decay=-0.5)),
    ("eps_clip", dict(lr=0.02, eps=(1e-1, 1e-2), d=2.0)),
    ("maximize", dict(lr=0.02, eps=(1e-30, 0.0), weight_decay=0.01, d=1.5, maximize=True)),
    ("no_decay_schedule", dict(beta2_decay=0.0, eps=(0.0, 1e-3))),
]

SPEC_ROWS = []
