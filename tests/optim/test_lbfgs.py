"""LBFGS: validation, closure-driven runs vs torch, history through state_dict (§3.9)."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import tinyoptim
from tests.golden.make_golden_lbfgs import CASES, PROBLEMS, make_problem, run_lbfgs
from tests.parity import GOLDEN_DIR
from tests.torch_ref import torch
from tinyoptim.autograd.sparse import SparseGrad
from tinyoptim.optim import LBFGS


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


# -- construction ----------------------------------------------------------------------------


def test_negative_lr_and_groups_are_refused_as_torch_does():
    cases = [
        (lambda lib, a, b: lib.optim.LBFGS([a], lr=-0.1), "Invalid learning rate: -0.1"),
        (
            lambda lib, a, b: lib.optim.LBFGS([{"params": [a]}, {"params": [b]}]),
            "LBFGS doesn't support per-parameter options (parameter groups)",
        ),
    ]
    for make, message in cases:
        with pytest.raises(ValueError) as info:
            make(tinyoptim, param(2), param(2))
        assert str(info.value) == message
        if torch is not None:
            with pytest.raises(ValueError) as info:
                make(torch, torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True))
            assert str(info.value) == message


def test_odd_options_are_accepted_at_construction():
    LBFGS([param(2)], max_iter=0)
    LBFGS([param(2)], tolerance_grad=-1)
    LBFGS([param(2)], line_search_fn="foo")
    LBFGS([param(2)], lr=0)


@pytest.mark.parametrize("max_iter, max_eval", [(20, 25), (7, 8), (3, 3), (1, 1)])
def test_max_eval_defaults_to_five_quarters_of_max_iter(max_iter, max_eval):
    opt = LBFGS([param(2)], max_iter=max_iter)
    assert opt.param_groups[0]["max_eval"] == max_eval == opt.defaults["max_eval"]
    assert LBFGS([param(2)], max_iter=max_iter, max_eval=2).defaults["max_eval"] == 2


def test_signature_and_defaults_in_torchs_order():
    assert str(inspect.signature(LBFGS)) == (
        "(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-07, "
        "tolerance_change=1e-09, history_size=100, line_search_fn=None)"
    )
    keys = list(LBFGS([param(2)]).defaults)
    assert keys == [
        "lr",
        "max_iter",
        "max_eval",
        "tolerance_grad",
        "tolerance_change",
        "history_size",
        "line_search_fn",
    ]
    if torch is not None:
        assert keys == list(torch.optim.LBFGS([torch.ones(2, requires_grad=True)]).defaults)


def test_step_requires_a_closure():
    with pytest.raises(TypeError) as info:
        LBFGS([param(2)]).step()
    assert str(info.value) == "LBFGS.step() missing 1 required positional argument: 'closure'"
    if torch is not None:
        with pytest.raises(TypeError) as info:
            torch.optim.LBFGS([torch.ones(2, requires_grad=True)]).step()
        assert str(info.value) == "LBFGS.step() missing 1 required positional argument: 'closure'"


def test_unknown_line_search_fails_in_step_and_changes_nothing():
    p = tinyoptim.tensor([3.0, -4.0], requires_grad=True)
    opt = LBFGS([p], line_search_fn="foo")
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError) as info:
        opt.step(closure)
    assert str(info.value) == "only 'strong_wolfe' is supported"
    # where torch finds out, in its first iteration, with the counts undone (deviation 5)
    assert p.detach().numpy().tolist() == [3.0, -4.0] and len(calls) == 1
    assert opt.state[p]["func_evals"] == 0 and opt.state[p]["n_iter"] == 0

    p.data[...] = 0.0  # already optimal: torch returns before it looks at line_search_fn
    assert opt.step(closure).item() == 0.0


def test_max_iter_zero_evaluates_once_and_keeps_empty_history():
    """torch stores its (empty) history as None values, and a later step starts from it."""
    p = tinyoptim.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = LBFGS([p], max_iter=0)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum() * 0.5
        loss.backward()
        return loss

    assert opt.step(closure).item() == 2.5
    state = opt.state_dict()["state"][0]
    assert state["func_evals"] == 1 and state["n_iter"] == 0
    history = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")
    assert all(state[key] is None for key in history)
    opt.param_groups[0]["max_iter"] = 3
    opt.step(closure)
    assert opt.state[p]["n_iter"] == 1 and opt.state[p]["func_evals"] == 3


# -- numbers ---------------------------------------------------------------------------------

SPEC_ROWS = [
    (
        dict(),
        [0.99980332591276, 0.9996078455480785],
        [24.199999999999996, 1.9456874727314497, 0.5793136907775303],
        60,
        60,
    ),
    (
        dict(line_search_fn="strong_wolfe"),
        [0.9999814210791366, 0.9999619651810989],
        [24.199999999999996, 0.4234823024380289, 4.221457511263308e-10],
        45,
        36,
    ),
    (
        dict(lr=0.5, history_size=3, max_iter=10),
        [0.4738888536301531, 0.12132746030625097],
        [24.199999999999996, 4.089867867994004, 2.1486257599824747],
        30,
        30,
    ),
]


@pytest.mark.parametrize("kwargs, x, losses, func_evals, n_iter", SPEC_ROWS, ids=str)
def test_rosenbrock_spec_rows(kwargs, x, losses, func_evals, n_iter, device):
    """TORCH_OPTIM.md §9: three calls from (-1.2, 1) in float64; counts exact, x to 1e-8.

    torch's ``add_(..., alpha=t)`` rounds once (a fused multiply-add); NumPy rounds twice,
    and Rosenbrock's valley amplifies that to ~2e-9 in the default row."""
    result = run_lbfgs(tinyoptim, "rosenbrock", "float64", kwargs, device=device)
    assert result["func_evals"][-1] == func_evals and result["n_iter"][-1] == n_iter
    np.testing.assert_allclose(result["x"][-1], x, rtol=0, atol=1e-8)
    np.testing.assert_allclose(result["loss"], losses, rtol=1e-8, atol=1e-14)


