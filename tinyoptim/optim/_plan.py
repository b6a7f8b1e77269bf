"""What a fast step works out about a param group, kept for the next step.

Before a step writes anything, the fast path checks every parameter that has a gradient
(sparse grads, devices), splits the group into buckets and makes the buckets' flat state
the parameters' state (``_buckets.py``). In a training loop none of that changes from one
step to the next: the same gradient tensors are zeroed and refilled in place, and the
state is the buckets' own. So a ``Plan`` keeps the result, and the next step only checks,
with a few identity comparisons done in C, that nothing it depends on moved:

* the group's list of parameters, each one's gradient tensor (or None), and the arrays
  holding the stepping parameters and their gradients, which are the same objects;
* ``optimizer.state``, which is the same ``StateMap`` with the same change count.

Anything else (a new gradient tensor from ``zero_grad(set_to_none=True)``, a parameter
moved to another device, state loaded or replaced) makes the step go the long way and
make a new plan. The lists a plan keeps are handed to the update functions unchanged, so
the buckets can key their own caches (``_sweep.py``) on their identity.
"""

from __future__ import annotations

from operator import attrgetter, is_

from ._state_map import ParamState, StateMap

_grad = attrgetter("_grad")
_data = attrgetter("data")


class Plan:
    """A group's stepping parameters, their grads and their buckets, as last checked."""

    def __init__(self, group, state: StateMap, params, grads, split: list, keys: tuple):
        self.group, self.keys = group, keys
        self.group_params = group["params"]
        self.count = len(self.group_params)
        self.all_grads = list(map(_grad, self.group_params))
        self.params, self.grads = params, grads
        self.thetas = list(map(_data, params))
        self.grad_arrays = list(map(_data, grads))
        self.split = split  # [(bucket, members, member_grads)], members already synced
        self.state, self.changes = state, state.changes

    @staticmethod
    def allowed(state) -> bool:
        """Whether ``state`` tells its changes (a user may have replaced it by a dict)."""
        return type(state) is StateMap and all(type(s) is ParamState for s in state.values())

    def holds(self, group: dict, state) -> bool:
        """Whether nothing the plan depends on changed since it was made."""
        group_params = self.group_params
        return (
            state is self.state
            and state.changes == self.changes
            and group["params"] is group_params
            and len(group_params) == self.count
            and all(map(is_, map(_grad, group_params), self.all_grads))
            and all(map(is_, map(_data, self.params), self.thetas))
            and all(map(is_, map(_data, self.grads), self.grad_arrays))
        )
