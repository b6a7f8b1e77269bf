"""A curve fit with LBFGS and the strong-Wolfe line search, checked against SciPy.

Noisy samples of ``y = a · exp(-b t) · cos(c t) + d`` are fitted by least squares for
``(a, b, c, d)`` in float64: once with ``tinyoptim.optim.LBFGS(line_search_fn=
"strong_wolfe")``, whose closure returns the loss and fills the gradient, and once with
``scipy.optimize.minimize(method="L-BFGS-B")`` on the same loss and the same gradient
(taken from tinyoptim's autograd). Both should land on the same parameters; it prints
both and writes ``OUT/curve_fit.png`` (the data and the two fits, and LBFGS's loss per
iteration).

    python examples/07_lbfgs_curve_fit.py --out examples-out
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from scipy.optimize import minimize

import tinyoptim
from tinyoptim.optim import LBFGS

TRUE = (2.0, 0.3, 2.5, 0.5)
START = [1.0, 0.1, 2.2, 0.0]


def model(theta, t):
    a, b, c, d = theta[0], theta[1], theta[2], theta[3]
    return a * (-b * t).exp() * (c * t).cos() + d


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tinyoptim.manual_seed(0)
    t = tinyoptim.linspace(0, 10, 200, dtype=tinyoptim.float64)
    y = model(tinyoptim.tensor(TRUE, dtype=tinyoptim.float64), t)
    y = y + 0.1 * tinyoptim.randn(200, dtype=tinyoptim.float64)

    def loss_of(theta):
        return ((model(theta, t) - y) ** 2).mean()

    # tinyoptim: LBFGS drives the closure
    theta = tinyoptim.tensor(START, dtype=tinyoptim.float64, requires_grad=True)
    optimizer = LBFGS([theta], lr=1, max_iter=100, line_search_fn="strong_wolfe")
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = loss_of(theta)
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    ours = theta.detach().tolist()

    # SciPy: the same loss and gradient, as functions of a NumPy vector
    def fun_and_grad(vector):
        point = tinyoptim.tensor(vector, dtype=tinyoptim.float64, requires_grad=True)
        loss = loss_of(point)
        loss.backward()
        return loss.item(), point.grad.numpy()

    scipy_result = minimize(fun_and_grad, np.array(START), jac=True, method="L-BFGS-B")
    theirs = scipy_result.x.tolist()

    print(f"{'':22}{'a':>9}{'b':>9}{'c':>9}{'d':>9}{'loss':>12}")
    print(f"{'true':22}" + "".join(f"{v:>9.4f}" for v in TRUE))
    final = loss_of(tinyoptim.tensor(ours, dtype=tinyoptim.float64)).item()
    print(f"{'tinyoptim LBFGS':22}" + "".join(f"{v:>9.4f}" for v in ours) + f"{final:>12.6f}")
    print(
        f"{'scipy L-BFGS-B':22}"
        + "".join(f"{v:>9.4f}" for v in theirs)
        + f"{scipy_result.fun:>12.6f}"
    )
    state = optimizer.state[theta]
    print(
        f"LBFGS: {state['n_iter']} iterations, {state['func_evals']} evaluations; "
        f"scipy: {scipy_result.nit} iterations, {scipy_result.nfev} evaluations"
    )
    print(f"largest parameter difference: {max(abs(a - b) for a, b in zip(ours, theirs)):.2e}")

    from matplotlib.figure import Figure  # the [plot] extra

    figure = Figure(figsize=(8.0, 3.2))
    fit_ax, loss_ax = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    ts = t.tolist()
    fit_ax.plot(ts, y.tolist(), ".", ms=3, color="0.6", label="data")
    with tinyoptim.no_grad():
        fit_ax.plot(
            ts,
            model(tinyoptim.tensor(ours, dtype=tinyoptim.float64), t).tolist(),
            lw=2,
            label="tinyoptim LBFGS",
        )
        fit_ax.plot(
            ts,
            model(tinyoptim.tensor(theirs, dtype=tinyoptim.float64), t).tolist(),
            "--",
            lw=1.5,
            color="black",
            label="scipy L-BFGS-B",
        )
    fit_ax.set(xlabel="t", ylabel="y", title="a·exp(-bt)·cos(ct) + d")
    fit_ax.legend(fontsize=8)
    loss_ax.semilogy(losses, marker=".")
    loss_ax.set(xlabel="closure evaluation", ylabel="mean squared error", title="LBFGS")
    figure.tight_layout()
    path = os.path.join(args.out, "curve_fit.png")
    figure.savefig(path, dpi=80)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
