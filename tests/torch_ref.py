"""torch, when the reference version is importable; otherwise None (golden fixtures stand in)."""

from __future__ import annotations

TORCH_VERSION = "2.13"

try:
    import torch

    if not torch.__version__.startswith(TORCH_VERSION):
        torch = None
except ImportError:
    torch = None
