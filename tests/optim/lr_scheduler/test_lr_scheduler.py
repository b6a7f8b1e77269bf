"""tinyoptim.optim.lr_scheduler against torch 2.13: sequences, warnings, signatures, state.

The reference is torch itself when 2.13 is importable, else ``tests/golden/schedulers.npz``
(written by ``tests/golden/make_golden_schedulers.py``).
"""

from __future__ import annotations

import copy
import json
import os
import warnings

import numpy as np
import pytest

import tinyoptim
from tests.optim.lr_scheduler.cases import (
    CASES,
    STEPS,
    Scale,
    make_optimizer,
    record,
    scheduler_names,
    signatures,
    state_summary,
)
from tests.optim.lr_scheduler.scenarios import SCENARIOS, run_scenario
from tests.torch_ref import torch

S = tinyoptim.optim.lr_scheduler
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "golden", "schedulers.npz")
_golden_cache: dict = {}


def golden():
    if not _golden_cache:
        with np.load(GOLDEN, allow_pickle=False) as data:
            _golden_cache.update({k: data[k] for k in data.files})
            _golden_cache["extra"] = json.loads(str(data["json"]))
    return _golden_cache


def reference_sequence(name: str) -> np.ndarray:
    return record(torch, name) if torch is not None else golden()[f"seq/{name}"]


# -- (a) sequences ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches_torch(name):
    ours = record(tinyoptim, name)
    expected = reference_sequence(name)
    assert ours.shape == expected.shape == (STEPS + 1, 6)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)


def test_plateau_reads_metrics_with_float_as_torch():
    """float, int, 0-d tinyoptim Tensor, 0-d NumPy array, NumPy scalar: ``float(metrics)``."""
    wraps = [float, tinyoptim.tensor, np.array, lambda v: np.float32(v)]
    lrs = []
    for wrap in wraps:
        opt = make_optimizer(tinyoptim)
        sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1)
        for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]:
            sched.step(wrap(metric))
        lrs.append(sched.get_last_lr())
    assert lrs == [[0.025, 0.0125]] * len(wraps)
    sched = S.ReduceLROnPlateau(make_optimizer(tinyoptim))
    with pytest.raises(ValueError, match="only one element tensors can be converted"):
        sched.step(tinyoptim.tensor([0.5, 0.4]))
    with pytest.raises(TypeError, match="only 0-dimensional arrays can be converted"):
        sched.step(np.array([0.5]))
    loss = tinyoptim.tensor(0.5, requires_grad=True)
    with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True"):
        sched.step(loss)


def test_plateau_trace_from_spec():
    """TORCH_OPTIM.md §6.3: patience=1, factor=.5, cooldown=1 gives 1, 1, 1, .5, .5, .5, .25."""
    p = tinyoptim.tensor([1.0], requires_grad=True)
    opt = tinyoptim.optim.SGD([p], lr=1.0)
    sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1)
    seen = [sched.get_last_lr()[0]]
    for metric in [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95]:
        sched.step(metric)
        seen.append(sched.get_last_lr()[0])
    assert seen == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]


def test_plateau_min_lrs_follow_added_groups():
    opt = make_optimizer(tinyoptim)
    sched = S.ReduceLROnPlateau(opt, patience=0, min_lr=0.02)
    opt.add_param_group({"params": [tinyoptim.tensor([0.0], requires_grad=True)], "lr": 0.3})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.get_last_lr() == [max(0.1 * 0.1, 0.02), max(0.05 * 0.1, 0.02), 0.3 * 0.1]
    assert sched.min_lrs == [0.02] * 3


def test_onecycle_steps_past_the_end():
    opt = make_optimizer(tinyoptim)
    sched = S.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError) as ours:
        sched.step()
    assert str(ours.value) == "Tried to step 4 times. The specified number of total steps is 3"


# -- (b) warnings ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_warnings_fire_as_in_torch(name):
    messages, values = run_scenario(tinyoptim, name)
    if torch is not None:
        expected = run_scenario(torch, name)
    else:
        expected = golden()["extra"]["scenarios"][name]
    assert messages == expected[0]
    np.testing.assert_allclose(values, expected[1], rtol=1e-12, atol=0)


