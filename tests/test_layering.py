"""The import arrows of DESIGN.md §1, read from the source with ``ast``.

Every module under ``tinyoptim/`` is parsed; each import (at module level or inside a
function, relative or absolute, and ``importlib.import_module("...")`` with a literal
name) is resolved to a full dotted name and checked against the rules below. A new
subpackage or top-level module fails here until it gets a rule, so a crossed boundary
shows up in CI rather than in review.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tinyoptim"

# Which tinyoptim subpackages a part may import (itself always allowed). The key is the
# first component under tinyoptim/, or a more specific module path that overrides it.
ALLOWED = {
    "backends": set(),  # arrays know no graph
    "autograd": {"backends"},
    "nn": {"autograd"},
    "nn.parallel": {"autograd", "distributed"},
    "optim": {"autograd", "backends"},  # backends for the fused kernels
    "optim.swa_utils": {"autograd", "backends", "nn"},  # AveragedModel, update_bn: as torch
    "playground": {"optim", "autograd"},
    "history": {"optim", "autograd"},
    "serialization": {"optim", "autograd", "backends", "_manifest"},
    "_manifest": {"autograd", "backends"},  # serialization's JSON manifest
    "distributed": {"autograd", "backends", "optim"},
    "utils": {"distributed", "autograd"},
    "data": set(),
    "cuda": {"backends"},
    # The public surface may gather names from anywhere.
    "__init__": None,
    "__main__": None,
    "demo": None,
}
# Array libraries: only the backends compute with them; serialization and the bundled
# data use NumPy for reading and writing files.
ARRAY_LIBRARIES = {"numpy", "cupy", "cupyx", "scipy", "numba"}
ARRAY_IMPORTERS = {"backends", "serialization", "_manifest", "data"}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts)


def imported_names(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, dotted name)`` for every import in ``source``, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            if node.module is None:  # "from . import engine": each name is a module
                found += [(node.lineno, f"{prefix}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, prefix))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _rule(module: str):
    """The part name and its allowed set for ``tinyoptim.<...>``."""
    inner = module.split(".")[1:] or ["__init__"]
    for length in range(len(inner), 0, -1):
        key = ".".join(inner[:length])
        if key in ALLOWED:
            return inner[0], ALLOWED[key]
    raise KeyError(inner[0])


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in ``source`` that DESIGN.md §1 forbids for ``module``."""
    try:
        part, allowed = _rule(module)
    except KeyError:
        return [f"{module}: no layering rule; add one to tests/test_layering.py and DESIGN.md §1"]
    problems = []
    for line, name in imported_names(source, module, is_package):
        top = name.split(".")[0]
        if top in ARRAY_LIBRARIES and part not in ARRAY_IMPORTERS:
            problems.append(f"{module}:{line} imports {name}: array libraries live in backends/")
        if top != "tinyoptim" or allowed is None:
            continue
        target = name.split(".")[1] if name.count(".") else "__init__"
        if target != part and target not in allowed:
            problems.append(f"{module}:{line} imports {name}: {part} may not import {target}")
    return problems


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_follows_the_arrows(path):
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    if is_package:
        module = module.rpartition(".")[0]
    assert violations(path.read_text(), module, is_package) == []


@pytest.mark.parametrize(
    "module, source, expected",
    [
        ("tinyoptim.backends.numpy_backend", "from ..autograd import Tensor", "backends may not"),
        ("tinyoptim.autograd.tensor", "import tinyoptim.nn", "autograd may not import nn"),
        ("tinyoptim.autograd.ops.reduce", "from ...optim import SGD", "autograd may not"),
        ("tinyoptim.autograd.tensor", "import numpy as np", "array libraries live in backends"),
        ("tinyoptim.nn.linear", "from ..backends import random", "nn may not import backends"),
        ("tinyoptim.nn.linear", "from ..optim import Adam", "nn may not import optim"),
        ("tinyoptim.optim.adam", "from ..nn import Module", "optim may not import nn"),
        ("tinyoptim.optim.adam", "from scipy import special", "array libraries"),
        ("tinyoptim.optim.sgd", "def f():\n    from tinyoptim import nn", "optim may not"),
        ("tinyoptim.nn.init", "importlib.import_module('cupy')", "array libraries"),
        ("tinyoptim.playground.plots", "from ..nn import Linear", "playground may not"),
        ("tinyoptim.newpart.x", "import os", "no layering rule"),
    ],
)
def test_checker_catches_forbidden_arrows(module, source, expected):
    found = violations(source, module)
    assert found and expected in found[0], found


@pytest.mark.parametrize(
    "module, source",
    [
        ("tinyoptim.autograd.tensor", "from ..backends import get_backend\nfrom . import engine"),
        ("tinyoptim.optim.swa_utils", "from ..nn import Module"),
        ("tinyoptim.nn.linear", "from ..autograd import Tensor\nfrom .module import Module"),
        ("tinyoptim.optim.adam", "from ..backends import kernels_cpu"),
        ("tinyoptim.serialization", "import numpy"),
        ("tinyoptim.data", "import numpy"),
        ("tinyoptim", "from .nn import Module\nfrom .optim import SGD"),
        ("tinyoptim.history", "from .optim import Optimizer"),
    ],
)
def test_checker_allows_the_designed_arrows(module, source):
    assert violations(source, module, is_package=module in ("tinyoptim", "tinyoptim.data")) == []
