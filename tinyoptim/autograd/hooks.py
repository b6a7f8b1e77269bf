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


def replacement_data(name: str, result, expected):
    """The array of the tensor ``result`` a hook returned in place of the tensor
    ``expected``, with torch's errors when it changed the size or the type."""
    if result.shape != expected.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if result.dtype != expected.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was "
            f"tinyoptim.{expected.dtype.scalar_name}Tensor got "
            f"tinyoptim.{result.dtype.scalar_name}Tensor)"
        )
    return result.data


CANNOT_HOOK = "cannot register a hook on a tensor that doesn't require gradient"


def register_tensor_hook(tensor, hook) -> RemovableHandle:
    """``tensor.register_hook(hook)``: on a leaf, the hook sees its gradient before it is
    added into ``.grad``; on another tensor, the gradient of the node that made it, before
    that node's backward (and before a retained ``.grad`` is filled)."""
    if not tensor.requires_grad:
        raise RuntimeError(CANNOT_HOOK)
    node = tensor.grad_fn
    if node is None:
        registry = tensor.__dict__.get("_hooks")
        if registry is None:
            registry = tensor._hooks = OrderedDict()
    else:
        registry = node._tensor_hooks
        if registry is None:
            registry = node._tensor_hooks = OrderedDict()
            node._hook_device = tensor.device
    return register(registry, hook)


def register_post_accumulate_hook(tensor, hook) -> RemovableHandle:
    """``tensor.register_post_accumulate_grad_hook(hook)``: ``hook(tensor)`` runs each time
    a backward pass has added into the leaf's ``.grad`` (not for ``autograd.grad``)."""
    if not tensor.requires_grad:
        raise RuntimeError(CANNOT_HOOK)
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    registry = tensor.__dict__.get("_post_accumulate_hooks")
    if registry is None:
        registry = tensor._post_accumulate_hooks = OrderedDict()
    return register(registry, hook)


def run_post_accumulate_hooks(tensor) -> None:
    """The leaf's post-accumulate hooks, in order; each must return None."""
    for hook in list(tensor._post_accumulate_hooks.values()):
        result = hook(tensor)
        if result is not None:
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
