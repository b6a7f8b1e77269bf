"""Devices: names such as "cpu", "cuda:1" or "strict", and the backend each resolves to.

The default device is process-global (``set_default_device``), initialised from the
``TINYOPTIM_DEVICE`` environment variable, so that ``TINYOPTIM_DEVICE=strict pytest``
runs every test on the strict device.
"""

from __future__ import annotations

import os

from .cupy_backend import CupyBackend, cuda_device_count
from .host_memory import keep_freed_memory
from .numpy_backend import NumpyBackend
from .strict_backend import StrictBackend

_TYPES = ("cpu", "cuda", "strict")


class Device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda", 0)``, ``device("strict")``."""

    __slots__ = ("type", "index", "_backend")

    def __init__(self, spec, index: int | None = None):
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index if index is None else index
        if isinstance(spec, int) and not isinstance(spec, bool) and index is None:
            spec, index = "cuda", spec  # a bare index names a GPU, as in torch
        if not isinstance(spec, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in _TYPES or (number and not number.isdigit()):
            raise RuntimeError(
                f"Expected one of cpu, cuda, strict device type at start of device string: {spec}"
            )
        if number:
            if index is not None:
                raise RuntimeError(f"device index given twice: {spec!r} and index={index}")
            index = int(number)
        if index is not None and kind != "cuda":
            index = None  # "cpu:0": the host has one device; torch's CPU tensors drop it too
        self.type = kind
        self.index = index
        self._backend = None

    @property
    def backend(self):
        """The array backend for this device (CuPy is imported on the first cuda request)."""
        backend = self._backend
        if backend is None:
            backend = self._backend = get_backend(self)
        return backend

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


device = Device

_backends: dict = {}


def get_backend(dev) -> object:
    """The backend object of a device (cached: one per device)."""
    dev = resolve(dev)
    backend = _backends.get(dev)
    if backend is None:
        if dev.type == "cpu":
            keep_freed_memory()
            backend = NumpyBackend()
        elif dev.type == "strict":
            keep_freed_memory()
            backend = StrictBackend()
        else:
            backend = CupyBackend(dev.index)
        _backends[dev] = backend
    return backend


def resolve(dev) -> Device:
    """A concrete device: None means the default, and plain "cuda" means "cuda:0".

    Resolved devices are interned (one object per device), so tensors on one device share
    their Device and a comparison is usually an identity check.
    """
    if dev is None:
        return _default[0]
    dev = dev if isinstance(dev, Device) else Device(dev)
    key = (dev.type, 0 if dev.type == "cuda" and dev.index is None else dev.index)
    found = _interned.get(key)
    if found is None:
        found = _interned[key] = Device(key[0], key[1])
    return found


_interned: dict = {}


def set_default_device(dev) -> None:
    """Make ``dev`` the device of tensors created without ``device=``."""
    dev = resolve(dev)
    get_backend(dev)  # fail now, not at the first tensor, if the device is unusable
    _default[0] = dev


def get_default_device() -> Device:
    """The device of tensors created without ``device=`` (``cpu`` unless set)."""
    return _default[0]


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return cuda_device_count() > 0


_default = [resolve(os.environ.get("TINYOPTIM_DEVICE") or "cpu")]
