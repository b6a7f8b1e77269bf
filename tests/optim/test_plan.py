"""The fast path's plan (optim/_plan.py): reused while nothing changes, redone when
anything does, and always equal to the reference path.

The parity matrix assigns a new gradient tensor every step, which makes every step go
the long way; here gradients are refilled in place, as ``zero_grad()`` and ``backward``
do in a training loop, so the plan and the cached layouts and pointer tables are used.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinyoptim
from tests.optim.cases_optim import CASES
from tests.optim.test_trajectories import FAST_VS_REFERENCE
from tinyoptim.backends.pointer_table import BLOCK, PointerTable
from tinyoptim.optim._plan import Plan
from tinyoptim.optim._state_map import ParamState, StateMap

FAST = ["SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "RMSprop", "NAdam", "RAdam"]
FAST += ["Rprop", "ASGD"]
SHAPES = [(3, 4), (5,), (1,), (), (40000,)]  # the last spans several pointer-table rows
STEPS = 12


def _numpy(t) -> np.ndarray:
    return np.array(t.detach().numpy())


def _grads(seed: int, dtype: str) -> list:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]


def _setup(cls_name, kwargs, dtype, device, **flags):
    rng = np.random.default_rng(7)
    params = [
        tinyoptim.tensor(rng.standard_normal(s).astype(dtype), device=device, requires_grad=True)
        for s in SHAPES
    ]
    for p in params:
        p.grad = tinyoptim.zeros_like(p)
    return params, getattr(tinyoptim.optim, cls_name)(params, **kwargs, **flags)


def _refill(params, grads) -> None:
    """New gradient values in the existing gradient tensors, as backward leaves them."""
    for p, g in zip(params, grads):
        p.grad.copy_(tinyoptim.tensor(g, device=p.device))


def _assert_same(fast, reference, tolerance) -> None:
    (params, opt), (ref_params, ref_opt) = fast, reference
    for p, q in zip(params, ref_params):
        np.testing.assert_allclose(_numpy(p), _numpy(q), rtol=tolerance, atol=tolerance)
        assert set(opt.state[p]) == set(ref_opt.state[q])
        for key, value in ref_opt.state[q].items():
            mine = opt.state[p][key]
            if hasattr(value, "shape"):
                np.testing.assert_allclose(
                    _numpy(mine), _numpy(value), rtol=tolerance, atol=tolerance, err_msg=key
                )


@pytest.fixture(params=["compiled", "numpy"])
def kernels(request, monkeypatch):
    """Run with numba's kernels where installed, and with the NumPy kernels only."""
    if request.param == "compiled":
        pytest.importorskip("numba")
    else:
        from tinyoptim.backends.numpy_backend import NumpyBackend

        monkeypatch.setattr(NumpyBackend, "kernel", lambda self, name: None)
    return request.param


@pytest.mark.parametrize(
    "cls_name, case, kwargs",
    [(c, n, k) for c in FAST for n, k in CASES[c]],
    ids=lambda v: str(v),
)
def test_steady_loop_matches_reference(cls_name, case, kwargs, device, kernels):
    dtype = "float64"
    tinyoptim.set_default_dtype(dtype)
    grads = _grads(3, dtype)
    fast = _setup(cls_name, kwargs, dtype, device)
    reference = _setup(cls_name, kwargs, dtype, device, foreach=False)
    for k in range(STEPS):
        for params, opt in (fast, reference):
            _refill(params, grads[k])
            opt.step()
        _assert_same(fast, reference, FAST_VS_REFERENCE[dtype])
    plans = list(fast[1]._plans.values())  # plain SGD too: its buckets hold no state
    assert plans and all(isinstance(plan, Plan) for plan in plans)  # the plan was kept


