"""Record torch 2.13's LBFGS runs (the cases below) as a golden file.

    python tests/golden/make_golden_lbfgs.py

writes ``tests/golden/optim_LBFGS.npz`` with keys ``<problem>/<case>/<dtype>/<array>``:
``x`` (the flat parameters after each ``step(closure)`` call), ``loss`` (what each call
returned), ``func_evals`` and ``n_iter`` (the state's counters after each call). Run it
again, and commit the result, whenever the cases change. ``tests/optim/test_lbfgs.py``
imports the cases and ``run_lbfgs`` from here, so both libraries run the same code.
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

CALLS = 3

CASES = [
    ("default", dict()),
    ("strong_wolfe", dict(line_search_fn="strong_wolfe")),
    ("short_history", dict(lr=0.5, history_size=3, max_iter=10)),
    ("small_max_eval", dict(max_iter=20, max_eval=5)),
    ("wolfe_capped", dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7, max_eval=9)),
    ("loose_tolerances", dict(lr=0.8, tolerance_grad=1e-5, tolerance_change=1e-4)),
]

# (problem, dtypes): the float32 comparison is on the convex quadratic only (API.md).
PROBLEMS = [("rosenbrock", ("float64",)), ("quadratic", ("float64", "float32"))]


def _quadratic_data():
    """A well-conditioned SPD matrix and a vector, 8-D, from a fixed seed."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal((8, 8))
    return m @ m.T / 8 + np.diag(np.linspace(0.5, 3.0, 8)), rng.standard_normal(8)


def make_problem(lib, name: str, dtype: str, device=None):
    """``(params, f)``: leaf tensors and the loss as a function of them, written once for
    torch and tinyoptim (``lib`` is the module)."""

    def tensor(values, requires_grad=False):
        array = np.asarray(values, dtype=dtype)
        return lib.tensor(array, device=device, requires_grad=requires_grad)

    if name == "rosenbrock":
        x = tensor([-1.2, 1.0], requires_grad=True)

        def f():
            return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2

        return [x], f
    a_matrix, b_vector = _quadratic_data()
    a = tensor(np.arange(4.0).reshape(2, 2) / 4 - 0.5, requires_grad=True)
    b = tensor([1.5, -0.7], requires_grad=True)
    c = tensor([0.3, 0.9], requires_grad=True)
    matrix, vector = tensor(a_matrix), tensor(b_vector)

    def f():
        x = lib.cat([a.reshape(-1), b, c])
        return 0.5 * (x * (matrix @ x)).sum() - (vector * x).sum()

    return [a, b, c], f


def run_lbfgs(lib, problem: str, dtype: str, kwargs: dict, calls=CALLS, device=None) -> dict:
    """``calls`` ``step(closure)`` calls. In float32 a run is cut to 2 calls of at most 4
    iterations: near the optimum, float32 rounding decides when L-BFGS stops, and the
    parameters then differ by more than the rounding itself."""
    if dtype == "float32":
        kwargs = dict(kwargs, max_iter=min(kwargs.get("max_iter", 20), 4))
        calls = min(calls, 2)
    params, f = make_problem(lib, problem, dtype, device)
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    xs, losses, evals, iters = [], [], [], []
    for _ in range(calls):
        losses.append(float(opt.step(closure).item()))
        xs.append(np.concatenate([np.array(p.detach().cpu().numpy()).reshape(-1) for p in params]))
        state = opt.state[params[0]]
        evals.append(state["func_evals"])
        iters.append(state["n_iter"])
    return {
        "x": np.stack(xs),
        "loss": np.array(losses),
        "func_evals": np.array(evals),
        "n_iter": np.array(iters),
    }


def main() -> None:
    import torch

    arrays = {}
    for problem, dtypes in PROBLEMS:
        for name, kwargs in CASES:
            for dtype in dtypes:
                result = run_lbfgs(torch, problem, dtype, kwargs)
                arrays.update({f"{problem}/{name}/{dtype}/{k}": v for k, v in result.items()})
    path = os.path.join(HERE, "optim_LBFGS.npz")
    np.savez_compressed(path, **arrays)
    print(f"{path}: {len(arrays)} arrays")


if __name__ == "__main__":
    main()
