"""Device names, the default device and ``TINYOPTIM_DEVICE``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tinyoptim

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize(
    "spec, kind, index, text, representation",
    [
        ("cpu", "cpu", None, "cpu", "device(type='cpu')"),
        ("cuda", "cuda", None, "cuda", "device(type='cuda')"),
        ("cuda:1", "cuda", 1, "cuda:1", "device(type='cuda', index=1)"),
        ("strict", "strict", None, "strict", "device(type='strict')"),
    ],
)
def test_device_parsing(spec, kind, index, text, representation):
    d = tinyoptim.device(spec)
    assert (d.type, d.index, str(d), repr(d)) == (kind, index, text, representation)
    assert d == spec and d == tinyoptim.device(d) and hash(d) == hash(tinyoptim.device(spec))


def test_device_with_index_argument():
    assert tinyoptim.device("cuda", 2) == "cuda:2"
    assert repr(tinyoptim.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert tinyoptim.device("cpu") != tinyoptim.device("strict")


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "gpu:0", ""])
def test_bad_device_strings(spec):
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, strict device type"):
        tinyoptim.device(spec)


def test_bad_device_arguments():
    with pytest.raises(TypeError, match="device\\(\\) expects a string"):
        tinyoptim.device(3.5)
    with pytest.raises(RuntimeError, match="device index given twice"):
        tinyoptim.device("cuda:0", 1)


def test_an_int_names_a_gpu_and_the_host_drops_its_index():
    assert tinyoptim.device(0) == tinyoptim.device("cuda:0")
    assert tinyoptim.device("cpu:0") == tinyoptim.device("cpu", 0) == tinyoptim.device("cpu")
    assert tinyoptim.zeros(2, device="cpu:0").device == tinyoptim.device("cpu")


def test_tensor_device_attribute(device):
    t = tinyoptim.zeros(2, device=device)
    expected = "cuda:0" if device == "cuda" else device
    assert t.device == tinyoptim.device(expected) and str(t.device) == expected
    assert t.backend is tinyoptim.device(expected).backend


def test_set_and_get_default_device():
    before = tinyoptim.get_default_device()
    try:
        tinyoptim.set_default_device("strict")
        assert tinyoptim.get_default_device() == "strict"
        assert tinyoptim.zeros(2).device == "strict"
        assert tinyoptim.tensor([1.0]).device == "strict"
        assert tinyoptim.randn(2).device == "strict"
        assert tinyoptim.tensor([1.0], device="cpu").device == "cpu"
        tinyoptim.set_default_device(tinyoptim.device("cpu"))
        assert tinyoptim.zeros(2).device == "cpu"
    finally:
        tinyoptim.set_default_device(before)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, strict"):
        tinyoptim.set_default_device("tpu")
    assert tinyoptim.get_default_device() == before


@pytest.mark.parametrize("name", ["strict", "cpu"])
def test_environment_variable_sets_the_default(name):
    env = dict(os.environ, TINYOPTIM_DEVICE=name)
    code = "import tinyoptim; print(tinyoptim.get_default_device(), tinyoptim.zeros(1).device)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [name, name]


def test_import_does_not_import_cupy():
    code = "import sys, tinyoptim; tinyoptim.zeros(2); print('cupy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_cuda_namespace_without_a_gpu():
    if tinyoptim.cuda.is_available():
        assert tinyoptim.cuda.device_count() >= 1
        stats = tinyoptim.cuda.memory_stats()
        assert set(stats) == {"used_bytes", "total_bytes"}
    else:
        assert tinyoptim.cuda.device_count() == 0


@pytest.mark.requires_cuda
def test_cuda_round_trip():
    t = tinyoptim.tensor([1.0, 2.0]).cuda()
    assert t.device == "cuda:0" and t.cpu().tolist() == [1.0, 2.0]
    assert tinyoptim.cuda.memory_stats()["used_bytes"] > 0
