"""``mpiexec -n 2 python -m tinyoptim demo --distributed``: one table, from rank 0."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.distributed.launch import ROOT, mpiexec


@pytest.mark.slow
def test_demo_trains_data_parallel_and_prints_once(tmp_path):
    runner = mpiexec()
    if runner is None or importlib.util.find_spec("mpi4py") is None:
        pytest.skip('needs MPI: pip install -e ".[distributed]"')
    env = dict(
        os.environ,
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMPI_MCA_mpi_yield_when_idle="1",
        NUMBA_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("TINYOPTIM_DEVICE", None)
    command = [runner, "-n", "2", sys.executable, "-m", "tinyoptim", "demo", "--distributed"]
    command += ["--epochs", "3", "--optimizer", "adam", "sgd", "--out", str(tmp_path)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("optimizer") for line in lines) == 1  # rank 0 only
    rows = {w[0]: w for w in map(str.split, lines) if w and w[0] in ("adam", "sgd")}
    assert set(rows) == {"adam", "sgd"}
    assert float(rows["adam"][2].rstrip("%")) > 80
    assert "data parallel over 2 ranks" in done.stderr
