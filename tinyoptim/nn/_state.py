"""The storage side of ``Module``: loading state dicts, swapping and flattening arrays.

``Module`` keeps the names and the tree; these helpers touch the arrays behind its
parameters, always keeping the parameter (and grad) objects themselves.
"""

from __future__ import annotations

from collections import namedtuple

from ..autograd.grad_mode import no_grad
from ..autograd.sparse import SparseGrad
from ..autograd.tensor import Tensor


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, printed as torch prints it."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        missing, unexpected = self.missing_keys, self.unexpected_keys
        return f"_IncompatibleKeys(missing_keys={missing}, unexpected_keys={unexpected})"

    __str__ = __repr__


def load(model, state_dict: dict, strict: bool, metadata=None) -> IncompatibleKeys:
    """``model.load_state_dict``: every module's entries, visited under each of its names
    as torch recurses, then torch's report of missing and unexpected keys. ``metadata``
    (``state_dict()._metadata``) gives the version each module's entries were saved by."""
    missing, unexpected, errors = [], [], []
    for prefix, module in model.named_modules(remove_duplicate=False):
        local_prefix = prefix + "." if prefix else ""
        version = (metadata or {}).get(prefix, {}).get("version")
        module._upgrade_state_dict(state_dict, local_prefix, version)
        load_local(module, state_dict, local_prefix, missing, unexpected, errors)
    if strict:
        if unexpected:
            keys = ", ".join(f'"{k}"' for k in unexpected)
            errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
        if missing:
            keys = ", ".join(f'"{k}"' for k in missing)
            errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(model).__name__}:\n\t" + "\n\t".join(errors)
        )
    return IncompatibleKeys(missing, unexpected)


def load_local(module, state_dict, prefix, missing, unexpected, errors) -> None:
    """Copy ``module``'s own entries in; note missing and unexpected keys and errors."""
    persistent = {
        k: v for k, v in module._buffers.items() if k not in module._non_persistent_buffers_set
    }
    local = {
        k: v
        for k, v in list(module._parameters.items()) + list(persistent.items())
        if v is not None
    }
    for name, target in local.items():
        key = prefix + name
        if key not in state_dict:
            missing.append(key)
            continue
        value = state_dict[key]
        if not isinstance(value, Tensor):
            errors.append(
                f'While copying the parameter named "{key}", expected tinyoptim.Tensor or '
                f"Tensor-like object from checkpoint but received {type(value)}"
            )
            continue
        if target.ndim == 0 and value.ndim == 1:  # torch's rule for old 0-d checkpoints
            value = value[0]
        if value.shape != target.shape:
            errors.append(
                f"size mismatch for {key}: copying a param with shape {value.shape} from "
                f"checkpoint, the shape in current model is {target.shape}."
            )
            continue
        with no_grad():
            target.copy_(value)
    for key in state_dict:
        if not key.startswith(prefix):
            continue
        head = key[len(prefix) :].split(".", 1)
        if len(head) > 1 and head[0] not in module._modules:
            unexpected.append(key)
        elif len(head) == 1 and head[0] not in local:
            unexpected.append(key)


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


def swap_storage(tensors, convert) -> None:
    """Replace each tensor's data, and its grad's, by ``convert(it)``, keeping the objects.

    Integer tensors (``num_batches_tracked``) keep their dtype; only their device moves.
    """
    for t in tensors:
        fn = convert if t.dtype.is_floating_point else device_only(convert)
        swap(t, fn)
        grad = t.grad
        if isinstance(grad, Tensor):
            swap(grad, fn)
        elif isinstance(grad, SparseGrad):
            t._grad = moved_sparse(grad, fn)
