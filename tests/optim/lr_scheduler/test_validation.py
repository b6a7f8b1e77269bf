"""Validation errors of tinyoptim.optim.lr_scheduler: torch 2.13's types and exact texts.

Each row is checked against the text written here and, when torch 2.13 is importable, run
against torch too.
"""

from __future__ import annotations

import warnings

import pytest

import tinyoptim
from tests.optim.lr_scheduler.cases import make_optimizer
from tests.torch_ref import torch

# -- (e) validation --------------------------------------------------------------------------


def _plain_optimizer(lib):
    class Plain(lib.optim.Optimizer):  # neither momentum nor betas
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):
            return None

    return Plain([lib.tensor([1.0], requires_grad=True)])


def _other(lib):
    return make_optimizer(lib)


KEY_ERROR = (
    "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with "
    "last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training from "
    "a checkpoint but haven't properly loaded the optimizer state\n2. You're using "
    "last_epoch >= 0 for a fresh training run (not recommended)"
)
# (id, build(S, opt, lib), exception type, exact message)
ERRORS = [
    (
        "not-optimizer",
        lambda S, o, lib: S.StepLR(object(), 3),
        TypeError,
        "object is not an Optimizer",
    ),
    ("initial_lr", lambda S, o, lib: S.StepLR(o, 3, last_epoch=4), KeyError, KEY_ERROR),
    (
        "lambdas",
        lambda S, o, lib: S.LambdaLR(o, [lambda e: 1.0]),
        ValueError,
        "Expected 2 lr_lambdas, but got 1",
    ),
    (
        "multiplicative",
        lambda S, o, lib: S.MultiplicativeLR(o, 0.9),
        TypeError,
        "lr_lambda should be a function, but got float",
    ),
    (
        "constant",
        lambda S, o, lib: S.ConstantLR(o, 1.5),
        ValueError,
        "Constant multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "linear-start",
        lambda S, o, lib: S.LinearLR(o, 0.0),
        ValueError,
        "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
    ),
    (
        "linear-end",
        lambda S, o, lib: S.LinearLR(o, 0.5, 1.5),
        ValueError,
        "Ending multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "restarts-T_0",
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 0),
        ValueError,
        "Expected positive integer T_0, but got 0",
    ),
    (
        "restarts-T_0-float",
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2.0),
        ValueError,
        "Expected positive integer T_0, but got 2.0",
    ),
    (
        "restarts-T_mult",
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2, 0),
        ValueError,
        "Expected integer T_mult >= 1, but got 0",
    ),
    (
        "restarts-eta_min",
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
        ValueError,
        "Expected float or int eta_min, but got 0 of type <class 'str'>",
    ),
    (
        "restarts-epoch",
        lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2).step(-1),
        ValueError,
        "Expected non-negative epoch, but got -1",
    ),
    (
        "cyclic-mode",
        lambda S, o, lib: S.CyclicLR(o, 0.1, 1.0, mode="square"),
        ValueError,
        "mode is invalid and scale_fn is None",
    ),
    (
        "cyclic-length",
        lambda S, o, lib: S.CyclicLR(o, [0.1], 1.0),
        ValueError,
        "base_lr must have the same length as optimizer.param_groups. base_lr has 1 values, "
        "param_groups has 2.",
    ),
    (
        "cyclic-momentum",
        lambda S, o, lib: S.CyclicLR(_plain_optimizer(lib), 0.1, 1.0),
        ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    ),
    (
        "onecycle-momentum",
        lambda S, o, lib: S.OneCycleLR(_plain_optimizer(lib), 1.0, 10),
        ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    ),
    (
        "onecycle-no-length",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, epochs=3),
        ValueError,
        "You must define either total_steps OR (epochs AND steps_per_epoch)",
    ),
    (
        "onecycle-total",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, 0),
        ValueError,
        "Expected positive integer total_steps, but got 0",
    ),
    (
        "onecycle-epochs",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=2),
        ValueError,
        "Expected positive integer epochs, but got 0",
    ),
    (
        "onecycle-per-epoch",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=1.5),
        ValueError,
        "Expected positive integer steps_per_epoch, but got 1.5",
    ),
    (
        "onecycle-pct-int",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, 10, pct_start=1),
        ValueError,
        "Expected float between 0 and 1 pct_start, but got 1",
    ),
    (
        "onecycle-anneal",
        lambda S, o, lib: S.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
        ValueError,
        "anneal_strategy must be one of 'cos' or 'linear', instead got exp",
    ),
    (
        "onecycle-max_lr",
        lambda S, o, lib: S.OneCycleLR(o, [1.0, 2.0, 3.0], 10),
        ValueError,
        "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
        "param_groups has 2.",
    ),
    (
        "plateau-factor",
        lambda S, o, lib: S.ReduceLROnPlateau(o, factor=1.0),
        ValueError,
        "Factor should be < 1.0.",
    ),
    (
        "plateau-optimizer",
        lambda S, o, lib: S.ReduceLROnPlateau([]),
        TypeError,
        "list is not an Optimizer",
    ),
    (
        "plateau-min_lr",
        lambda S, o, lib: S.ReduceLROnPlateau(o, min_lr=[0.1]),
        ValueError,
        "expected 2 min_lrs, got 1",
    ),
    (
        "plateau-mode",
        lambda S, o, lib: S.ReduceLROnPlateau(o, mode="up"),
        ValueError,
        "mode up is unknown!",
    ),
    (
        "plateau-threshold",
        lambda S, o, lib: S.ReduceLROnPlateau(o, threshold_mode="x"),
        ValueError,
        "threshold mode x is unknown!",
    ),
    (
        "plateau-metric",
        lambda S, o, lib: S.ReduceLROnPlateau(o).step("low"),
        ValueError,
        "could not convert string to float: 'low'",
    ),
    (
        "plateau-added-group",
        lambda S, o, lib: _plateau_added_group(S, o, lib),
        RuntimeError,
        "The number of param groups in the `optimizer` (3) differs from when `ReduceLROnPlateau` "
        "was initialized (2), usually due to a new param group being added to the optimizer. "
        "Please modify the `min_lrs` field to match the length of the `optimizer` param groups.",
    ),
    (
        "sequential-empty",
        lambda S, o, lib: S.SequentialLR(o, [], []),
        ValueError,
        "SequentialLR expects at least one scheduler, but got no scheduler.",
    ),
    (
        "sequential-milestones",
        lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], [1, 2]),
        ValueError,
        "Sequential Schedulers expects number of schedulers provided to be one more than the "
        "number of milestone points, but got number of schedulers 2 and the number of milestones "
        "to be equal to 2",
    ),
    (
        "sequential-plateau",
        lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], [2]),
        ValueError,
        "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional "
        "kwargs to be specified when calling `step`, but got one at index 1 in the given "
        "schedulers sequence.",
    ),
    (
        "sequential-child",
        lambda S, o, lib: S.SequentialLR(o, [3], []),
        TypeError,
        "SequentialLR at index 0 should have `optimizer` as its attribute.",
    ),
    (
        "chained-empty",
        lambda S, o, lib: S.ChainedScheduler([]),
        ValueError,
        "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.",
    ),
    (
        "chained-plateau",
        lambda S, o, lib: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
        ValueError,
        "ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it requires "
        "additional kwargs to be specified when calling `step`, but got one at index 0 in the "
        "given schedulers sequence.",
    ),
    (
        "chained-optimizer",
        lambda S, o, lib: S.ChainedScheduler([S.StepLR(o, 2), S.StepLR(_other(lib), 2)]),
        ValueError,
        None,
    ),
]


def _plateau_added_group(S, o, lib):
    sched = S.ReduceLROnPlateau(o, patience=0, min_lr=[0.0, 0.0])
    o.add_param_group({"params": [lib.tensor([0.0], requires_grad=True)]})
    sched.step(1.0)
    sched.step(2.0)


def _raised(lib, build):
    opt = make_optimizer(lib)
    with pytest.raises(Exception) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(lib.optim.lr_scheduler, opt, lib)
    return info.value


@pytest.mark.parametrize("case", ERRORS, ids=[row[0] for row in ERRORS])
def test_validation_errors_match_torch(case):
    _, build, kind, message = case
    ours = _raised(tinyoptim, build)
    assert type(ours) is kind
    if message is not None:
        assert ours.args[0] == message
    else:  # names the other optimizer's repr, which is each library's own
        assert ours.args[0].startswith(
            "ChainedScheduler expects all schedulers to belong to the same optimizer, but got "
            "scheduler StepLR at index 1 has SGD ("
        )
    if torch is not None:
        theirs = _raised(torch, build)
        assert type(theirs) is kind
        if message is not None:
            assert theirs.args[0] == message
