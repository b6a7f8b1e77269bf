"""Hook registries: ordered dicts of callables, and the handle that removes one."""

from __future__ import annotations

import itertools
from collections import OrderedDict

_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, registry: OrderedDict):
        self.id = next(_ids)
        self._registry = registry

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


def register(registry: OrderedDict, hook, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    if prepend:
        registry.move_to_end(handle.id, last=False)
    return handle