def test_first_step_is_scaled_by_the_gradients_l1_norm():
    p = tinyoptim.tensor([3.0, -4.0], dtype="float64", requires_grad=True)
    opt = LBFGS([p], lr=0.5, max_iter=1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 25.0
    # g = (6, -8), |g|_1 = 14, t = 0.5 / 14, no re-evaluation on the last iteration
    np.testing.assert_allclose(p.detach().numpy(), [3 - 3 / 14, -4 + 4 / 14], rtol=1e-15)
    np.testing.assert_allclose(p.detach().numpy(), [2.7857, -3.7143], atol=1e-4)
    state = opt.state[p]
    assert state["func_evals"] == 1 and state["n_iter"] == 1


def torch_lbfgs(problem, case, kwargs, dtype):
    if torch is not None:
        return run_lbfgs(torch, problem, dtype, kwargs)
    with np.load(os.path.join(GOLDEN_DIR, "optim_LBFGS.npz")) as golden:
        prefix = f"{problem}/{case}/{dtype}/"
        return {k[len(prefix) :]: golden[k] for k in golden.files if k.startswith(prefix)}


RUNS = [
    (problem, case, kwargs, dtype)
    for problem, dtypes in PROBLEMS
    for case, kwargs in CASES
    for dtype in dtypes
]


@pytest.mark.parametrize("problem, case, kwargs, dtype", RUNS, ids=str)
def test_matches_torch(problem, case, kwargs, dtype, device):
    """float64: iterates within 1e-8, losses too, and func_evals/n_iter exact after every
    call. float32 (a convex quadratic): the parameters within 1e-4 (API.md)."""
    tinyoptim.set_default_dtype(dtype)
    ours = run_lbfgs(tinyoptim, problem, dtype, kwargs, device=device)
    ref = torch_lbfgs(problem, case, kwargs, dtype)
    assert ours["x"].dtype == ref["x"].dtype
    if dtype == "float64":
        np.testing.assert_array_equal(ours["func_evals"], ref["func_evals"])
        np.testing.assert_array_equal(ours["n_iter"], ref["n_iter"])
        bound = 1e-8 * np.maximum(1.0, np.abs(ref["x"]))
        assert (np.abs(ours["x"] - ref["x"]) <= bound).all()
        np.testing.assert_allclose(ours["loss"], ref["loss"], rtol=1e-8, atol=1e-12)
    else:
        bound = 1e-4 * np.maximum(1.0, np.abs(ref["x"]))
        assert (np.abs(ours["x"] - ref["x"]) <= bound).all()


# -- state -----------------------------------------------------------------------------------


def closure_for(opt, f):
    def closure():
        opt.zero_grad()
        loss = f()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("kwargs", [dict(), dict(line_search_fn="strong_wolfe")], ids=str)
def test_state_keys_and_types_match_torch(kwargs, device):
    tinyoptim.set_default_dtype("float64")
    params, f = make_problem(tinyoptim, "quadratic", "float64", device)
    opt = LBFGS(params, max_iter=4, **kwargs)
    opt.step(closure_for(opt, f))
    opt.step(closure_for(opt, f))
    assert list(opt.state) == [params[0]] and list(opt.state_dict()["state"]) == [0]
    state = opt.state[params[0]]
    keys = [
        "func_evals",
        "n_iter",
        "al",
        "d",
        "t",
        "old_dirs",
        "old_stps",
        "ro",
        "H_diag",
        "prev_flat_grad",
        "prev_loss",
    ]
    assert list(state) == keys  # torch's order: "al" comes when made, mid first step
    assert type(state["func_evals"]) is int and type(state["n_iter"]) is int
    assert type(state["prev_loss"]) is float
    for key in ("d", "prev_flat_grad"):
        assert state[key].shape == (8,) and state[key].device == params[0].device
    assert all(v.shape == (8,) for v in state["old_dirs"] + state["old_stps"])
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) > 0
    assert all(v.shape == () and v.dtype == tinyoptim.float64 for v in state["ro"])
    assert state["H_diag"].shape == () and len(state["al"]) == 100
    if torch is not None:
        t_params, t_f = make_problem(torch, "quadratic", "float64")
        t_opt = torch.optim.LBFGS(t_params, max_iter=4, **kwargs)
        t_opt.step(closure_for(t_opt, t_f))
        t_opt.step(closure_for(t_opt, t_f))
        t_state = t_opt.state[t_params[0]]
        assert sorted(t_state) == sorted(keys)
        assert type(state["t"]) is type(t_state["t"]) or (
            isinstance(state["t"], tinyoptim.Tensor) and isinstance(t_state["t"], torch.Tensor)
        )
        assert [v is None for v in state["al"]] == [v is None for v in t_state["al"]]
        for key in ("func_evals", "n_iter"):
            assert state[key] == t_state[key]


