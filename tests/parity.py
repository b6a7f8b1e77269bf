"""Torch parity cases: one function, run with torch and with tinyoptim, compared.

tinyoptim mirrors torch's API, so a case is written once against a namespace ``lib``
(``lib.tensor``, ``lib.F`` for ``nn.functional``, ``lib.nn``, ``lib.mod`` for the top-level
module) and run with either library. Inputs are float64 NumPy arrays drawn from a seed
derived from the case name; the output is weighted by a random upstream array (not all
ones) before backward. The forward value and the gradient of every input are compared.

When torch 2.13 is importable the reference is computed live; otherwise it comes from the
golden fixtures in ``tests/golden/<module>.npz``, written from torch by
``tests/golden/make_golden.py``.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from collections.abc import Callable

import numpy as np

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), "golden")


@dataclasses.dataclass
class Case:
    name: str
    fn: Callable
    inputs: list  # float64 (or integer) NumPy arrays
    grad: list  # whether each input requires grad

    def __repr__(self) -> str:
        return self.name


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def make_cases(specs) -> list:
    """Cases from ``(name, fn, [input arrays or shapes], grad flags or None)`` tuples.

    A shape becomes standard normal draws; an array is used as it is. Integer arrays never
    require grad.
    """
    cases = []
    for spec in specs:
        name, fn, inputs = spec[:3]
        flags = spec[3] if len(spec) > 3 else None
        rng = np.random.default_rng(seed_of(name))
        arrays = [rng.standard_normal(x) if isinstance(x, tuple) else np.asarray(x) for x in inputs]
        if flags is None:
            flags = [a.dtype.kind == "f" for a in arrays]
        cases.append(Case(name, fn, arrays, list(flags)))
    return cases


class Lib:
    """A library namespace that cases program against: torch or tinyoptim."""

    def __init__(self, mod, device=None):
        self.mod = mod
        self.nn = getattr(mod, "nn", None)
        self.F = getattr(self.nn, "functional", None)
        self.device = device
        self.is_torch = mod.__name__ == "torch"

    def tensor(self, array, requires_grad=False):
        if self.is_torch:
            t = self.mod.from_numpy(np.array(array))
            return t.requires_grad_(requires_grad)
        return self.mod.tensor(array, device=self.device, requires_grad=requires_grad)


def to_numpy(t):
    t = t.detach()
    return t.cpu().numpy() if hasattr(t, "cpu") else t.numpy()


def run_case(lib: Lib, case: Case) -> dict:
    """Forward and backward of one case: ``{"out": ..., "grad0": ..., ...}`` as arrays."""
    tensors = [lib.tensor(a, requires_grad=g) for a, g in zip(case.inputs, case.grad)]
    out = case.fn(lib, *tensors)
    result = {"out": to_numpy(out)}
    if any(case.grad) and out.requires_grad:
        rng = np.random.default_rng(seed_of(case.name) + 1)
        upstream = lib.tensor(rng.standard_normal(out.shape).astype(result["out"].dtype))
        (out * upstream).sum().backward()
        for i, (t, g) in enumerate(zip(tensors, case.grad)):
            if g:
                grad = t.grad
                if grad is not None and getattr(grad, "is_sparse", False):
                    grad = grad.to_dense() if lib.is_torch else lib.mod.tensor(_dense(grad))
                result[f"grad{i}"] = None if grad is None else to_numpy(grad)
    return result


def _dense(sparse_grad):
    from tinyoptim.autograd.tensor import Tensor

    return Tensor._make(sparse_grad.to_dense(), sparse_grad.device).numpy()


def reference(module: str, case: Case, torch) -> dict:
    """torch's result for ``case``: live when torch is given, else from the golden file."""
    if torch is not None:
        return run_case(Lib(torch), case)
    path = os.path.join(GOLDEN_DIR, f"{module}.npz")
    with np.load(path) as golden:
        keys = [k for k in golden.files if k.startswith(case.name + "/")]
        if not keys:
            raise AssertionError(
                f"no golden values for {case.name!r} in {path}; run tests/golden/make_golden.py"
            )
        return {k.split("/", 1)[1]: golden[k] for k in keys}


def assert_close(ours: dict, ref: dict, tol: float = 1e-10) -> None:
    """``|ours - torch| <= tol * max(1, |torch|)`` elementwise, for every key."""
    assert set(ours) == set(ref), f"keys differ: {sorted(ours)} vs {sorted(ref)}"
    for key, expected in ref.items():
        got = ours[key]
        assert got is not None, f"{key}: no gradient"
        assert got.shape == expected.shape, f"{key}: shape {got.shape} != {expected.shape}"
        if expected.dtype.kind == "f":
            bound = tol * np.maximum(1.0, np.abs(expected))
            err = np.abs(got.astype(np.float64) - expected)
            same_nan = np.isnan(got) & np.isnan(expected)
            bad = ~(err <= bound) & ~same_nan
            assert not bad.any(), f"{key}: max error {np.nanmax(err)} (tolerance {tol})"
        else:
            np.testing.assert_array_equal(got, expected, err_msg=key)
