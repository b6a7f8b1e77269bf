"""Warning scenarios: short scheduler programs, each run against a library ``lib``.

``run_scenario`` records the UserWarnings a program raised, in order, and the lrs it saw,
so tinyoptim's can be compared with torch's: the order warnings, the ``get_lr()`` warning
and the deprecated ``step(epoch)`` (closed forms, fractional warm-restart epochs).
"""

from __future__ import annotations

import warnings

from tests.optim.lr_scheduler.cases import make_optimizer


# Warning scenarios: each runs against lib and returns the lrs it saw.
def _plain_step(*args, **kwargs):
    return None


def _scenario_scheduler_first(lib):
    opt = make_optimizer(lib)
    sched = lib.optim.lr_scheduler.StepLR(opt, 2)
    sched.step()
    sched.step()
    opt.step()
    sched.step()
    return sched.get_last_lr()


def _scenario_optimizer_first(lib):
    opt = make_optimizer(lib)
    sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    return sched.get_last_lr()


def _scenario_step_replaced(lib):
    opt = make_optimizer(lib)
    sched = lib.optim.lr_scheduler.StepLR(opt, 2)
    opt.step = _plain_step
    opt.step()
    sched.step()
    return sched.get_last_lr()


def _scenario_optimizer_stepped_before_scheduler(lib):
    opt = make_optimizer(lib)
    opt.step()
    sched = lib.optim.lr_scheduler.StepLR(opt, 2)
    sched.step()
    return sched.get_last_lr()


def _scenario_two_schedulers(lib):
    opt = make_optimizer(lib)
    first = lib.optim.lr_scheduler.StepLR(opt, 2)
    second = lib.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.9)
    first.step()
    opt.step()
    second.step()
    first.step()
    return second.get_last_lr()


def _scenario_get_lr(lib):
    opt = make_optimizer(lib)
    sched = lib.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    sched.step()
    return sched.get_lr()


def _scenario_not_watching(lib):
    """Warm restarts and plateau have their own step: neither checks the order."""
    S = lib.optim.lr_scheduler
    opt = make_optimizer(lib)
    restarts = S.CosineAnnealingWarmRestarts(opt, 3)
    restarts.step()
    plateau = S.ReduceLROnPlateau(opt)
    plateau.step(1.0)
    return restarts.get_last_lr() + plateau.get_last_lr()


def _scenario_composites_first(lib):
    S = lib.optim.lr_scheduler
    opt = make_optimizer(lib)
    chained = S.ChainedScheduler([S.ConstantLR(opt, 0.5, 2), S.ExponentialLR(opt, 0.9)])
    chained.step()
    sequential = S.SequentialLR(opt, [S.ConstantLR(opt, 0.5, 2), S.StepLR(opt, 2)], [3])
    for _ in range(4):
        sequential.step()
    return chained.get_last_lr() + sequential.get_last_lr()


def _scenario_epoch_argument(lib):
    """The deprecated ``step(epoch)``: closed forms, and fractional epochs for warm restarts."""
    S = lib.optim.lr_scheduler
    seen = []
    factories = [
        lambda o: S.StepLR(o, 3, 0.5),
        lambda o: S.MultiStepLR(o, [2, 5, 5], 0.5),
        lambda o: S.ConstantLR(o, 0.5, 4),
        lambda o: S.LinearLR(o, 0.2, 0.8, 6),
        lambda o: S.ExponentialLR(o, 0.9),
        lambda o: S.PolynomialLR(o, 8, 1.5),
        lambda o: S.CosineAnnealingLR(o, 6, 0.01),
        lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
        lambda o: S.CyclicLR(o, 0.01, 0.1, 3),
        lambda o: S.CosineAnnealingWarmRestarts(o, 2, 3, 0.01),
        lambda o: S.CosineAnnealingWarmRestarts(o, 4),
    ]
    for factory in factories:
        opt = make_optimizer(lib)
        sched = factory(opt)
        opt.step()
        for epoch in (3, 7, 2, 4.5, 12, 0):
            if isinstance(epoch, float) and "WarmRestarts" not in type(sched).__name__:
                continue
            sched.step(epoch)
            seen += [sched.last_epoch, *sched.get_last_lr()]
        sched.step()
        seen += sched.get_last_lr()
    return seen


def _scenario_resumed(lib):
    """``last_epoch >= 0`` with ``initial_lr`` already recorded (as after loading a checkpoint)."""
    S = lib.optim.lr_scheduler
    seen = []
    for factory in (
        lambda o, e: S.CosineAnnealingLR(o, 10, 0.001, last_epoch=e),
        lambda o, e: S.StepLR(o, 3, last_epoch=e),
        lambda o, e: S.LinearLR(o, 0.5, total_iters=8, last_epoch=e),
        lambda o, e: S.OneCycleLR(o, 0.5, total_steps=20, last_epoch=e),
        lambda o, e: S.CosineAnnealingWarmRestarts(o, 3, 2, last_epoch=e),
    ):
        opt = make_optimizer(lib)
        first = factory(opt, -1)
        for _ in range(4):
            opt.step()
            first.step()
        opt = make_optimizer(lib)
        opt.load_state_dict(first.optimizer.state_dict())
        sched = factory(opt, 4)
        for _ in range(5):
            opt.step()
            sched.step()
            seen += sched.get_last_lr()
    return seen


SCENARIOS = {
    f.__name__.removeprefix("_scenario_"): f
    for f in (
        _scenario_scheduler_first,
        _scenario_optimizer_first,
        _scenario_step_replaced,
        _scenario_optimizer_stepped_before_scheduler,
        _scenario_two_schedulers,
        _scenario_get_lr,
        _scenario_not_watching,
        _scenario_composites_first,
        _scenario_epoch_argument,
        _scenario_resumed,
    )
}


def run_scenario(lib, name: str) -> tuple[list[str], list[float]]:
    """The UserWarnings a scenario raised, in order, and the lrs it returned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = SCENARIOS[name](lib)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return messages, [float(v) for v in values]
