"""SGD in the parity matrix."""

OPTIMIZER = "SGD"

CASES = [
    ("plain", dict(lr=0.1)),
    ("momentum", dict(lr=0.1, momentum=0.9)),
    ("nesterov", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("dampening_decay", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.1)),
    ("maximize", dict(lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True)),
]

SPEC_ROWS = [
    (dict(lr=0.1), [0.85, -1.9, 3.03, 0.5]),
    (
        dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
        [0.698789791980815, -1.73132369021451, 3.04192031618538, 0.455204151438326],
    ),
    (
        dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True),
        [1.4353279, -2.3365938, 2.9034153, 0.5347814],
    ),
]
