"""Adam in the parity matrix."""

OPTIMIZER = "Adam"

CASES = [
    ("default", dict()),
    ("lr_decay", dict(lr=0.1, weight_decay=0.1)),
    ("amsgrad", dict(lr=0.05, amsgrad=True, betas=(0.8, 0.9))),
    (
        "decoupled_maximize",
        dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True),
    ),
    ("amsgrad_decay_eps", dict(lr=0.02, amsgrad=True, weight_decay=0.05, eps=1e-3)),
]

SPEC_ROWS = [
    (dict(), [0.99514916931736, -1.99500000025, 3.00143494518481, 0.497194355848553]),
    # At element 2, g + wd*p cancels to ~1e-17 on the first step; torch computes it with a
    # fused multiply-add, NumPy cannot, and the near-zero denominator magnifies the last bit.
    (
        dict(lr=0.1, weight_decay=0.1, amsgrad=True),
        [0.503072904636204, -1.50126754170936, 2.73396670063499, 0.139623080852005],
        1e-10,
    ),
]
