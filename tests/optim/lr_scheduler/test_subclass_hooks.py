"""The private methods torch's schedulers call through ``self``, which subclasses override
and pickling relies on: they exist here too, with torch's names, and are used the same way."""

from __future__ import annotations

import pickle

import numpy as np

import tinyoptim
from tinyoptim.optim import SGD, lr_scheduler, swa_utils


def sgd(**kwargs):
    return SGD([tinyoptim.tensor(np.zeros(1), requires_grad=True)], lr=0.1, **kwargs)


def test_cyclic_exp_range_pickles_and_keeps_its_schedule():
    opt = sgd(momentum=0.9)
    scheduler = lr_scheduler.CyclicLR(opt, 0.01, 0.1, 3, mode="exp_range", gamma=0.99)
    for _ in range(5):
        opt.step()
        scheduler.step()
    copy = pickle.loads(pickle.dumps(scheduler))
    assert copy.get_last_lr() == scheduler.get_last_lr() == [0.038529701496999975]
    assert copy.scale_fn(3) == 0.99**3
    assert lr_scheduler.CyclicLR._triangular2_scale_fn(3) == 0.25


def test_reduce_lr_takes_the_epoch_as_torch():
    seen = []

    class Logged(lr_scheduler.ReduceLROnPlateau):
        def _reduce_lr(self, epoch):
            seen.append(epoch)
            super()._reduce_lr(epoch)

    opt = sgd()
    scheduler = Logged(opt, patience=0)
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert seen == [2] and opt.param_groups[0]["lr"] == 0.010000000000000002


def test_one_cycle_anneals_through_an_overridable_method():
    class Flat(lr_scheduler.OneCycleLR):
        def _anneal_func(self, start, end, pct):
            return start

    opt = sgd(momentum=0.9)
    scheduler = Flat(opt, max_lr=1.0, total_steps=10)
    opt.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.04]  # torch 2.13's value
    assert lr_scheduler.OneCycleLR._annealing_linear(1.0, 0.0, 0.25) == 0.75


def test_swalr_static_helpers_and_the_epoch_warning_name():
    assert swa_utils.SWALR._get_initial_lr(0.5, 0.1, 0.3) == (0.5 - 0.3 * 0.1) / 0.7
    assert swa_utils.SWALR._get_initial_lr(0.5, 0.1, 1) == 0.1
    assert swa_utils.SWALR._cosine_anneal(1.0) == 1.0
    assert lr_scheduler.EPOCH_DEPRECATION_WARNING.startswith("The epoch parameter")