def run_split(kwargs, device, split=None, calls=5):
    params, f = make_problem(tinyoptim, "rosenbrock", "float64", device)
    opt = LBFGS(params, **kwargs)
    for k in range(calls):
        if k == split:
            saved = opt.state_dict()
            values = [p.detach().numpy() for p in params]
            params, f = make_problem(tinyoptim, "rosenbrock", "float64", device)
            for p, v in zip(params, values):
                p.data[...] = tinyoptim.tensor(v, device=device).data
            opt = LBFGS(params, **kwargs)
            opt.load_state_dict(saved)
        opt.step(closure_for(opt, f))
    state = opt.state[params[0]]
    return params[0].detach().numpy(), state["func_evals"], state["n_iter"]


@pytest.mark.parametrize(
    "kwargs",
    [dict(max_iter=4), dict(max_iter=3, history_size=2, line_search_fn="strong_wolfe")],
    ids=str,
)
@pytest.mark.parametrize("split", [0, 1, 3])
def test_history_survives_state_dict_bitwise(kwargs, split, device):
    tinyoptim.set_default_dtype("float64")
    straight = run_split(kwargs, device)
    resumed = run_split(kwargs, device, split=split)
    np.testing.assert_array_equal(resumed[0], straight[0])
    assert resumed[1:] == straight[1:]


def test_state_dict_copies_are_independent():
    """load_state_dict copies (API.md deviation 6): stepping the loaded optimizer leaves the
    saved history alone."""
    tinyoptim.set_default_dtype("float64")
    params, f = make_problem(tinyoptim, "rosenbrock", "float64")
    opt = LBFGS(params, max_iter=3)
    opt.step(closure_for(opt, f))
    saved = opt.state_dict()
    before = saved["state"][0]["d"].numpy().copy()
    other = LBFGS(params, max_iter=3)
    other.load_state_dict(saved)
    other.step(closure_for(other, f))
    np.testing.assert_array_equal(saved["state"][0]["d"].numpy(), before)


# -- gradients -------------------------------------------------------------------------------


def least_squares_closure(table, target, sparse: bool, device):
    """f = 0.5 |table[r] - target[r]|^2 over rows 0 and 2; row 2's gradient comes in two
    halves, as repeated rows of a sparse gradient (or their dense sum)."""
    rows = [0, 2, 2]

    def closure():
        values = table.detach().numpy()
        halves = np.array([[1.0], [2.0], [2.0]])
        grad_rows = np.stack([values[r] - target[r] for r in rows]) / halves
        if sparse:
            table.grad = SparseGrad(
                tinyoptim.tensor(np.array(rows), device=device).data,
                tinyoptim.tensor(grad_rows, device=device).data,
                (4, 2),
                tinyoptim.device(device),
            )
        else:
            dense = np.zeros((4, 2))
            np.add.at(dense, rows, grad_rows)
            table.grad = tinyoptim.tensor(dense, device=device)
        return 0.5 * sum(((values[r] - target[r]) ** 2).sum() for r in (0, 2))

    return closure


def test_sparse_gradients_are_densified_and_missing_ones_are_zeros(device):
    """A row-sparse gradient counts as its dense equivalent; a parameter without a gradient
    contributes zeros (and does not move)."""
    tinyoptim.set_default_dtype("float64")
    target = np.random.default_rng(2).standard_normal((4, 2))
    results = []
    for sparse in (False, True):
        table = tinyoptim.tensor(np.zeros((4, 2)), device=device, requires_grad=True)
        idle = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
        opt = LBFGS([idle, table], max_iter=5)
        loss = opt.step(least_squares_closure(table, target, sparse, device))
        assert loss == 0.5 * (target[[0, 2]] ** 2).sum()  # the first evaluation's loss
        assert idle.detach().numpy().tolist() == [1.0, 2.0]
        results.append(table.detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_allclose(results[1][[0, 2]], target[[0, 2]], atol=1e-10)
    assert (results[1][[1, 3]] == 0).all()


def test_already_optimal_returns_without_iterating():
    p = tinyoptim.tensor([1.0, 1.0], dtype="float64", requires_grad=True)
    opt = LBFGS([p])

    def closure():
        opt.zero_grad()
        loss = ((p - 1) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    state = opt.state[p]
    assert state["func_evals"] == 1 and state["n_iter"] == 0 and "d" not in state
