"""Grad mode: whether ops record a graph. Thread-local, as in torch.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as
decorators. Each thread starts with grad mode on.
"""

from __future__ import annotations

import functools
import threading


class _Mode(threading.local):
    """Each thread's grad mode; the class attribute is the default every thread starts with."""

    enabled = True


# Read on every op: a plain attribute (a getattr with a default that misses costs ~1 us).
current = _Mode()


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward`` walks."""
    return current.enabled


def _set(enabled: bool) -> None:
    current.enabled = bool(enabled)


class _GradMode:
    """A context manager that is also a decorator; subclasses pick the mode."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __exit__(self, *exc_info):
        _set(self._previous)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Run without recording a graph: results have no ``grad_fn``."""

    mode = False


class enable_grad(_GradMode):
    """Record the graph again, inside a ``no_grad`` region."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn grad mode on or off: at once as a call, or for a ``with`` block."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __enter__(self):
        pass

    def __call__(self, fn):
        _set(self._previous)
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
