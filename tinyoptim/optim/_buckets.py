"""Flat optimizer state: one contiguous buffer per state key for a bucket of parameters.

The fast path groups the parameters of one param group by (device, dtype) into a
``Bucket``. For each state key (``exp_avg``, ...) a bucket allocates **one** zero-filled
flat array and hands each parameter a view of its slice. ``state[p]["exp_avg"]`` is a
Tensor whose data is that view, so the state users and ``state_dict`` see keeps torch's
layout at no copying cost, and a kernel can sweep the whole bucket at once. Step counters
live in one small host array, and each ``state[p]["step"]`` is a 0-d view of it.

State stays lazy: a parameter joins a bucket at its first step with a gradient. Joining
reallocates the buffers and copies the existing values over, which happens once per
parameter. The buffers are also rebuilt, from the values in ``state``, whenever those no
longer are the bucket's views (after ``load_state_dict``, or a user's assignment).
"""

from __future__ import annotations

from ..autograd import Tensor
from ..autograd.factories import zeros
from ..backends.dtype import float32, float64, get_default_dtype


def scalar_dtype(fused: bool = False):
    """torch's dtype for 0-d bookkeeping (``step``): float64 under a float64 default, else
    float32, whatever the parameters' dtype; always float32 for a fused optimizer."""
    return float64 if get_default_dtype() is float64 and not fused else float32


def step_counter(fused: bool = False):
    """A new ``state["step"]``: 0, as a 0-d tensor on the CPU (where torch keeps it)."""
    return zeros((), dtype=scalar_dtype(fused), device="cpu")


class Bucket:
    """The flat state of the parameters of one group that share a device and dtype."""

    def __init__(self, keys: tuple, fill=None, step: bool = True, fused: bool = False):
        self.keys = keys  # the state keys held flat (``step`` excluded)
        self.fused = fused  # whether steps count in float32 whatever the default dtype
        self.fill = fill or {}  # initial value per key where it is not zero (Adagrad)
        self.has_step = step  # whether members count their steps (SGD does not)
        self.members: list = []  # parameters, in the order their slices are laid out
        self.index: dict = {}  # id(parameter) -> position in members
        self.flat: dict = {}  # key -> flat backend array
        self.steps = None  # host array of step counts, one per member
        self._installed: list = []  # per member: the state tensors this bucket made
        self._scratch: list = []  # work arrays for the kernels, as large as the largest member
        self.offsets: list = []  # where each member's slice starts in the flat buffers
        self.sizes: list = []  # each member's number of elements
        self.workspaces: dict = {}  # per worker thread: chunk-sized work arrays (_sweep.py)
        self.layouts: dict = {}  # per state keys: the pieces a sweep cut last (_sweep.py)
        self._positions = None  # (params list, their positions): positions()' last answer

    @property
    def stateful(self) -> bool:
        """Whether members have state at all (plain SGD's bucket only lays out pieces)."""
        return bool(self.keys) or self.has_step

    def sync(self, state, params) -> list:
        """Make every parameter in ``params`` a member whose state is a view of the flat
        buffers, creating zero-filled state for those that had none, which it returns."""
        newcomers = [p for p in params if id(p) not in self.index and not state.get(p)]
        joining = [p for p in params if id(p) not in self.index]
        if joining or not self._intact(state):
            self._rebuild(state, self.members + joining)
        return newcomers

    def scratch(self, like, count: int) -> list:
        """``count`` work arrays shaped like ``like``: allocated once, then reused."""
        if len(self._scratch) < count or self._scratch[0].size < self._largest:
            xp = self.members[0].backend.xp
            self._scratch = [xp.empty(self._largest, like.dtype) for _ in range(count)]
        return [a[: like.size].reshape(like.shape) for a in self._scratch[:count]]

    def positions(self, params) -> list | None:
        """Where ``params`` are among the members; None when they are all of them, in
        order. Kept for the next call with the same list object (a plan's, ``_plan.py``)."""
        if self._positions is not None and self._positions[0] is params:
            return self._positions[1]
        positions = [self.index[id(p)] for p in params]
        if positions == list(range(len(self.members))):
            positions = None
        self._positions = (params, positions)
        return positions

    def _intact(self, state) -> bool:
        if not self.stateful:
            return True
        for p, installed in zip(self.members, self._installed):
            current = state.get(p)
            if current is None:
                return False
            for key, (tensor, view) in installed.items():
                if current.get(key) is not tensor or tensor.data is not view:
                    return False
        return True

    def _rebuild(self, state, members) -> None:
        """Lay ``members`` out in fresh flat buffers, keeping the values they already have."""
        first = members[0]
        xp = first.backend.xp
        sizes = [p.numel() for p in members]
        total = sum(sizes)
        dtype = first.data.dtype
        flat = {key: xp.full(total, self.fill.get(key, 0), dtype=dtype) for key in self.keys}
        old_steps = [state[p].get("step") for p in members] if self.has_step else []
        step_dtype = next(
            (s.dtype for s in old_steps if isinstance(s, Tensor)), scalar_dtype(self.fused)
        )
        counters = zeros(len(members), dtype=step_dtype, device="cpu")  # torch keeps steps there
        steps = counters.data if self.has_step else None
        installed_all, offsets = [], []
        offset = 0
        for i, (p, size) in enumerate(zip(members, sizes)):
            per_param = state[p] if self.stateful else None  # plain SGD keeps no state
            installed = {}
            if self.has_step:  # first, so that new state lists its keys in torch's order
                step = steps[i : i + 1].reshape(())
                installed["step"] = _adopt(per_param, "step", step, counters.device)
            for key in self.keys:
                view = flat[key][offset : offset + size].reshape(p.shape)
                installed[key] = _adopt(per_param, key, view, p.device)
            installed_all.append(installed)
            offsets.append(offset)
            offset += size
        self.members = list(members)
        self.offsets, self.sizes, self._largest = offsets, sizes, max(sizes)
        self.index = {id(p): i for i, p in enumerate(members)}
        self.flat, self.steps, self._installed = flat, steps, installed_all
        self.workspaces, self.layouts, self._positions = {}, {}, None


