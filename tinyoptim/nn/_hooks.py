"""Forward hooks: functions a module runs before and after its ``forward``, as torch's.

``register_forward_pre_hook(hook)`` runs ``hook(module, args)`` before ``forward``; a
result other than None replaces the positional arguments (a non-tuple becomes a 1-tuple).
``register_forward_hook(hook)`` runs ``hook(module, args, output)`` after it; a result other
than None replaces the output. With ``with_kwargs=True`` the hooks also get the keyword
arguments (a pre-hook then returns ``(args, kwargs)`` or None); ``prepend=True`` puts a
hook first; ``always_call=True`` runs a forward hook even when ``forward`` raised. Each
registration returns a handle whose ``remove()`` takes the hook away.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

from ..autograd.hooks import register


class ForwardHooks:
    """The forward-hook part of ``Module``: registration, and the call that runs them."""

    def _init_forward_hooks(self) -> None:
        """Empty registries, for ``Module.__init__``."""
        for name in ("_forward_pre_hooks", "_forward_hooks"):
            object.__setattr__(self, name, OrderedDict())
        for name in ("_pre_hooks_with_kwargs", "_hooks_with_kwargs", "_hooks_always_called"):
            object.__setattr__(self, "_forward" + name, set())

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
            output = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    result = hook(self, args, kwargs, output)
                else:
                    result = hook(self, args, output)
                if result is not None:
                    output = result
            return output
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
