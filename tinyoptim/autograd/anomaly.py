"""Anomaly detection: find the first op whose gradient is not finite.

Inside ``detect_anomaly()``, every op remembers the line of user code that created it,
and backward checks each gradient it computes. The first NaN or infinity raises a
``RuntimeError`` that names the op and that line, instead of a NaN loss ten steps later.
"""

from __future__ import annotations

import os
import traceback

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_enabled = [False]


def is_anomaly_enabled() -> bool:
    return _enabled[0]


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = _enabled[0]
        _enabled[0] = self.check_nan

    def __exit__(self, *exc_info):
        _enabled[0] = self._previous

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off, at once or for a ``with`` block."""

    def __init__(self, mode: bool):
        super().__init__(mode)
        self._previous = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        pass


def creation_site() -> str:
    """Where the user created the op being recorded: the innermost frame outside tinyoptim."""
    frames = [
        f
        for f in traceback.extract_stack()
        if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)
    ]
    if not frames:
        return "<unknown>"
    frame = frames[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'


def check_gradient(node, index: int, grad, backend) -> None:
    """Raise if ``grad``, the ``index``-th gradient ``node`` computed, has NaN or inf."""
    xp = backend.xp
    if not backend.to_host(xp.isfinite(grad).all()):
        kind = "nan" if backend.to_host(xp.isnan(grad).any()) else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {kind} values in its {index}th output.\n"
            f"The operation was created at:\n  {node._created_at}"
        )
