"""Looking up a submodule, parameter or buffer by its dotted path (``"encoder.0.weight"``),
for ``Module.get_submodule``, ``get_parameter`` and ``get_buffer``, and putting a
submodule there (``set_submodule``), with torch's messages."""

from __future__ import annotations


def submodule(root, target: str):
    """The descendant of ``root`` at the dotted path ``target`` ("" is ``root``)."""
    from .module import Module  # module.py imports this file

    module = root
    for item in target.split(".") if target else []:
        if not hasattr(module, item):
            raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
        module = getattr(module, item)
        if not isinstance(module, Module):
            raise AttributeError(f"`{item}` is not an nn.Module")
    return module


def set_submodule(root, target: str, module, strict: bool = False) -> None:
    """Make ``module`` the submodule of ``root`` at ``target``; with ``strict`` only in
    place of one that exists."""
    from .module import Module

    if target == "":
        raise ValueError("Cannot set the submodule without a target name!")
    if not isinstance(module, Module):
        raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
    path, _, name = target.rpartition(".")
    parent = submodule(root, path)
    if strict and not hasattr(parent, name):
        raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
    if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
        raise AttributeError(f"`{name}` is not an nn.Module")
    setattr(parent, name, module)


def parameter(root, target: str):
    """The parameter at the dotted path ``target`` under ``root``."""
    from .parameter import Parameter

    module, name = _owner(root, target)
    param = getattr(module, name)
    if not isinstance(param, Parameter):
        raise AttributeError(f"`{name}` is not an nn.Parameter")
    return param


def buffer(root, target: str):
    """The buffer at the dotted path ``target`` under ``root`` (None if registered as None)."""
    module, name = _owner(root, target)
    if name not in module._buffers:
        raise AttributeError(f"`{name}` is not a buffer")
    return module._buffers[name]


def _owner(root, target: str):
    """``(module, name)``: the module that holds the last component of ``target``."""
    path, _, name = target.rpartition(".")
    module = submodule(root, path)
    if not hasattr(module, name):
        raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
    return module, name
