"""Playground pictures: PNGs are written, and matplotlib stays optional."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tinyoptim
from tinyoptim.playground import (
    himmelblau,
    plot_lr_schedules,
    plot_trajectories,
    rosenbrock,
    trace,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG


def test_importing_tinyoptim_does_not_import_matplotlib():
    code = "import sys, tinyoptim, tinyoptim.playground; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_trajectories_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    paths = {
        "SGD": trace(tinyoptim.optim.SGD, rosenbrock, [-1.5, 2.0], 30, lr=1e-3, momentum=0.9),
        "Adam": trace(tinyoptim.optim.Adam, rosenbrock, [-1.5, 2.0], 30, lr=0.05),
    }
    figure = plot_trajectories(rosenbrock, paths, tmp_path / "one.png", resolution=40)
    assert _is_png(tmp_path / "one.png")
    assert len(figure.axes) == 1 and figure.axes[0].get_title() == "rosenbrock"
    figure = plot_trajectories(rosenbrock, paths, tmp_path / "grid.png", ncols=1, resolution=40)
    assert _is_png(tmp_path / "grid.png") and len(figure.axes) == 2


def test_plot_trajectories_of_a_function_that_does_not_broadcast(tmp_path):
    pytest.importorskip("matplotlib")

    def bowl(xy):  # works on one point only
        assert tuple(xy.shape) == (2,)
        return (xy * xy).sum()

    path = trace(tinyoptim.optim.SGD, bowl, [1.0, -1.0], 5, lr=0.2)
    plot_trajectories(bowl, {"SGD": path.tolist()}, tmp_path / "bowl.png", resolution=8)
    assert _is_png(tmp_path / "bowl.png")


def test_plot_takes_nested_lists_and_a_window(tmp_path):
    pytest.importorskip("matplotlib")
    path = [[0.0, 0.0], [1.0, 1.0], [3.0, 2.0]]
    figure = plot_trajectories(himmelblau, {"by hand": path}, xlim=(-1, 4), ylim=(-1, 3))
    assert figure.axes[0].get_xlim() == (-1, 4)


def test_plot_lr_schedules_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    curves = {"constant": [0.1] * 10, "halving": [0.1 / 2**i for i in range(10)], "x": [1, 2]}
    figure = plot_lr_schedules(curves, tmp_path / "lr.png", ncols=2)
    assert _is_png(tmp_path / "lr.png")
    assert [a.get_title() for a in figure.axes if a.axison] == ["constant", "halving", "x"]


def test_clear_error_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "tinyoptim\[plot\]"'):
        plot_trajectories(rosenbrock, {})
    with pytest.raises(ModuleNotFoundError, match="matplotlib"):
        plot_lr_schedules({"a": [1.0]})
