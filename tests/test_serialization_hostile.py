"""Hostile checkpoint files and crashes mid-save, each in a subprocess.

A hostile file is loaded in a child limited to 1 GB of address space and 10 s, so a load
that allocates by a header's word or recurses without bound fails the test instead of
the machine. A saver killed with SIGKILL mid-write must leave the previous checkpoint.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

import tinyoptim
from tests.serialization_helpers import hostile_files

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHILD_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
CHILD_ENV.pop("TINYOPTIM_DEVICE", None)


RUN_LOAD = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
import tinyoptim
try:
    tinyoptim.load(sys.argv[1])
except ValueError as error:
    print("ValueError:", error)
else:
    print("loaded")
"""


@pytest.mark.parametrize("case", sorted(hostile_files()))
def test_hostile_file_is_refused_within_limits(tmp_path, case):
    content, message = hostile_files()[case]
    path = tmp_path / f"{case}.safetensors"
    path.write_bytes(content)
    marker = tmp_path / "pwned"  # the pickle's payload would create it
    result = subprocess.run(
        [sys.executable, "-c", RUN_LOAD, str(path)],
        capture_output=True,
        text=True,
        timeout=10,
        env={**CHILD_ENV, "TINYOPTIM_TEST_MARKER": str(marker)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ValueError: cannot load '{path}': {message}"), result.stdout
    assert not marker.exists()


SAVE_FOREVER = r"""
import os, sys, time
import tinyoptim
real_fsync = os.fsync
def announced_fsync(descriptor):  # the written temp file is about to be renamed
    print("fsync", flush=True)
    time.sleep(0.2)
    real_fsync(descriptor)
os.fsync = announced_fsync
path, first = sys.argv[1], int(sys.argv[2])
for i in range(first, first + 1000):
    print(i, flush=True)
    tinyoptim.save({"i": i, "w": tinyoptim.full((2_000_000,), float(i), dtype="float64")}, path)
"""


@pytest.mark.parametrize("delay", [None, 0.0, 0.01, 0.03])
def test_a_crash_mid_save_leaves_the_previous_checkpoint(tmp_path, delay):
    """Kill the saver of checkpoint 2 after ``delay`` s, or just before its rename (None)."""
    path = tmp_path / "ckpt.safetensors"
    saver = subprocess.Popen(
        [sys.executable, "-c", SAVE_FOREVER, str(path), "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )
    for line in saver.stdout:
        if line == "2\n":
            break
    if delay is None:
        assert saver.stdout.readline() == "fsync\n"
    else:
        time.sleep(delay)
    saver.send_signal(signal.SIGKILL)
    saver.wait(timeout=10)
    saver.stdout.close()
    loaded = tinyoptim.load(path)
    assert loaded["i"] in ((1,) if delay is None else (1, 2))
    assert (loaded["w"].numpy() == loaded["i"]).all()
    others = [p.name for p in tmp_path.iterdir() if p != path]
    assert all(name.startswith(".ckpt.safetensors.") for name in others), others
    if delay is None:  # killed between the write and the rename
        assert len(others) == 1
