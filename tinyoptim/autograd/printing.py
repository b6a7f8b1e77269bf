"""``repr(tensor)`` in torch's layout. Printing is an explicit crossing to the host."""

from __future__ import annotations

from ..backends import get_default_dtype
from ..backends.host import format_array


def tensor_repr(t) -> str:
    body = format_array(t.backend.to_host(t.data), prefix="tensor(")
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.data.size == 0:
        # As torch: an empty tensor shows a shape other than (0,), and any non-default dtype
        # (no values to tell an int64 from a float).
        body = "[]"
        if t.ndim != 1:
            extras.append(f"size={t.shape}")
        if t.dtype != get_default_dtype():
            extras.append(f"dtype={t.dtype}")
    elif t.dtype.name not in (get_default_dtype().name, "int64", "bool"):
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
