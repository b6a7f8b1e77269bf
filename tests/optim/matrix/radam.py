"""RAdam in the parity matrix."""

OPTIMIZER = "RAdam"

CASES = [
    ("default", dict()),
    # beta2 = 0.9 gives rho_inf = 19: rho_t passes 5 at t = 6, so both branches run.
    ("early_switch", dict(lr=0.05, betas=(0.8, 0.9))),
    ("l2_decay", dict(lr=0.05, betas=(0.9, 0.95), weight_decay=0.1)),
    (
        "decoupled_maximize",
        dict(
            lr=0.02, betas=(0.9, 0.9), weight_decay=0.2, decoupled_weight_decay=True, maximize=True
        ),
    ),
    ("eps", dict(lr=0.01, betas=(0.7, 0.8), eps=1e-2)),
    # beta2 = 0.5 gives rho_inf = 3: never above 5, the momentum-SGD branch only.
    ("never_adaptive", dict(lr=0.01, betas=(0.9, 0.5))),
]

SPEC_ROWS = [
    (dict(), [0.998956257129576, -1.999, 3.00043048356979, 0.499771871435212]),
    (
        dict(lr=0.1, betas=(0.9, 0.5), weight_decay=0.1),
        [0.846912763662291, -1.80216682597297, 2.89377439371683, 0.452897884401959],
    ),
]
