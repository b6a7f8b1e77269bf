"""Property tests: random small graphs against finite differences, and every optimizer's
fast path against its reference path for random shapes and hyperparameters."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyoptim
from tinyoptim.autograd import gradcheck

UNARY = {
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "exp": lambda t: (t * 0.5).exp(),
    "sin": lambda t: t.sin(),
    "square": lambda t: t * t,
    "softplus-ish": lambda t: (t.exp() + 1.0).log(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / (b * b + 1.0),
    "max": lambda a, b: tinyoptim.maximum(a, b + 0.25),
}


@st.composite
def graphs(draw):
    """A random program over two inputs: each step applies a unary or binary op to
    values computed so far, so values are reused (fan-out) and combined (fan-in)."""
    steps = []
    for i in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            steps.append(
                ("unary", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, i + 1)))
            )
        else:
            pair = (draw(st.integers(0, i + 1)), draw(st.integers(0, i + 1)))
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), pair))
    shape = draw(st.sampled_from([(), (3,), (2, 3)]))
    return steps, shape, draw(st.integers(0, 2**16))


def run_graph(steps, a, b):
    values = [a, b]
    for kind, name, where in steps:
        if kind == "unary":
            values.append(UNARY[name](values[where]))
        else:
            values.append(BINARY[name](values[where[0]], values[where[1]]))
    return values[-1].sum()


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_random_graphs_agree_with_finite_differences(graph):
    steps, shape, seed = graph
    rng = np.random.default_rng(seed)
    a, b = (
        tinyoptim.tensor(rng.uniform(-1, 1, shape), dtype="float64", requires_grad=True)
        for _ in range(2)
    )
    assert gradcheck(lambda x, y: run_graph(steps, x, y), (a, b), eps=1e-6, atol=1e-6)


WD = st.sampled_from([0.0, 0.1])
OPTIMIZERS = {
    "SGD": lambda d: dict(
        lr=d(st.floats(1e-3, 0.5)), momentum=d(st.sampled_from([0.0, 0.5, 0.9])),
        weight_decay=d(WD), maximize=d(st.booleans()),
    ),
    "Adam": lambda d: dict(
        lr=d(st.floats(1e-4, 0.1)), betas=(d(st.floats(0.0, 0.99)), d(st.floats(0.5, 0.999))),
        weight_decay=d(WD), amsgrad=d(st.booleans()), maximize=d(st.booleans()),
    ),
    "AdamW": lambda d: dict(lr=d(st.floats(1e-4, 0.1)), amsgrad=d(st.booleans())),
    "Adadelta": lambda d: dict(
        lr=d(st.floats(0.1, 2.0)), rho=d(st.floats(0.1, 0.99)), weight_decay=d(WD)
    ),
    "Adagrad": lambda d: dict(
        lr=d(st.floats(1e-3, 0.5)), lr_decay=d(st.sampled_from([0.0, 0.1])),
        initial_accumulator_value=d(st.sampled_from([0.0, 0.5])),
    ),
    "Adamax": lambda d: dict(lr=d(st.floats(1e-3, 0.1)), weight_decay=d(WD)),
    "RMSprop": lambda d: dict(
        lr=d(st.floats(1e-4, 0.05)), momentum=d(st.sampled_from([0.0, 0.5])),
        centered=d(st.booleans()), weight_decay=d(WD),
    ),
    "NAdam": lambda d: dict(
        lr=d(st.floats(1e-4, 0.1)), decoupled_weight_decay=d(st.booleans()), weight_decay=d(WD)
    ),
    "RAdam": lambda d: dict(
        lr=d(st.floats(1e-4, 0.1)), betas=(0.9, d(st.sampled_from([0.5, 0.9, 0.999])))
    ),
    "ASGD": lambda d: dict(lr=d(st.floats(1e-3, 0.1)), t0=d(st.sampled_from([1.0, 3.0, 1e6]))),
    "Rprop": lambda d: dict(lr=d(st.floats(1e-3, 0.1)), maximize=d(st.booleans())),
    "Adafactor": lambda d: dict(lr=d(st.floats(1e-3, 0.1)), weight_decay=d(WD)),
}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fast_path_equals_reference_for_random_problems(data):
    name = data.draw(st.sampled_from(sorted(OPTIMIZERS)))
    hp = OPTIMIZERS[name](data.draw)
    shapes = data.draw(
        st.lists(st.sampled_from([(), (1,), (5,), (3, 4), (2, 3, 2)]), min_size=1, max_size=3)
    )
    seed = data.draw(st.integers(0, 2**16))
    results = []
    for foreach in (False, True):
        rng = np.random.default_rng(seed)
        params = [tinyoptim.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True)
                  for s in shapes]  # fmt: skip
        opt = getattr(tinyoptim.optim, name)(params, foreach=foreach, **hp)
        for _ in range(5):
            for p in params:  # some steps skip a parameter: step counts then differ
                skip = len(params) > 1 and rng.random() < 0.2
                p.grad = None if skip else tinyoptim.tensor(rng.standard_normal(p.shape))
            opt.step()
        results.append([p.detach().numpy().copy() for p in params])
    for reference, fast in zip(*results):
        np.testing.assert_allclose(fast, reference, rtol=1e-12, atol=1e-12)
