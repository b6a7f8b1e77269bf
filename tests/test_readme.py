"""The README: its first lines are the two commands, and its Python blocks run."""

from __future__ import annotations

import pathlib
import re

import pytest

import tinyoptim

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_opens_with_the_two_commands():
    blocks = re.findall(r"```sh\n(.*?)```", TEXT, flags=re.S)
    assert blocks[0].strip() == 'pip install -e ".[plot]" && python -m tinyoptim demo'
    assert blocks[1].strip() == 'pip install -e ".[test]" && python -m pytest -q'
    assert TEXT.index(blocks[1]) < TEXT.index("##")


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_python_block_runs(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # blocks may write files
    default = tinyoptim.get_default_device()
    tinyoptim.set_default_device("cpu")  # the printed values in the README are the CPU's
    try:
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    finally:
        tinyoptim.set_default_device(default)
    printed = capsys.readouterr().out
    # Where a line says what it prints (``print(...)  # value``), the output must agree.
    expected = [c.split("#", 1)[1].split("=")[0].strip() for c in code.splitlines()
                if c.startswith("print(") and "#" in c]  # fmt: skip
    for value in expected:
        assert value in printed, f"README says {value!r}; the code printed {printed!r}"
