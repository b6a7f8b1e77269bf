"""The state side of ``Module``: state dicts, and the arrays behind its parameters.

``StateDict`` holds ``state_dict``/``load_state_dict`` and the methods a subclass
overrides to change what they do, as in torch:

- ``_save_to_state_dict(destination, prefix, keep_vars)``: this module's own entries
  (parameters, persistent buffers, and ``get_extra_state()`` under ``"_extra_state"``
  when a subclass defines it);
- ``_load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
  unexpected_keys, error_msgs)``: copy them back in (``set_extra_state`` gets the extra
  state), noting what is missing or unexpected. ``local_metadata`` is what
  ``state_dict()._metadata`` kept for the module, ``{"version": cls._version}``.

The other helpers touch the arrays behind parameters, always keeping the parameter (and
grad) objects themselves.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..autograd.grad_mode import no_grad
from ..autograd.sparse import SparseGrad
from ..autograd.tensor import Tensor
from .parameter import Parameter

EXTRA_STATE_KEY_SUFFIX = "_extra_state"
NEVER_CALLED = (
    "Reached a code path in Module.{}() that should never be called. Please file an issue at "
    "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
)


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, printed as torch prints it."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        missing, unexpected = self.missing_keys, self.unexpected_keys
        return f"_IncompatibleKeys(missing_keys={missing}, unexpected_keys={unexpected})"

    __str__ = __repr__


class StateDict:
    """The state-dict part of ``Module`` (see the module docstring)."""

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, as detached tensors sharing data.

        As torch's, the dict carries ``_metadata``: each module's ``_version``, by which
        ``load_state_dict`` tells a checkpoint of an older layout from a faulty one. The
        state-dict hooks run around each module's part.
        """
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.state_dict for details.",
                FutureWarning,
                stacklevel=2,
            )
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if result is not None:
                    destination = result
            elif result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """Put this module's own state (not its descendants') into ``destination``."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if _overrides(self, "get_extra_state"):
            destination[prefix + EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def get_extra_state(self):
        """Extra state to save under ``"_extra_state"``: define it, and ``set_extra_state``."""
        raise RuntimeError(NEVER_CALLED.format("get_extra_state"))

    def set_extra_state(self, state) -> None:
        """Take back what ``get_extra_state`` saved."""
        raise RuntimeError(NEVER_CALLED.format("set_extra_state"))

    def _upgrade_state_dict(self, state_dict: dict, prefix: str, version) -> None:
        """Add what a checkpoint of an older ``version`` (None: unknown) lacks (nothing here)."""

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values in place (``assign``: take the checkpoint's tensors themselves);
        return ``(missing_keys, unexpected_keys)``.

        With ``strict`` missing and unexpected keys raise torch's ``RuntimeError``; a shape
        mismatch always does.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # loading may add entries (older layouts)
        if metadata is not None:
            state_dict._metadata = metadata
        _load(self, state_dict, "", metadata, assign, missing_keys, unexpected_keys, error_msgs)
        if strict:
            if unexpected_keys:
                keys = ", ".join(f'"{k}"' for k in unexpected_keys)
                error_msgs.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
            if missing_keys:
                keys = ", ".join(f'"{k}"' for k in missing_keys)
                error_msgs.insert(0, f"Missing key(s) in state_dict: {keys}. ")
        if error_msgs:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(error_msgs)
            )
        return IncompatibleKeys(missing_keys, unexpected_keys)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Copy this module's own entries in from ``state_dict`` (its descendants' are
        theirs to load), noting missing and unexpected keys and errors."""
        self._upgrade_state_dict(state_dict, prefix, local_metadata.get("version"))
        for hook in self._load_state_dict_pre_hooks.values():
            hook(
                state_dict,
                prefix,
                local_metadata,
                strict,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )
        persistent = {
            k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set
        }
        local = {k: v for k, v in [*self._parameters.items(), *persistent.items()] if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local.items():
            key = prefix + name
            if key in state_dict:
                _load_one(self, name, param, key, state_dict[key], assign, error_msgs)
            elif strict:
                missing_keys.append(key)
        extra_key = prefix + EXTRA_STATE_KEY_SUFFIX
        if _overrides(self, "set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head = key[len(prefix) :].split(".", 1)
                    if len(head) > 1 and head[0] not in self._modules:
                        unexpected_keys.append(key)
                    elif len(head) == 1 and head[0] not in local:
                        unexpected_keys.append(key)


def _overrides(module, name: str) -> bool:
    """Whether ``module``'s class defines its own ``name`` (``get_extra_state``...)."""
    return getattr(type(module), name, None) is not getattr(StateDict, name)


def _load(module, state_dict, prefix, metadata, assign, missing, unexpected, errors) -> None:
    """``load_state_dict``'s walk, as torch's: the module's entries, then each child's
    (with its share of the dict), then the module's post-hooks."""
    local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
    if assign:
        local_metadata["assign_to_params_buffers"] = assign
    module._load_from_state_dict(
        state_dict, prefix, local_metadata, True, missing, unexpected, errors
    )
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = prefix + name + "."
            child_state = {k: v for k, v in state_dict.items() if k.startswith(child_prefix)}
            _load(child, child_state, child_prefix, metadata, assign, missing, unexpected, errors)
    incompatible_keys = IncompatibleKeys(missing, unexpected)
    for hook in module._load_state_dict_post_hooks.values():
        if hook(module, incompatible_keys) is not None:
            raise AssertionError(
                "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                "expected to return new values, if incompatible_keys need to be modified, "
                "it should be done inplace."
            )


def _load_one(module, name, param, key, value, assign, errors) -> None:
    """Load ``value`` into ``module``'s parameter or buffer ``name``, or note the error."""
    if not isinstance(value, Tensor):
        errors.append(
            f'While copying the parameter named "{key}", expected tinyoptim.Tensor or '
            f"Tensor-like object from checkpoint but received {type(value)}"
        )
        return
    if param.ndim == 0 and value.ndim == 1 and value.shape[0] == 1:  # old 0-d checkpoints
        value = value[0]
    if value.shape != param.shape:
        errors.append(
            f"size mismatch for {key}: copying a param with shape {value.shape} from "
            f"checkpoint, the shape in current model is {param.shape}."
        )
        return
    try:
        with no_grad():
            if not assign:
                param.copy_(value)
                return
            if isinstance(param, Parameter):
                if isinstance(value, Parameter):
                    value.requires_grad_(param.requires_grad)
                else:
                    value = Parameter(value, requires_grad=param.requires_grad)
            setattr(module, name, value)
    except Exception as ex:
        errors.append(
            f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{param.shape} and whose dimensions in the checkpoint are {value.shape}, an "
            f"exception occurred : {ex.args}."
        )


def flatten(params) -> None:
    """Make each parameter and its grad a view of one flat buffer per (device, dtype)."""
    groups: dict = {}
    for p in params:
        groups.setdefault((p.device, p.dtype), []).append(p)
    for (device, dtype), params in groups.items():
        xp = device.backend.xp
        total = sum(p.numel() for p in params)
        values = xp.zeros((total,), dtype=dtype.np)
        grads = xp.zeros((total,), dtype=dtype.np)
        offset = 0
        for p in params:
            n = p.numel()
            view = values[offset : offset + n].reshape(p.shape)
            view[...] = p.data
            p.data = view
            grad_view = grads[offset : offset + n].reshape(p.shape)
            if isinstance(p.grad, Tensor):
                grad_view[...] = p.grad.data
                p.grad.data = grad_view
            elif p.grad is None:
                p.grad = Tensor._make(grad_view, device)
            offset += n


def device_only(convert):
    """``convert`` applied for its device only: the dtype stays."""
    return lambda t: convert(t).to(t.dtype)


def swap(t: Tensor, convert) -> None:
    """Swap ``t``'s storage for ``convert(t)``'s, keeping the object."""
    with no_grad():
        converted = convert(t.detach())
    if converted.data is not t.data:
        t.data, t._device = converted.data, converted.device


def moved_sparse(grad: SparseGrad, convert) -> SparseGrad:
    values = convert(Tensor._make(grad.values, grad.device))
    indices = Tensor._make(grad.indices, grad.device).to(values.device)
    return SparseGrad(indices.data, values.data, grad.shape, values.device)


def keeping_integer_dtypes(convert):
    """``convert`` for floating tensors; for the others (``num_batches_tracked``) only the
    device it moves them to."""
    moved = device_only(convert)
    return lambda t: convert(t) if t.dtype.is_floating_point else moved(t)


def swap_storage(tensors, convert) -> None:
    """Replace each tensor's data, and its grad's, by ``convert(it)``, keeping the objects."""
    for t in tensors:
        swap(t, convert)
        grad = t.grad
        if isinstance(grad, Tensor):
            swap(grad, convert)
        elif isinstance(grad, SparseGrad):
            t._grad = moved_sparse(grad, convert)
