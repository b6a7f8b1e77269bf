"""Optimizer step hooks: the global registrations, and the wrapper around every ``step``.

Every optimizer's ``step`` is wrapped once, when its class is made
(``Optimizer.__init_subclass__``): the global pre-hooks and the optimizer's own run
before it, a result ``(args, kwargs)`` replacing the arguments; then the step, with NumPy's
warnings about inf and NaN off (torch computes through them silently); then the
optimizer's post-hooks and the global ones.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

from ..autograd.hooks import register
from ..backends import quiet_math

_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """A hook run before every optimizer's ``step``: ``hook(opt, args, kwargs)``."""
    return register(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """A hook run after every optimizer's ``step``: ``hook(opt, args, kwargs)``."""
    return register(_global_step_post_hooks, hook)


def with_hooks(step):
    """Wrap a subclass's ``step`` so that global and per-instance hooks run around it."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for hook in [*_global_step_pre_hooks.values(), *self._step_pre_hooks.values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        with quiet_math():  # inf and NaN pass through an update silently, as in torch
            out = step(*args, **kwargs)
        for hook in [*self._step_post_hooks.values(), *_global_step_post_hooks.values()]:
            hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


HOOK_DICTS = (  # an optimizer's own hooks, by kind, in registration order
    "_step_pre_hooks",
    "_step_post_hooks",
    "_state_dict_pre_hooks",
    "_state_dict_post_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)
