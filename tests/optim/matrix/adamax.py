"""Adamax in the parity matrix."""

OPTIMIZER = "Adamax"

CASES = [
    ("default", dict()),
    ("betas_eps_decay", dict(lr=0.1, betas=(0.8, 0.9), eps=0.01, weight_decay=0.1)),
    ("maximize", dict(lr=0.01, maximize=True)),
    ("int_betas", dict(lr=0.01, betas=(0, 0.5))),  # torch accepts ints here (Adam does not)
]

SPEC_ROWS = [
    (dict(), [0.992494081088694, -1.9900000005, 3.00286989036961, 0.495432983078116]),
    (
        dict(lr=0.1, betas=(0.8, 0.9), eps=0.01, weight_decay=0.1),
        [0.595846959199649, -1.50220431612343, 2.81331172859501, 0.212668031534723],
    ),
]
