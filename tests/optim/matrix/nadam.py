"""NAdam in the parity matrix."""

OPTIMIZER = "NAdam"

CASES = [
    ("default", dict()),
    ("l2_decay", dict(lr=0.05, weight_decay=0.1)),
    ("decoupled_decay", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)),
    ("momentum_decay_maximize", dict(lr=0.01, momentum_decay=0.05, maximize=True)),
    ("betas_eps", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.05)),
    ("zero_momentum_decay", dict(lr=0.01, momentum_decay=0.0, betas=(0.5, 0.99))),
]

SPEC_ROWS = [
    (dict(), [0.990013272945792, -1.99190118765829, 3.00205218294476, 0.499136369226933]),
    (
        dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
        [0.461579059324999, -1.50571810862459, 2.95277187051852, 0.437794184089678],
    ),
]