def _adopt(per_param: dict, key: str, view, device) -> tuple:
    """Point ``per_param[key]`` at ``view``, copying its current value in if it has one."""
    current = per_param.get(key)
    if isinstance(current, Tensor):
        view[...] = current.data
        current.data = view
    else:
        current = per_param[key] = Tensor._make(view, device)
    return current, view


class Buckets:
    """An optimizer's buckets, keyed by (param group, device, dtype)."""

    def __init__(self):
        self._buckets: dict = {}

    def clear(self) -> None:
        self._buckets.clear()

    def split(self, group: dict, params, grads, keys: tuple, fill=None, step=True) -> list:
        """``[(bucket, params, grads), ...]``: a group's parameters (those with grads) by
        bucket."""
        by_kind: dict = {}
        for p, g in zip(params, grads):
            members = by_kind.setdefault((p.device, p.data.dtype), ([], []))
            members[0].append(p)
            members[1].append(g)
        result = []
        for (device, dtype), (members, member_grads) in by_kind.items():
            key = (id(group), device, dtype)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(keys, fill, step, bool(group.get("fused")))
            result.append((bucket, members, member_grads))
        return result


def advance(bucket: Bucket, params: list, grads: list) -> list:
    """Count one step for ``params`` and group them by their new step count.

    Returns ``[(t, params_at_t, grads_at_t), ...]``, so each group shares its bias
    corrections (steps differ when some parameters had no gradient on some steps). When
    all share one count, as they usually do, that is ``[(t, params, grads)]``: the very
    lists given, which keeps the caches keyed on them (``_sweep.py``) warm.
    """
    positions = bucket.positions(params)
    steps = bucket.steps
    if positions is None:
        steps += 1
        counts = steps
    else:
        steps[positions] += 1
        counts = steps[positions]
    first = counts[0]
    if (counts == first).all():
        return [(first.item(), params, grads)]
    groups: dict = {}
    for i, t in enumerate(counts.tolist()):
        at_t = groups.setdefault(t, ([], []))
        at_t[0].append(params[i])
        at_t[1].append(grads[i])
    return [(t, at_t, grads_at_t) for t, (at_t, grads_at_t) in groups.items()]
