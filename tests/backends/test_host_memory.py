"""keep_freed_memory: after it, a loop that frees and allocates megabytes reuses them."""

import platform
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy
    from tinyoptim.backends.host_memory import keep_freed_memory

    if sys.argv[1] == "keep":
        keep_freed_memory()
    numpy.ones(1 << 18, numpy.float32)  # a freed 1 MiB block sets glibc's threshold
    for step in range(11):
        if step == 1:  # the first step's pages are new in any case
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        blocks = [numpy.ones(1 << 18, numpy.float32) for _ in range(12)]  # 12 MiB, written
        del blocks
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
    """
)


def _faults(mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_freed_memory_is_reused_instead_of_faulted_in_again():
    control = _faults("plain")
    if control < 1000:  # this allocator already keeps the memory; nothing to show
        pytest.skip(f"the plain loop took only {control} page faults")
    assert _faults("keep") < control / 10


def test_cpu_backend_applies_it(monkeypatch):
    import importlib

    from tinyoptim.backends import host_memory

    device = importlib.import_module("tinyoptim.backends.device")
    calls = []
    monkeypatch.setattr(device, "keep_freed_memory", lambda: calls.append(1))
    monkeypatch.setattr(device, "_backends", {})
    device.get_backend("cpu")
    assert calls == [1]
    assert host_memory.BLOCK_BYTES <= 32 << 20  # glibc adapts only to blocks this small
