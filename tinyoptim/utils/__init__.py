"""Helpers around training: ``utils.data`` holds the samplers."""

from . import data

__all__ = ["data"]
