"""Rprop in the parity matrix."""

OPTIMIZER = "Rprop"

CASES = [
    ("default", dict()),
    ("etas_step_sizes", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("maximize", dict(lr=0.001, etas=(0.4, 1.1), maximize=True)),
    # torch does not validate step_sizes: with min > max every step size becomes max.
    ("inverted_step_sizes", dict(lr=0.01, step_sizes=(0.5, 0.02))),
]

SPEC_ROWS = [
    (dict(), [0.925584, -1.925584, 3.0175, 0.5044]),
    (
        dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.05, 0.2)),
        [0.15, -1.15, 3.2, 0.6],
    ),
]
