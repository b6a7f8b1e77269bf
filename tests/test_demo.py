"""``python -m tinyoptim demo``: the table, reproducibility, errors, NaN handling, plots.

Runs are in-process through ``tinyoptim.demo.main`` with few epochs, except one full
default run in a subprocess, the command a newcomer types. Time limits are
pytest-timeout markers, never timing assertions.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tinyoptim
from tinyoptim import demo

PNG = b"\x89PNG\r\n\x1a\n"


def _rows(stdout: str) -> dict[str, list[str]]:
    """The results table as {optimizer: [train loss, test acc, time, steps/s]}."""
    lines = stdout.strip().splitlines()
    assert lines[0].split() == [
        "optimizer",
        "train",
        "loss",
        "test",
        "acc",
        "time",
        "(s)",
        "steps/s",
    ]
    return {line.split()[0]: line.split()[1:] for line in lines[1:]}


def _run(capsys, *args) -> tuple[int, str, str]:
    code = demo.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.timeout(120)
def test_default_race_prints_one_row_per_optimizer(capsys, tmp_path):
    code, out, err = _run(capsys, "--epochs", "2", "--out", str(tmp_path))
    assert code == 0
    rows = _rows(out)
    expected = [n for n in demo.DEFAULT_RACE if n in demo.available_optimizers()]
    assert list(rows) == expected and {"sgd", "adam", "adamw"} <= set(rows)
    for loss, acc, seconds, rate in rows.values():
        assert 0 < float(loss) < 2.5 and acc.endswith("%")
        assert float(seconds) > 0 and float(rate) > 0
    assert "epoch   2/2" in err  # plain progress lines: stderr is not a terminal here


@pytest.mark.timeout(120)
def test_two_runs_print_the_same_losses_and_accuracies(capsys, tmp_path):
    args = ("--epochs", "2", "--optimizer", "sgd", "adam", "--out", str(tmp_path))
    first = _rows(_run(capsys, *args)[1])
    second = _rows(_run(capsys, *args)[1])
    assert {k: v[:2] for k, v in first.items()} == {k: v[:2] for k, v in second.items()}


@pytest.mark.timeout(120)
def test_every_optimizer_starts_from_the_same_weights(capsys, tmp_path):
    # AdamW with weight_decay=0 is Adam: same start and same batches give the same row
    demo.CANDIDATES["adamw-nodecay"] = ("AdamW", {"lr": 3e-3, "weight_decay": 0.0})
    try:
        out = _run(
            capsys, "--epochs", "1", "--optimizer", "adam", "adamw-nodecay", "--out", str(tmp_path)
        )[1]
    finally:
        del demo.CANDIDATES["adamw-nodecay"]
    rows = _rows(out)
    assert rows["adam"][:2] == rows["adamw-nodecay"][:2]


@pytest.mark.timeout(120)
def test_a_terminal_gets_a_tqdm_bar(capsys, tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = _run(capsys, "--epochs", "1", "--optimizer", "adam", "--out", str(tmp_path))
    assert code == 0 and list(_rows(out)) == ["adam"]
    assert "step/s" in err or "it/s" in err or "21/21" in err
    assert "epoch   1/1" not in err  # the bar replaces the plain lines


@pytest.mark.timeout(120)
def test_plots_are_written(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, _, err = _run(capsys, "--epochs", "1", "--optimizer", "sgd", "--out", str(tmp_path))
    assert code == 0 and "wrote" in err
    for name in ("loss.png", "accuracy.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG


@pytest.mark.timeout(120)
def test_without_matplotlib_it_says_how_to_get_the_plots(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, out, err = _run(capsys, "--epochs", "1", "--optimizer", "sgd", "--out", str(tmp_path))
    assert code == 0 and _rows(out)
    assert 'pip install -e ".[plot]"' in err
    assert not (tmp_path / "loss.png").exists()


@pytest.mark.timeout(120)
def test_cnn_model(capsys, tmp_path):
    code, out, _ = _run(
        capsys, "--model", "cnn", "--epochs", "1", "--optimizer", "adam", "--out", str(tmp_path)
    )
    assert code == 0 and list(_rows(out)) == ["adam"]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--optimizer", "bogus"], "invalid choice: 'bogus'"),
        (["--model", "resnet"], "invalid choice: 'resnet'"),
        (["--epochs", "0"], "expected a positive integer"),
        (["--device", "tpu"], "expected cpu or cuda"),
    ],
)
def test_bad_flags_are_argparse_errors(capsys, args, expected):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and err.startswith("usage: python -m tinyoptim demo")


def test_an_unknown_optimizer_error_lists_the_valid_names(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--optimizer", "adam", "sdg"])
    err = capsys.readouterr().err
    for name in demo.available_optimizers():
        assert repr(name) in err


def test_help_lists_the_optimizers(capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "one or more of: " + ", ".join(sorted(demo.available_optimizers())) in out


@pytest.mark.skipif(tinyoptim.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_a_clear_error(capsys):
    code, out, err = _run(capsys, "--device", "cuda", "--epochs", "1")
    assert code == 2 and out == ""
    assert err.startswith("error: cannot use a 'cuda' device") and "pip install" in err


@pytest.mark.requires_cuda
@pytest.mark.timeout(120)
def test_cuda_race(capsys, tmp_path):
    code, out, _ = _run(capsys, "--device", "cuda", "--epochs", "1", "--out", str(tmp_path))
    assert code == 0 and _rows(out)


@pytest.mark.timeout(60)
def test_a_diverging_loss_stops_with_the_optimizer_and_step(capsys, tmp_path):
    code, out, err = _run(
        capsys, "--optimizer", "sgd", "--lr", "1e20", "--epochs", "3", "--out", str(tmp_path)
    )
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith("error: sgd: the training loss is")
    assert " at step " in err and "try a smaller lr" in err
    assert "RuntimeWarning" not in err


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_command_a_newcomer_types(tmp_path):
    """``python -m tinyoptim demo``, defaults, from a fresh folder: Adam reaches 95%."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, "-m", "tinyoptim", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = _rows(result.stdout)
    assert float(rows["adam"][1].rstrip("%")) >= 95.0
    if "matplotlib" in sys.modules or _has_matplotlib():
        assert (tmp_path / "tinyoptim-demo" / "loss.png").read_bytes()[:8] == PNG
        assert (tmp_path / "tinyoptim-demo" / "accuracy.png").exists()


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