@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("weight_decay, maximize", [(0, False), (0.1, True)])
def test_plain_sgd_keeps_no_state(foreach, weight_decay, maximize, device, kernels):
    """Without momentum torch's SGD has no state; the fast path's buckets add none."""
    params = [tinyoptim.ones(shape, requires_grad=True, device=device) for shape in SHAPES]
    opt = tinyoptim.optim.SGD(
        params, lr=0.1, weight_decay=weight_decay, maximize=maximize, foreach=foreach
    )
    for _ in range(3):
        for p in params:
            p.grad = tinyoptim.ones(p.shape, device=device)
        opt.step()
    assert len(opt.state) == 0 and opt.state_dict()["state"] == {}
    expected = 1.0
    for _ in range(3):
        expected -= 0.1 * ((-1 if maximize else 1) + weight_decay * expected)
    for p in params:
        np.testing.assert_allclose(_numpy(p), np.full(p.shape, expected), rtol=1e-6)


def _events():
    """Things a user does between steps; each must reach the next step."""

    def replace_state(params, opt):
        key = next(
            k for k, v in opt.state[params[0]].items() if hasattr(v, "shape") and k != "step"
        )
        opt.state[params[0]][key] = opt.state[params[0]][key] * 0.5

    def edit_state_in_place(params, opt):
        key = next(
            k for k, v in opt.state[params[1]].items() if hasattr(v, "shape") and k != "step"
        )
        opt.state[params[1]][key].mul_(0.25)

    def drop_state(params, opt):
        del opt.state[params[2]]

    def skip_a_grad(params, opt):
        params[3].grad = None

    def new_grad_tensors(params, opt):
        for p in params:
            p.grad = tinyoptim.zeros_like(p)

    def replace_param_array(params, opt):
        params[0].data = params[0].data.copy()

    def reload_state(params, opt):
        opt.load_state_dict(copy.deepcopy(opt.state_dict()))

    def change_lr(params, opt):
        opt.param_groups[0]["lr"] *= 0.5

    return [
        replace_state,
        edit_state_in_place,
        drop_state,
        skip_a_grad,
        new_grad_tensors,
        replace_param_array,
        reload_state,
        change_lr,
    ]


@pytest.mark.parametrize("event", _events(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("cls_name", ["Adam", "SGD", "NAdam", "ASGD", "Adagrad"])
def test_changes_between_steps_reach_the_next_step(cls_name, event, device, kernels):
    dtype = "float64"
    tinyoptim.set_default_dtype(dtype)
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9)}.get(cls_name, dict(lr=0.01))
    grads = _grads(11, dtype)
    fast = _setup(cls_name, kwargs, dtype, device)
    reference = _setup(cls_name, kwargs, dtype, device, foreach=False)
    for k in range(STEPS):
        for params, opt in (fast, reference):
            if k == 4:
                event(params, opt)
            for p, g in zip(params, grads[k]):
                if p.grad is not None:
                    p.grad.copy_(tinyoptim.tensor(g, device=p.device))
                elif k != 4:
                    p.grad = tinyoptim.tensor(g, device=p.device)
            opt.step()
        _assert_same(fast, reference, FAST_VS_REFERENCE[dtype])


def test_flattened_parameters_mid_training_keep_matching(kernels):
    tinyoptim.set_default_dtype("float64")
    models, opts = [], []
    for foreach in (None, False):
        tinyoptim.manual_seed(0)
        model = tinyoptim.nn.Sequential(
            tinyoptim.nn.Linear(6, 8), tinyoptim.nn.Tanh(), tinyoptim.nn.Linear(8, 2)
        )
        models.append(model)
        opts.append(tinyoptim.optim.Adam(model.parameters(), lr=0.01, foreach=foreach))
    x = tinyoptim.tensor(np.random.default_rng(0).standard_normal((5, 6)))
    for k in range(8):
        for model, opt in zip(models, opts):
            if k == 3:
                model.flatten_parameters()  # new arrays for every parameter and grad
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
        for p, q in zip(models[0].parameters(), models[1].parameters()):
            np.testing.assert_allclose(_numpy(p), _numpy(q), rtol=1e-12, atol=1e-12)


