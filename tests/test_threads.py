"""Threads: separate models trained in parallel threads, and checkpoints saved while training.

Grad mode being thread-local is tested in tests/autograd/test_grad_mode.py. Here two
threads each train their own model with their own optimizer, and must reach bitwise the
results of the same runs done one after the other, on cpu and strict; the optimizers'
chunk thread pool (``optim/_sweep.py``) is shared by both, so it is forced into use.
"""

from __future__ import annotations

import copy
import queue
import threading

import numpy as np
import pytest

import tinyoptim
from tinyoptim import nn, optim
from tinyoptim.optim import _sweep

STEPS = 30


def _setup(seed: int, device: str, cls, hp: dict):
    tinyoptim.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4)).to(device)
    x = tinyoptim.randn(32, 16, device=device)
    y = tinyoptim.randn(32, 4, device=device)
    return model, cls(model.parameters(), **hp), x, y


def _train(model, opt, x, y, steps: int = STEPS, barrier=None) -> None:
    if barrier is not None:
        barrier.wait()
    for _ in range(steps):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def _bytes(model, opt) -> list:
    out = [p.detach().numpy().tobytes() for p in model.parameters()]
    for state in opt.state.values():
        for key, value in sorted(state.items()):
            if isinstance(value, tinyoptim.Tensor):
                out.append((key, value.detach().numpy().tobytes()))
    return out


@pytest.fixture
def shared_pool(monkeypatch):
    """Small chunks and no size threshold, so every sweep runs on the shared worker pool."""
    for name in ("cpu", "strict"):  # no compiled (numba) kernels: the NumPy sweep runs
        monkeypatch.setattr(tinyoptim.device(name).backend, "kernel", lambda name: None)
    monkeypatch.setattr(_sweep, "CHUNK_BYTES", 256)
    monkeypatch.setattr(_sweep, "PARALLEL_ELEMENTS", 1)
    monkeypatch.setattr(_sweep, "WORKERS", 2)
    workers = set()
    run = _sweep._run

    def counting_run(bucket, chunks, kernel, work, worker):
        workers.add(worker)
        return run(bucket, chunks, kernel, work, worker)

    monkeypatch.setattr(_sweep, "_run", counting_run)
    return workers


CASES = [
    (optim.Adam, {"foreach": True}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "foreach": False}),
    (optim.RMSprop, {"momentum": 0.9, "foreach": True}),
    (optim.Adagrad, {"foreach": True}),
]


@pytest.mark.parametrize("cls, hp", CASES, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("device", ["cpu", "strict"])
def test_two_threads_match_sequential_runs(cls, hp, device, shared_pool):
    expected = []
    for seed in (1, 2):
        model, opt, x, y = _setup(seed, device, cls, hp)
        _train(model, opt, x, y)
        expected.append(_bytes(model, opt))

    runs = [_setup(seed, device, cls, hp) for seed in (1, 2)]
    barrier = threading.Barrier(2)
    errors = []

    def target(run):
        try:
            _train(*run, barrier=barrier)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=target, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert [_bytes(model, opt) for model, opt, _, _ in runs] == expected
    if hp["foreach"]:
        assert shared_pool >= {0, 1}  # both of the pool's workers really ran


# -- saving while another thread steps: the rule in tinyoptim.save's docstring ----------------


def _trained_to(step: int, device: str):
    model, opt, x, y = _setup(3, device, optim.Adam, {})
    _train(model, opt, x, y, steps=step)
    return model, opt


def _assert_file_holds(path, model, opt) -> None:
    loaded = tinyoptim.load(path)
    expected = {"model": model.state_dict(), "optim": opt.state_dict()}
    flat_loaded, flat_expected = _flatten(loaded), _flatten(expected)
    assert flat_loaded.keys() == flat_expected.keys()
    for key, value in flat_expected.items():
        got = flat_loaded[key]
        if isinstance(value, tinyoptim.Tensor):
            a, b = got.detach().numpy(), value.detach().numpy()
            assert a.dtype == b.dtype and np.array_equal(a, b), key
        else:
            assert got == value, key


def _flatten(obj, prefix=()) -> dict:
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            out.update(_flatten(value, (*prefix, key)))
        return out
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list)) for v in obj):
        out = {}
        for i, value in enumerate(obj):
            out.update(_flatten(value, (*prefix, i)))
        return out
    return {prefix: obj}


@pytest.mark.parametrize("device", ["cpu", "strict"])
def test_save_from_the_stepping_thread_between_steps(device, tmp_path):
    """A step post-hook saves at step 10 while the training thread goes on to step 30."""
    path = str(tmp_path / "at10.safetensors")
    model, opt, x, y = _setup(3, device, optim.Adam, {})
    count = [0]

    def save_at_10(optimizer, args, kwargs):
        count[0] += 1
        if count[0] == 10:
            tinyoptim.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, path)

    opt.register_step_post_hook(save_at_10)
    thread = threading.Thread(target=_train, args=(model, opt, x, y))
    thread.start()
    thread.join()
    _assert_file_holds(path, *_trained_to(10, device))


@pytest.mark.parametrize("device", ["cpu", "strict"])
def test_snapshot_saved_by_another_thread_while_training_goes_on(device, tmp_path):
    """A deep copy taken between steps may be saved from any thread, however long it takes."""
    path = str(tmp_path / "snapshot.safetensors")
    model, opt, x, y = _setup(3, device, optim.Adam, {})
    snapshots: queue.Queue = queue.Queue()
    count = [0]

    def snapshot_at_10(optimizer, args, kwargs):
        count[0] += 1
        if count[0] == 10:
            state = {"model": model.state_dict(), "optim": optimizer.state_dict()}
            snapshots.put(copy.deepcopy(state))

    opt.register_step_post_hook(snapshot_at_10)
    saver = threading.Thread(target=lambda: tinyoptim.save(snapshots.get(timeout=60), path))
    trainer = threading.Thread(target=_train, args=(model, opt, x, y, 200))
    saver.start()
    trainer.start()
    trainer.join()
    saver.join()
    _assert_file_holds(path, *_trained_to(10, device))
