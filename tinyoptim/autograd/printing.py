"""``repr(tensor)`` in torch's layout. Printing is an explicit crossing to the host."""

from __future__ import annotations

from ..backends import get_default_dtype
from ..backends.host import format_array


def tensor_repr(t) -> str:
    body = format_array(t.backend.to_host(t.data), prefix="tensor(")
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default_shown = (get_default_dtype().name, "int64", "bool")
    if t.dtype.name not in default_shown or t.data.size == 0:
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
