"""``Optimizer``: torch.optim's bookkeeping, shared by every optimizer.

Parameter groups, lazy per-parameter state, ``zero_grad``, the hook registries (the
wrapper that runs them around ``step`` is in ``_step_hooks.py``) and
``state_dict``/``load_state_dict`` in torch's exact layout live here; the math lives in
one file per optimizer. Behaviour follows torch 2.13 (TORCH_OPTIM.md §2), with the
deviations listed in API.md: ``zero_grad`` defaults to ``set_to_none=False``, and
``load_state_dict`` copies arrays in, checks shapes, and keeps ``step`` in its saved dtype.
"""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict

from ..autograd import Tensor, no_grad
from ..autograd.function import DEVICE_MISMATCH
from ..autograd.hooks import register
from ..autograd.zero_grad import zero_grads
from . import _validation as msg
from ._buckets import Buckets, scalar_dtype, step_counter  # noqa: F401 - re-exported
from ._load_policy import cast_state
from ._plan import Plan
from ._state_map import StateMap
from ._step_hooks import (  # noqa: F401 - the global registrations are re-exported, as torch's
    HOOK_DICTS,
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
    with_hooks,
)


class _RequiredParameter:
    """The default of an argument that each group must supply (SGD's ``lr``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of the optimizers: ``Optimizer(params, defaults)``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = with_hooks(step)

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        for name in HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state = StateMap()  # like torch's defaultdict(dict), counting its changes
        self.param_groups: list = []
        self._buckets = Buckets()  # the fast path's flat state (DESIGN.md §5)
        self._plans: dict = {}  # id(group) -> the fast path's Plan for it (_plan.py)
        self._repeats: set = set()  # ids of the groups that list a parameter twice
        groups = list(params)
        if not groups:
            raise ValueError(msg.EMPTY_PARAMS)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- groups ------------------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, filling in this optimizer's defaults.

        As in torch, the dict given becomes the group itself: its ``params`` turn into a
        list, ``(name, tensor)`` pairs split into ``params`` and ``param_names``, and the
        missing options are filled in after the given ones.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(msg.SET_PARAMS)
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError(msg.MISSING_NAMES)
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not self.defaults.get("differentiable", False) and not (p.is_leaf or p.retains_grad):
                raise ValueError(msg.NON_LEAF)
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(msg.DUPLICATE_IN_GROUP, stacklevel=3)
        if self.param_groups:
            has_names = "param_names" in self.param_groups[0]
            if has_names != ("param_names" in param_group):
                which = "without" if has_names else "with"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add "
                    f"param group {which} names to the optimizer"
                )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError(msg.IN_SEVERAL_GROUPS)
        self.param_groups.append(param_group)

    # -- gradients and steps ----------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero every gradient in place (keeping the arrays), or drop them with ``True``."""
        with no_grad():
            zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        raise NotImplementedError

    def _with_grads(self, group: dict, sparse_error: str | None):
        """``(params, grads)``: the group's parameters that have a gradient, and their grads.

        It checks everything a step could trip on before anything is written (API.md
        deviation 5): sparse gradients (refused with ``sparse_error`` unless it is None),
        and grads or state on another device than their parameter.
        """
        plan = self._plans.get(id(group))
        if plan is not None and plan.group is group and plan.holds(group, self.state):
            return plan.params, plan.grads
        params, grads = [], []
        host_state, state = self._host_state, self.state
        for i, p in enumerate(group["params"]):
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse and sparse_error is not None:
                raise RuntimeError(sparse_error)
            device = p.device
            if grad.device is not device and grad.device != device:
                raise RuntimeError(DEVICE_MISMATCH.format(device, grad.device))
            for key, value in state.get(p, {}).items():
                if (
                    isinstance(value, Tensor)
                    and value.device is not device
                    and key not in host_state
                    and value.device != device
                ):
                    raise RuntimeError(
                        DEVICE_MISMATCH.format(device, value.device)
                        + f" (optimizer state {key!r} of parameter {i} of its group is on "
                        f"{value.device}; after moving parameters, reload the state with "
                        "opt.load_state_dict(opt.state_dict()))"
                    )
            params.append(p)
            grads.append(grad)
        if group.get("fused"):
            for p in params:
                msg.check_fused_param(p)
        if len({id(p) for p in params}) != len(params):
            self._repeats.add(id(group))
        else:
            self._repeats.discard(id(group))
        return params, grads

    def _per_parameter(self, group: dict) -> bool:
        """Whether ``group`` takes the readable per-parameter path: with ``foreach=False``
        (and not fused), and when it lists a parameter twice, which torch updates twice
        over one shared state, where a bucket would hold it once (``_with_grads`` notes it).
        """
        return (group["foreach"] is False and not group.get("fused")) or self._lists_twice(group)

    def _lists_twice(self, group: dict) -> bool:
        return id(group) in self._repeats

    def _over_buckets(self, group, params, grads, keys, update, options, fill=None) -> None:
        """The fast path: ``update(bucket, members, grads, state, **options)`` for each
        bucket of ``group``, once every member's state is a view of its flat buffers."""
        for bucket, members, member_grads, _ in self._split(group, params, grads, keys, fill):
            update(bucket, members, member_grads, self.state, **options)

    def _split(self, group, params, grads, keys, fill=None, step=True) -> list:
        """``[(bucket, members, member_grads, newcomers)]`` for ``params`` (from
        ``_with_grads``), every member's state synced with its bucket; ``newcomers`` are
        the members whose state was just made. The group's plan's, when it holds."""
        plan = self._plans.get(id(group))
        if plan is not None and plan.params is params and plan.keys == keys:
            return plan.split  # _with_grads found the plan holding, this very step
        split = [
            (bucket, members, member_grads, bucket.sync(self.state, members))
            for bucket, members, member_grads in self._buckets.split(
                group, params, grads, keys, fill, step
            )
        ]
        if Plan.allowed(self.state) and not any(g.is_sparse for g in grads):
            settled = [(*entry[:3], []) for entry in split]  # no newcomers from now on
            self._plans[id(group)] = Plan(group, self.state, params, grads, settled, keys)
        else:
            self._plans.pop(id(group), None)
        return split

    def _call_closure(self, closure):
        """Torch's pattern: the closure runs once, first, with grad enabled."""
        if closure is None:
            return None
        from ..autograd import enable_grad

        with enable_grad():
            return closure()

    def register_step_pre_hook(self, hook):
        return register(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return register(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        return register(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        return register(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        return register(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        return register(self._load_state_dict_post_hooks, hook, prepend)

    # -- state ----------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``."""
        for hook in self._state_dict_pre_hooks.values():
            hook(self)
        index_of: dict = {}
        start = 0
        packed_groups = []
        for group in self.param_groups:
            before = dict(index_of)
            for k, p in enumerate(group["params"]):
                if id(p) not in before:
                    index_of[id(p)] = start + k
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            packed_groups.append(packed)
            start += len(group["params"])
        state = {  # plain dicts (the same tensors) rather than the StateMap's own
            (index_of[id(p)] if isinstance(p, Tensor) else p): dict(value)
            if isinstance(value, dict)
            else value
            for p, value in self.state.items()
        }
        result = {"state": state, "param_groups": packed_groups}
        for hook in self._state_dict_post_hooks.values():
            replaced = hook(self, result)
            if replaced is not None:
                result = replaced
        return result

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyperparameters saved by ``state_dict``, onto the current
        parameters' devices and dtypes (arrays are copied in)."""
        state_dict = dict(state_dict)
        for hook in self._load_state_dict_pre_hooks.values():
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        saved_state = state_dict["state"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(msg.GROUP_COUNT)
        if any(
            len(s["params"]) != len(g["params"]) for s, g in zip(saved_groups, self.param_groups)
        ):
            raise ValueError(msg.GROUP_SIZE)
        id_map = {
            old: p
            for s, g in zip(saved_groups, self.param_groups)
            for old, p in zip(s["params"], g["params"])
        }
        fused = {old: bool(s.get("fused")) for s in saved_groups for old in s["params"]}
        state = StateMap()
        for key, value in saved_state.items():
            if key in id_map:
                p = id_map[key]
                state[p] = {k: self._cast(p, key, k, v, fused[key]) for k, v in value.items()}
            else:
                state[key] = value
        groups = []
        for saved, current in zip(saved_groups, self.param_groups):
            saved["params"] = current["params"]
            if "param_names" in current and "param_names" not in saved:
                saved["param_names"] = current["param_names"]
            for key, value in self._group_fallbacks.items():  # for groups saved before a
                saved.setdefault(key, value)  # key existed: torch's __setstate__ values
            groups.append(saved)
        self.state, self.param_groups = state, groups
        self.defaults.setdefault("differentiable", False)  # as torch's __setstate__ does
        self._buckets.clear()
        self._plans.clear()
        self._repeats.clear()
        for hook in self._load_state_dict_post_hooks.values():
            hook(self)

    # Keys whose state arrays have the parameter's shape (checked on load, deviation 3).
    _param_shaped_state: tuple = ()
    # What a loaded group lacking one of these keys gets (torch's ``__setstate__``).
    _group_fallbacks: dict = {}
    # 0-d bookkeeping kept on the CPU whatever the parameter's device; on load it keeps
    # its saved dtype (deviation 6), so save, load, continue is bit-exact.
    _host_state: tuple = ("step",)
    # 0-d bookkeeping kept on the parameter's device (ASGD's); on load ``step`` keeps its
    # saved dtype and the others take the parameter's, as torch casts them.
    _device_scalars: tuple = ()
    # Whether a saved Python number under one of those keys (an old checkpoint's) becomes a
    # 0-d tensor on load. torch's built-in optimizers with a tensor step do it in their
    # ``__setstate__`` and set this; a user's subclass, like torch's base class, keeps it.
    _scalars_become_tensors: bool = False

    def _cast(self, p, index, key, value, fused=False):
        """A saved state value as this optimizer's own copy (``_load_policy.py``)."""
        return cast_state(self, p, index, key, value, fused)

    def state_nbytes(self) -> int:
        """Bytes held by all state arrays of this optimizer."""
        total = 0
        for per_param in self.state.values():
            for value in per_param.values():
                if isinstance(value, Tensor):
                    total += value.data.nbytes
        return total

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        """After ``copy.deepcopy`` or unpickling: no hooks (as in torch), fresh buckets."""
        self.__dict__.update(state)
        for name in HOOK_DICTS:
            setattr(self, name, OrderedDict())
        self._buckets = Buckets()
        self._plans = {}
        self._repeats = set()
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._group_fallbacks.items():
                group.setdefault(key, value)

    def __repr__(self) -> str:
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):  # torch's layout, blank lines included
            text += f"\nParameter Group {i}\n"
            keys = sorted(key for key in group if key != "params")
            text += "".join(f"    {key}: {group[key]}\n" for key in keys)
        return text + ")"


def _typename(value) -> str:
    """The type's name as torch.typename gives it: qualified unless it is a builtin."""
    if isinstance(value, Tensor):
        return "tinyoptim.Tensor"
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module in ("", "builtins") else f"{module}.{kind.__qualname__}"
