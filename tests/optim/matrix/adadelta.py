"""Adadelta in the parity matrix."""

OPTIMIZER = "Adadelta"

CASES = [
    ("default", dict()),
    ("rho_eps_decay", dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1)),
    ("maximize", dict(rho=0.95, maximize=True)),
    ("rho_one", dict(lr=0.1, rho=1.0)),  # accepted by torch: the averages never move
]

SPEC_ROWS = [
    (dict(), [0.975794973883254, -1.983569177389, 3.00325477947669, 0.500423443022849]),
    (
        dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1),
        [0.835407694022797, -1.86180668709237, 2.95380822614609, 0.464212880301461],
    ),
]
