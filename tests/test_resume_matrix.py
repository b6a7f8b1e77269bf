"""Golden resume: a run interrupted by a checkpoint and resumed elsewhere is bit-identical.

For every optimizer × {constant lr, StepLR, CosineAnnealingWarmRestarts,
SequentialLR(LinearLR → CosineAnnealingLR)}, plus OneCycleLR where the optimizer has
momentum or betas, in float64 and float32:

1. train 2k steps straight;
2. separately, train k steps and ``tinyoptim.save`` the model, optimizer, scheduler and RNG;
3. in a fresh process, build fresh objects, load all four, and train k more steps.

The parameters of 3 must equal those of 1 bit for bit. SparseAdam trains an embedding bag
(with Adam on its dense head, whose state is saved too) and LBFGS goes through its closure.
Every optimizer also runs, without a scheduler, with the other dtype as the default dtype,
so that its 0-d bookkeeping (``step``, NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``)
differs in dtype from its parameters. Each step draws minibatch rows (and dropout masks)
from tinyoptim's generator, so the RNG state matters; control cases that leave out one of
the loads must diverge.

The cases run in batches, one process per dtype and phase (tests/resume_worker.py), the
two dtypes side by side. The processes inherit ``TINYOPTIM_DEVICE``, so under
``TINYOPTIM_DEVICE=strict`` the whole matrix runs on the strict device.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinyoptim
from tests.resume_worker import ONE_CYCLE, OPTIMIZERS, cases

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "resume_worker.py"
# One thread each: the two dtypes run side by side, and the tensors are tiny.
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "OPENBLAS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
K = 5
DEVICE = str(tinyoptim.get_default_device())  # TINYOPTIM_DEVICE's, which the workers inherit
CASES = cases()
OTHER = {"float64": "float32", "float32": "float64"}
# Per dtype of the parameters: the matrix; every optimizer again, without a scheduler, with
# the other dtype as the default (the dtype of the 0-d bookkeeping); and the controls, which
# resume without one of the loads and must then diverge.
MATRIX = {
    dtype: CASES
    + [
        {**case, "id": f"{case['id']}-default-{other}", "default_dtype": other}
        for case in CASES
        if case["scheduler"] is None
    ]
    + [
        {**case, "id": f"{case['id']}-without-{omit}", "base": case["id"], "omit": omit}
        for case in CASES
        if case["id"] == "Adam-StepLR"
        for omit in ("rng", "optimizer", "scheduler")
    ]
    for dtype, other in OTHER.items()
}
RESUMES = [(dtype, c["id"]) for dtype, matrix in MATRIX.items() for c in matrix if "omit" not in c]
CONTROLS = [(dtype, c["id"]) for dtype, matrix in MATRIX.items() for c in matrix if "omit" in c]


def _run_phase(mode: str, jobs: dict) -> None:
    """Run ``resume_worker.py mode job`` for every dtype at once and wait for all of them."""
    children = {
        dtype: subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(job)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=CHILD_ENV,
        )
        for dtype, job in jobs.items()
    }
    failures = []
    for dtype, child in children.items():
        try:
            out, err = child.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for other in children.values():
                other.kill()
            raise
        if child.returncode != 0:
            failures.append(f"{mode} {dtype} exited with {child.returncode}:\n{out}{err}")
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{(dtype, case id): {"straight", "at_k", "resumed"}: parameters}`` for every case."""
    folder = tmp_path_factory.mktemp("resume")
    files, train_jobs, resume_jobs = {}, {}, {}
    for dtype, matrix in MATRIX.items():
        job_cases = []
        for case in matrix:
            first = f"{dtype}-{case.get('base', case['id'])}"  # a control reuses its base's
            paths = {
                "checkpoint": folder / f"{first}.safetensors",
                "straight": folder / f"{first}-straight.npz",
                "at_k": folder / f"{first}-at-k.npz",
                "resumed": folder / f"{dtype}-{case['id']}-resumed.npz",
            }
            files[dtype, case["id"]] = paths
            job_cases.append({**case, **{name: str(path) for name, path in paths.items()}})
        for jobs, mode, selected in [
            (train_jobs, "train", [c for c in job_cases if "omit" not in c]),
            (resume_jobs, "resume", job_cases),
        ]:
            jobs[dtype] = folder / f"{dtype}-{mode}.json"
            spec = {"dtype": dtype, "device": DEVICE, "k": K, "cases": selected}
            jobs[dtype].write_text(json.dumps(spec))
    _run_phase("train", train_jobs)
    _run_phase("resume", resume_jobs)

    def read(path):
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}

    return {
        key: {name: read(path) for name, path in paths.items() if name != "checkpoint"}
        for key, paths in files.items()
    }


