"""How a module prints, as torch lays it out: ``Linear(in_features=2, ...)`` on one line,
or a block with one line per setting and per child, each child indented under its name.
"""

from __future__ import annotations


def addindent(text: str, spaces: int) -> str:
    """``text`` with every line but the first indented by ``spaces``."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def layout(name: str, extra: str, children) -> str:
    """``name(extra)``, or ``name(`` then the lines of ``extra`` and a ``(label): text``
    line per child in ``children`` (pairs), indented, then ``)``."""
    extra_lines = extra.split("\n") if extra else []
    child_lines = [addindent(f"({label}): {text}", 2) for label, text in children]
    if not child_lines and len(extra_lines) <= 1:
        return f"{name}({extra})"
    return name + "(\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"
