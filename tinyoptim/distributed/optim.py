"""ZeroRedundancyOptimizer: each rank keeps the optimizer state of its own parameter shard.

ZeRO stage 1. The parameters are split across the ranks once, greedily by size as torch
does: largest first, each to the rank holding the fewest elements so far. Each rank builds
a local ``optimizer_class`` over its shard only, so Adam's ``exp_avg`` and ``exp_avg_sq``
take about 1/N of the memory on each of N ranks. ``step()`` updates the local shard, then
every parameter is broadcast from the rank that owns it, so all replicas hold the same
values again. The gradients must already agree across ranks (DistributedDataParallel, or
the same batch everywhere).

Checkpoints use the plain optimizer's layout: ``consolidate_state_dict(to=0)`` gathers the
shards onto one rank, whose ``state_dict()`` is what ``optimizer_class(params).state_dict()``
would give (state indexed by the global parameter order, state arrays on the CPU).
``load_state_dict`` takes such a dict on any world size, and a plain optimizer loads it too.
"""

from __future__ import annotations

import copy

from ..autograd import Tensor
from ..autograd.factories import tensor as make_tensor
from ..optim import _validation as msg
from ..optim.optimizer import Optimizer
from . import collectives
from .process_group import default_group

NOT_CONSOLIDATED = (
    "Optimizer state has not been consolidated on this rank. Please call "
    "`consolidate_state_dict(to=0)` on all ranks beforehand if you meant to save the global "
    "state."
)


class ZeroRedundancyOptimizer(Optimizer):
    """``ZeroRedundancyOptimizer(params, optimizer_class, **defaults)``: one shard per rank.

    ``defaults`` are ``optimizer_class``'s arguments (``lr=...``). ``param_groups`` are the
    global groups (an LR scheduler may change them; ``step`` passes the change on), and
    ``optim`` is this rank's local optimizer, whose ``state`` is ``self.state``.
    """

    def __init__(self, params, optimizer_class, **defaults):
        self._group = default_group()
        self.optim = None
        super().__init__(list(params), dict(defaults))
        self.optimizer_class = optimizer_class
        self._owner = {}  # id(parameter) -> the rank that steps it
        local_groups = [dict(g, params=[]) for g in self.param_groups]
        sizes = [0] * self._group.size
        for group, local in zip(self.param_groups, local_groups):
            for p in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
                rank = sizes.index(min(sizes))
                sizes[rank] += p.numel()
                self._owner[id(p)] = rank
                if rank == self._group.rank:
                    local["params"].append(p)
        for local in local_groups:
            local.pop("param_names", None)
        self.optim = optimizer_class(local_groups, **defaults)
        for group, local in zip(self.param_groups, self.optim.param_groups):
            for key, value in local.items():
                group.setdefault(key, value)
        self.state = self.optim.state
        self._consolidated = None

    def add_param_group(self, param_group: dict) -> None:
        if self.optim is not None:
            raise RuntimeError(
                "ZeroRedundancyOptimizer partitions its parameters once, at construction: "
                "build it with every parameter group"
            )
        super().add_param_group(param_group)

    def step(self, closure=None):
        """Step this rank's shard, then broadcast every parameter from its owner."""
        for group, local in zip(self.param_groups, self.optim.param_groups):
            local.update((k, v) for k, v in group.items() if k not in ("params", "param_names"))
        loss = self.optim.step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                collectives.broadcast(p, self._owner[id(p)])
        return loss

    def state_nbytes(self) -> int:
        """Bytes of optimizer state held by this rank (its shard only)."""
        return self.optim.state_nbytes()

    # -- checkpoints ------------------------------------------------------------------------

    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather every rank's shard of the state onto rank ``to`` (all ranks must call)."""
        global_index = {id(p): i for i, p in enumerate(self._all_params())}
        local = self.optim.state_dict()
        local_params = [p for g in self.optim.param_groups for p in g["params"]]
        shard = {
            global_index[id(local_params[i])]: {k: _to_host(v) for k, v in entry.items()}
            for i, entry in local["state"].items()
        }
        shards = [None] * self._group.size if self._group.rank == to else None
        collectives.gather_object(shard, shards, dst=to)
        if self._group.rank != to:
            self._consolidated = None
            return
        state = {}
        for shard in shards:
            state.update(shard)
        groups, start = [], 0
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(packed)
        state = {i: {k: _from_host(v) for k, v in state[i].items()} for i in sorted(state)}
        self._consolidated = {"state": state, "param_groups": groups}

    def state_dict(self) -> dict:
        """The consolidated state, in the plain optimizer's layout (after
        ``consolidate_state_dict`` on this rank)."""
        if self._consolidated is None:
            raise RuntimeError(NOT_CONSOLIDATED)
        return self._consolidated

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a plain-layout state dict (from any world size): each rank keeps its shard."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(msg.GROUP_COUNT)
        if any(
            len(s["params"]) != len(g["params"]) for s, g in zip(saved_groups, self.param_groups)
        ):
            raise ValueError(msg.GROUP_SIZE)
        saved_state = state_dict["state"]
        local_index = {
            id(p): i for i, p in enumerate(p for g in self.optim.param_groups for p in g["params"])
        }
        local_state = {}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update(
                (k, copy.deepcopy(v))
                for k, v in saved.items()
                if k not in ("params", "param_names")
            )
            for index, p in zip(saved["params"], group["params"]):
                if id(p) in local_index and index in saved_state:
                    local_state[local_index[id(p)]] = saved_state[index]
        local_groups = []
        for group, local in zip(self.param_groups, self.optim.param_groups):
            packed = {k: v for k, v in group.items() if k not in ("params", "param_names")}
            packed["params"] = [local_index[id(p)] for p in local["params"]]
            local_groups.append(packed)
        self.optim.load_state_dict({"state": local_state, "param_groups": local_groups})
        self.state = self.optim.state
        self._consolidated = None

    def _all_params(self) -> list:
        return [p for g in self.param_groups for p in g["params"]]


def _to_host(value):
    """A state value ready to pickle: tensors as (host array, device name)."""
    if isinstance(value, Tensor):
        return ("tensor", value.detach().cpu().numpy())
    return value


def _from_host(value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "tensor":
        return make_tensor(value[1], device="cpu")
    return value
