"""tinyoptim.distributed, DistributedDataParallel and ZeroRedundancyOptimizer on 2 and 3
MPI ranks (each test launches ``mpiexec``; see launch.py), plus the checks that need no
MPI at all: errors before ``init_process_group``, and unknown backends."""

from __future__ import annotations

import pytest

import tinyoptim
import tinyoptim.distributed as dist

from .launch import launch


@pytest.mark.parametrize("ranks", [2, 3])
def test_collectives_on_cpu(ranks):
    assert "collectives ok" in launch("collectives", ranks)


@pytest.mark.parametrize("ranks", [2, 3])
def test_ddp_equals_single_process_training_and_no_sync_accumulates(ranks):
    assert "ddp ok" in launch("ddp", ranks)


def test_zero_equals_plain_optimizer_and_resumes_on_any_world_size(tmp_path):
    assert "zero ok" in launch("zero", 2, str(tmp_path))
    assert "zero ok" in launch("zero", 3, str(tmp_path), "2")  # resumes the 2-rank checkpoint


@pytest.mark.parametrize(
    "call",
    [
        lambda: dist.all_reduce(tinyoptim.ones(2)),
        lambda: dist.broadcast(tinyoptim.ones(2), 0),
        lambda: dist.get_rank(),
        lambda: dist.get_world_size(),
        lambda: dist.barrier(),
    ],
    ids=["all_reduce", "broadcast", "get_rank", "get_world_size", "barrier"],
)
def test_a_collective_before_init_raises_torchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == (
        "Default process group has not been initialized, please make sure to call "
        "init_process_group."
    )


@pytest.mark.parametrize("backend", ["gloo", "foo", ""])
def test_an_unknown_backend_is_refused(backend):
    with pytest.raises(ValueError, match=f"Invalid backend: '{backend}'.*'mpi'.*'nccl'"):
        dist.init_process_group(backend)
    assert not dist.is_initialized()


def test_importing_tinyoptim_imports_no_mpi():
    import subprocess
    import sys

    code = (
        "import sys, tinyoptim, tinyoptim.distributed, tinyoptim.nn.parallel, "
        "tinyoptim.utils.data; print(sorted(m for m in sys.modules if m.startswith(('mpi4py', "
        "'cupy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
