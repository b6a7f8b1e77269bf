"""Helpers around training: ``utils.data`` holds data sets, samplers and ``DataLoader``."""

from . import data

__all__ = ["data"]
