"""Adagrad in the parity matrix."""

OPTIMIZER = "Adagrad"

CASES = [
    ("default", dict()),
    ("lr_decay_weight_decay", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    (
        "accumulator_maximize_eps",
        dict(lr=0.05, initial_accumulator_value=0.5, maximize=True, eps=1e-3),
    ),
    ("steep_lr_decay", dict(lr=0.1, lr_decay=0.5, initial_accumulator_value=0.1)),
]

SPEC_ROWS = [
    (dict(), [0.958992924792979, -1.96768329355266, 3.00817457083242, 0.495934902276642]),
    (
        dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
        [0.828527500686118, -1.82528043821508, 2.90086002669192, 0.467364529207248],
    ),
]