def test_order_warning_text():
    opt = make_optimizer(tinyoptim)
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning) as caught:
        sched.step()
    assert str(caught[0].message) == (
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 "
        "and later, you should call them in the opposite order: `optimizer.step()` before "
        "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
        "value of the learning rate schedule. See more details at "
        "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
    )


def test_optimizer_step_is_wrapped_once_and_still_runs_hooks():
    opt = make_optimizer(tinyoptim)
    S.StepLR(opt, 2)
    wrapped = opt.step
    S.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped and wrapped._wrapped_by_lr_sched
    calls = []
    opt.register_step_post_hook(lambda *args: calls.append(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert calls == [1] and opt._opt_called


# -- (c) signatures --------------------------------------------------------------------------


def test_signatures_match_torch():
    """Every exported name, in torch's ``__all__`` order, with torch's signatures."""
    if torch is not None:
        expected = signatures(torch.optim.lr_scheduler)
    else:
        expected = golden()["extra"]["signatures"]
    assert list(signatures(S).items()) == list(expected.items())
    assert issubclass(S._LRScheduler, S.LRScheduler)


def test_verbose_is_gone():
    with pytest.raises(TypeError, match="unexpected keyword argument 'verbose'"):
        S.StepLR(make_optimizer(tinyoptim), 2, verbose=True)


# -- (d) state_dict --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_contents_match_torch(name):
    kind, factory, _ = CASES[name]
    ours = state_summary(factory(S, make_optimizer(tinyoptim, kind)))
    if torch is not None:
        theirs = state_summary(factory(torch.optim.lr_scheduler, make_optimizer(torch, kind)))
    else:
        theirs = golden()["extra"]["states"][name]
    assert json.loads(ours) == json.loads(theirs)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip_continues_identically(name):
    """Stop mid-schedule, load optimizer and scheduler state into fresh objects, go on."""
    kind, factory, _ = CASES[name]
    k = 137
    full = record(tinyoptim, name)
    opt = make_optimizer(tinyoptim, kind)
    sched = factory(S, opt)
    record(tinyoptim, name, steps=k, resume=(sched, opt, 0))
    opt_state = copy.deepcopy(opt.state_dict())
    sched_state = copy.deepcopy(sched.state_dict())
    fresh_opt = make_optimizer(tinyoptim, kind)
    fresh = factory(S, fresh_opt)
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(sched_state)
    rest = record(tinyoptim, name, steps=STEPS - k, resume=(fresh, fresh_opt, k))
    np.testing.assert_array_equal(rest, full[k:])


def test_callable_objects_keep_their_state():
    opt = make_optimizer(tinyoptim)
    sched = S.LambdaLR(opt, [Scale(0.5), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    sched.lr_lambdas[0].rate = 0.1
    sched.load_state_dict(state)
    assert sched.lr_lambdas[0].rate == 0.5 and "lr_lambdas" in state


# -- (f) coverage ----------------------------------------------------------------------------


def test_every_scheduler_has_a_sequence_case():
    covered = set()
    for kind, factory, _ in CASES.values():
        covered |= scheduler_names(factory(S, make_optimizer(tinyoptim, kind)))
    missing = set(S.__all__) - {"LRScheduler"} - covered
    assert not missing, f"schedulers without a sequence case in cases.py: {sorted(missing)}"


def test_get_lr_warning_names_the_scheduler_file_as_torchs():
    sched = S.StepLR(make_optimizer(tinyoptim), 2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`") as record:
        sched.get_lr()
    assert os.path.dirname(record[0].filename).endswith(os.path.join("optim", "lr_scheduler"))


def test_cyclic_calls_scale_fn_per_group_and_use_as_torch():
    calls = []

    def scale(x):
        calls.append(x)
        return 1.0

    net = [tinyoptim.zeros(1, requires_grad=True) for _ in range(2)]
    opt = tinyoptim.optim.SGD([{"params": [p]} for p in net], lr=0.1, momentum=0.9)
    sched = S.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=scale, scale_mode="iterations")
    assert calls == [0] * 4  # construction: lr and momentum, for each of the two groups
    opt.step()
    sched.step()
    assert calls == [0] * 4 + [1] * 4
