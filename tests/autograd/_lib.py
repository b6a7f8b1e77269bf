"""The tinyoptim side of the op parity cases, usable before ``tinyoptim.nn`` exists.

The cases call ``lib.F.gelu``/``softmax``/``log_softmax``. When ``tinyoptim.nn.functional``
is importable those are used; otherwise the same autograd ops are reached directly, so
the op tests do not depend on the nn layer being present.
"""

from __future__ import annotations

import types

import tinyoptim
from tests.parity import Lib
from tinyoptim.autograd.ops.activation import Gelu


def _functional():
    try:
        from tinyoptim.nn import functional
    except ImportError:
        return types.SimpleNamespace(
            gelu=lambda x, approximate="none": Gelu.apply(x, approximate=approximate),
            softmax=lambda x, dim: x.softmax(dim),
            log_softmax=lambda x, dim: x.log_softmax(dim),
        )
    return functional


def tinyoptim_lib(device) -> Lib:
    """``Lib(tinyoptim, device)``, with ``F`` falling back to the autograd ops."""
    lib = object.__new__(Lib)
    lib.mod = tinyoptim
    lib.nn = getattr(tinyoptim, "nn", None)
    lib.F = _functional()
    lib.device = device
    lib.is_torch = False
    return lib
