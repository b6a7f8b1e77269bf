"""Module hooks, as torch's: around ``forward``, and around ``state_dict``/``load_state_dict``.

``register_forward_pre_hook(hook)`` runs ``hook(module, args)`` before ``forward``; a
result other than None replaces the positional arguments (a non-tuple becomes a 1-tuple).
``register_forward_hook(hook)`` runs ``hook(module, args, output)`` after it; a result other
than None replaces the output. With ``with_kwargs=True`` the hooks also get the keyword
arguments (a pre-hook then returns ``(args, kwargs)`` or None); ``prepend=True`` puts a
hook first; ``always_call=True`` runs a forward hook even when ``forward`` raised. Each
registration returns a handle whose ``remove()`` takes the hook away.

The state-dict hooks (``StateDictHooks``), in the order ``state_dict`` and
``load_state_dict`` run them (``_state.py``):

- ``register_state_dict_pre_hook``: ``hook(module, prefix, keep_vars)`` before a module
  saves its entries;
- ``register_state_dict_post_hook``: ``hook(module, state_dict, prefix, local_metadata)``
  after it and its descendants have; it may change ``state_dict`` in place only (the
  private ``_register_state_dict_hook`` form may return a new dict, which only the
  outermost call keeps, as in torch);
- ``register_load_state_dict_pre_hook``: ``hook(module, state_dict, prefix,
  local_metadata, strict, missing_keys, unexpected_keys, error_msgs)`` before a module
  loads its entries (``_register_load_state_dict_pre_hook(hook, with_module=False)``
  leaves out ``module``);
- ``register_load_state_dict_post_hook``: ``hook(module, incompatible_keys)`` after a
  module and its descendants have loaded; it may edit the two lists in place.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

from ..autograd.hooks import register


class ForwardHooks:
    """The forward-hook part of ``Module``: registration, and the call that runs them."""

    def _init_forward_hooks(self) -> None:
        """Empty registries, for ``Module.__init__`` (and old pickles: missing ones only)."""
        d = self.__dict__
        for name in ("_forward_pre_hooks", "_forward_hooks"):
            d.setdefault(name, OrderedDict())
        for name in ("_pre_hooks_with_kwargs", "_hooks_with_kwargs", "_hooks_always_called"):
            d.setdefault("_forward" + name, set())

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs=False):
        handle = register(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call=False
    ):
        handle = register(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """``forward`` between its pre-hooks and its hooks (``Module.__call__`` when any)."""
        called = set()
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    result = hook(self, args, kwargs)
                    if result is not None:
                        if not (isinstance(result, tuple) and len(result) == 2):
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of "
                                f"(new_args, new_kwargs), but got {result}."
                            )
                        args, kwargs = result
                else:
                    result = hook(self, args)
                    if result is not None:
                        args = result if isinstance(result, tuple) else (result,)
            bw_hook, args = self._backward_hook_inputs(args)
            output = self.forward(*args, **kwargs)
            if bw_hook is not None:
                bw_hook.check_inputs()
            for hook_id, hook in list(self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    result = hook(self, args, kwargs, output)
                else:
                    result = hook(self, args, output)
                if result is not None:
                    output = result
            return self._backward_hook_outputs(bw_hook, args, output)
        except Exception:
            self._run_always_called(args, kwargs, called)
            raise

    def _run_always_called(self, args, kwargs, called) -> None:
        """After a failure: the ``always_call`` hooks not yet run, with no output."""
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_always_called and hook_id not in called:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        hook(self, args, kwargs, None)
                    else:
                        hook(self, args, None)
                except Exception as error:
                    warnings.warn(
                        "forward hook with ``always_call=True`` raised an exception that was "
                        f"silenced as another error was raised in forward: {error}",
                        stacklevel=3,
                    )


class WrappedHook:
    """``hook(module, *args)`` with ``module`` held weakly (torch's ``_WrappedHook``), or
    ``hook(*args)`` without one. Copies and pickles hold the module strongly."""

    def __init__(self, hook, module=None):
        self.hook = hook
        self.__name__ = getattr(hook, "__name__", type(hook).__name__)
        self.module = None if module is None else weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.module is None:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)

    def __getstate__(self) -> dict:
        return {"hook": self.hook, "module": None if self.module is None else self.module()}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["hook"], state["module"])


class StateDictHooks:
    """The state-dict-hook part of ``Module``: registration (see the module docstring)."""

    def _init_state_dict_hooks(self) -> None:
        """Empty registries, for ``Module.__init__`` (and old pickles: missing ones only)."""
        for name in ("_state_dict_hooks", "_state_dict_pre_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        for name in ("_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` before ``state_dict`` saves this module."""
        return register(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict`` saved
        this module and its descendants; it may only change ``state_dict`` in place."""
        hook._from_public_api = True
        return register(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook):
        """The older form of ``register_state_dict_post_hook``: a returned dict replaces
        the state dict (kept only by the outermost ``state_dict`` call, as in torch)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook"
            )
        return register(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its entries."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """As ``register_load_state_dict_pre_hook``; without ``with_module`` the hook does
        not get the module."""
        registry = self._load_state_dict_pre_hooks
        return register(registry, WrappedHook(hook, self if with_module else None))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` after this module and its descendants loaded;
        it may edit ``incompatible_keys.missing_keys``/``unexpected_keys`` in place."""
        return register(self._load_state_dict_post_hooks, hook)
