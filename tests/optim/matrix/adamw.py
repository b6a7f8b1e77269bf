"""AdamW in the parity matrix."""

OPTIMIZER = "AdamW"

CASES = [
    ("default", dict()),
    ("amsgrad_maximize", dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("betas", dict(lr=0.01, betas=(0.5, 0.6))),
]

SPEC_ROWS = [
    (dict(lr=0.1), [0.510903132691588, -1.49101900545995, 3.12807899986579, 0.217793515689064]),
    (
        dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True),
        [1.4263992000225, -2.39207957629502, 2.71387530622333, 0.747579927809071],
    ),
]
