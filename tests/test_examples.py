"""Every script in ``examples/`` runs offline, under a time limit, and writes its pictures.

Each runs in a subprocess with ``--out`` pointing into ``tmp_path``, as a reader would run
it, inheriting ``TINYOPTIM_DEVICE`` (so the strict run checks they cross to the host only
explicitly). Time limits are pytest-timeout markers, never timing assertions. BLAS is
kept to one thread unless the caller chose otherwise: on a busy shared machine, OpenBLAS
threads spinning over these small matrices made one example six times slower.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
PNG = b"\x89PNG\r\n\x1a\n"
# script -> the files it must write into --out
OUTPUTS = {
    "01_autograd_by_hand.py": ["graph.dot"],
    "02_digits_mlp.py": ["digits_history.png"],
    "03_optimizer_race.py": ["race.png"],
    "04_rosenbrock_trajectories.py": ["rosenbrock.png"],
    "05_scheduler_grid.py": ["schedulers.png"],
    "06_sparse_adam_bag_of_words.py": ["bag_of_words.png"],
    "07_lbfgs_curve_fit.py": ["curve_fit.png"],
}


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py")) == sorted(OUTPUTS)


def test_every_example_says_what_it_shows():
    for name in OUTPUTS:
        source = (EXAMPLES / name).read_text()
        assert source.startswith('"""'), name
        assert f"python examples/{name} --out" in source, name


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_example_runs_and_writes_its_pictures(name, tmp_path):
    outputs = OUTPUTS[name]
    if any(out.endswith(".png") for out in outputs) and not _has("matplotlib"):
        pytest.skip("needs matplotlib (the [plot] extra)")
    root = EXAMPLES.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), *sys.path]))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrote" in result.stdout
    for out in outputs:
        path = tmp_path / "out" / out
        assert path.exists(), out
        if out.endswith(".png"):
            assert path.read_bytes()[:8] == PNG, out
    if name == "01_autograd_by_hand.py":
        text = (tmp_path / "out" / "graph.dot").read_text()
        assert text.startswith("digraph autograd {") and "MulBackward0" in text
        assert "gradcheck(w, b): True" in result.stdout
