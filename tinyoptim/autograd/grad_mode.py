"""Grad mode: whether ops record a graph. Thread-local, as in torch.

``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and as
decorators. Each thread starts with grad mode on.
"""

from __future__ import annotations

import functools
import inspect
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
    """A context manager that is also a decorator, with or without its parentheses
    (``@no_grad()`` or ``@no_grad``); subclasses pick the mode."""

    mode = True

    def __new__(cls, fn=None):
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)  # used bare, as a decorator: the decorated function

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __exit__(self, *exc_info):
        _set(self._previous)

    def __call__(self, fn):
        return _decorate(fn, lambda: type(self)())


def _decorate(fn, context):
    """``fn`` run inside ``context()``; for a generator function, each resumption is, so
    that the mode holds for the generator's own code and not for its caller's."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with context():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with context():
                            gen.close()
                        raise
                    except BaseException as error:
                        with context():
                            response = gen.throw(error)
                    else:
                        with context():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with context():
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

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __enter__(self):
        pass

    def __call__(self, fn):
        _set(self._previous)
        mode = self.mode
        return _decorate(fn, lambda: set_grad_enabled(mode))


class inference_mode(_GradMode):
    """torch's ``inference_mode``: here the same as ``no_grad`` when ``mode`` is True (this
    engine has no separate inference tensors), and no change when it is False. A context
    manager and a decorator, with or without its parentheses."""

    def __new__(cls, mode=True):
        if callable(mode):  # used bare, as a decorator
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        self._previous = is_grad_enabled()
        if self.mode:
            _set(False)

    def __call__(self, fn):
        mode = self.mode
        return _decorate(fn, lambda: inference_mode(mode))