def _params(results: dict) -> dict:
    return {key[6:]: value for key, value in results.items() if key.startswith("param|")}


def _same_bits(a: dict, b: dict) -> bool:
    return sorted(a) == sorted(b) and all(
        a[n].dtype == b[n].dtype and a[n].shape == b[n].shape and a[n].tobytes() == b[n].tobytes()
        for n in a
    )


@pytest.mark.slow
@pytest.mark.parametrize("dtype, case", RESUMES, ids=[f"{d}-{c}" for d, c in RESUMES])
def test_resumed_run_is_bitwise_the_straight_run(runs, dtype, case):
    run = runs[dtype, case]
    straight, at_k, resumed = (_params(run[name]) for name in ("straight", "at_k", "resumed"))
    assert all(p.dtype == np.dtype(dtype) for p in straight.values())
    assert all(np.isfinite(p).all() for p in straight.values())
    for name in straight:  # every parameter trains in the last k steps
        assert straight[name].tobytes() != at_k[name].tobytes(), f"{name} did not change"
    assert list(resumed) == list(straight)
    for name, want in straight.items():
        got = resumed[name]
        assert (got.dtype, got.shape) == (want.dtype, want.shape), name
        diff = np.abs(got.astype(np.float64) - want).max()
        assert got.tobytes() == want.tobytes(), f"{name} differs by up to {diff}"
    # and so is everything else a checkpoint would hold: optimizer, scheduler and RNG state
    want, got = run["straight"], run["resumed"]
    assert sorted(got) == sorted(want)
    for key in want:
        expected = want[key]
        if key.endswith(("|'eta'", "|'mu'")):  # ASGD's take the parameters' dtype on load,
            expected = expected.astype(dtype)  # as in torch, which then rounds them to it
        assert (got[key].dtype, got[key].shape) == (expected.dtype, expected.shape), key
        assert got[key].tobytes() == expected.tobytes(), f"{key}: {got[key]} != {expected}"


@pytest.mark.slow
@pytest.mark.parametrize("dtype, case", CONTROLS, ids=[f"{d}-{c}" for d, c in CONTROLS])
def test_a_resume_that_skips_a_load_diverges(runs, dtype, case):
    run = runs[dtype, case]
    assert not _same_bits(_params(run["resumed"]), _params(run["straight"]))


def test_the_matrix_covers_every_optimizer_and_schedule():
    optimizers = {name for name in tinyoptim.optim.__all__ if name[0].isupper()} - {"Optimizer"}
    assert set(OPTIMIZERS) == optimizers
    ids = {c["id"] for c in CASES}
    for name in optimizers:
        for sched in ["constant", "StepLR", "CosineAnnealingWarmRestarts", "SequentialLR"]:
            assert f"{name}-{sched}" in ids
        assert (f"{name}-OneCycleLR" in ids) == (name in ONE_CYCLE)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_one_cycle_lr_accepts_exactly_the_optimizers_with_momentum_or_betas(name):
    param = tinyoptim.zeros(2, requires_grad=True)
    opt = getattr(tinyoptim.optim, name)([param], **OPTIMIZERS[name])
    if name in ONE_CYCLE:
        tinyoptim.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    else:
        with pytest.raises(ValueError, match="must support momentum or beta1"):
            tinyoptim.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