def test_state_map_is_a_defaultdict_of_dicts_that_counts_changes():
    state = StateMap()
    key = object()
    assert state[key] == {} and isinstance(state[key], ParamState)
    before = state.changes
    state[key]["exp_avg"] = 1
    state[key].update(step=2)
    state[key].pop("step")
    assert state.changes == before + 3
    state[key] = {"exp_avg": 5}  # a plain dict is wrapped, and counts
    assert type(state[key]) is ParamState and state[key] == {"exp_avg": 5}
    assert state.changes == before + 4
    del state[key]
    assert key not in state and state.changes == before + 5
    assert state.get(key) is None and key not in state  # get does not create


def test_state_map_copies_and_pickles_keep_counting():
    p = tinyoptim.ones(3, requires_grad=True)
    opt = tinyoptim.optim.Adam([p])
    p.grad = tinyoptim.ones(3)
    opt.step()
    for copied in (copy.deepcopy(opt.state), pickle.loads(pickle.dumps(opt.state))):
        assert type(copied) is StateMap
        (per_param,) = copied.values()
        assert type(per_param) is ParamState and per_param.owner is copied
        assert set(per_param) == {"step", "exp_avg", "exp_avg_sq"}
        before = copied.changes
        per_param["step"] = 0
        assert copied.changes == before + 1


def test_a_user_dict_as_state_turns_the_plan_off():
    p = tinyoptim.ones(3, requires_grad=True)
    opt = tinyoptim.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = tinyoptim.ones(3)
    opt.step()
    opt.state = {p: dict(opt.state[p])}  # replaced by a plain dict: nothing counts changes
    opt.step()
    assert not opt._plans
    reference = tinyoptim.optim.SGD([tinyoptim.ones(3, requires_grad=True)], lr=0.1, momentum=0.9)
    (q,) = reference.param_groups[0]["params"]
    q.grad = tinyoptim.ones(3)
    reference.step()
    reference.step()
    np.testing.assert_array_equal(_numpy(p), _numpy(q))


def test_pointer_table_refuses_mixed_or_strided_arrays():
    a = np.zeros(8, np.float32)
    with pytest.raises(ValueError, match="1-d contiguous arrays of one dtype"):
        PointerTable([(a, np.zeros(8, np.float64))])
    with pytest.raises(ValueError, match="1-d contiguous arrays of one dtype"):
        PointerTable([(a, np.zeros(16, np.float32)[::2])])


def test_pointer_table_rows_cover_every_element_once():
    kernels_cpu = pytest.importorskip("tinyoptim.backends.kernels_cpu")
    sizes = [1, BLOCK, BLOCK + 1, 3 * BLOCK - 1, 0, 5]
    pieces = [(np.zeros(n, np.float32), np.ones(n, np.float32)) for n in sizes]
    table = PointerTable(pieces)
    assert table.size == sum(sizes)
    assert table.rows[:, -1].sum() == sum(sizes) and table.rows[:, -1].max() <= BLOCK
    kernels_cpu.KERNELS["sgd_plain"].over(table, (False, np.float32(0), np.float32(-2)))
    for theta, _ in pieces:  # theta += grad * -2, exactly once per element
        assert np.all(theta == -2)


@pytest.mark.parametrize("cls_name, kwargs", [("Adam", {}), ("SGD", dict(lr=0.1))])
def test_float16_parameters_take_the_numpy_kernels(cls_name, kwargs):
    rng = np.random.default_rng(5)
    start = [rng.standard_normal(n).astype("float16") for n in (20000, 7)]
    runs = []
    for foreach in (None, False):
        params = [tinyoptim.tensor(a, requires_grad=True) for a in start]
        opt = getattr(tinyoptim.optim, cls_name)(params, **kwargs, foreach=foreach)
        for _ in range(3):
            for p in params:
                p.grad = tinyoptim.ones_like(p)
            opt.step()
        runs.append([_numpy(p) for p in params])
    for fast, reference in zip(*runs):
        assert fast.dtype == np.float16
        np.testing.assert_allclose(fast, reference, rtol=2e-3, atol=2e-3)
