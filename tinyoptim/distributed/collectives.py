"""Collectives on tensors: every rank calls the same function, in the same order.

Each call hands the tensor's own array to the group (``process_group.py``), so MPI's
``Allreduce(IN_PLACE, ...)`` and NCCL write straight into ``tensor.data``: no copy beyond
what the library makes itself. ``all_gather`` and ``reduce_scatter`` copy only when their
list of tensors is not already laid out back to back in one buffer.

The "mpi" group takes tensors on the "cpu" device, the "nccl" group tensors on its GPU.
Strict-device tensors are refused: their arrays leave the device only through the
explicit crossings (``.cpu()``), as a CuPy array would without a CUDA-aware MPI.

Shapes and dtypes must agree across ranks. Within one rank this is always checked; across
ranks (where a mismatch would make MPI hang or read garbage) only with
``TINYOPTIM_DISTRIBUTED_DEBUG=DETAIL``, which costs one small extra gather per call, as
``TORCH_DISTRIBUTED_DEBUG=DETAIL`` does in torch.
"""

from __future__ import annotations

import os

from ..autograd import Tensor
from .process_group import ReduceOp, default_group


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM) -> None:
    """Combine ``tensor`` across ranks with ``op``, in place on every rank."""
    group = default_group()
    array = _array(group, tensor)
    _check_across_ranks(group, "all_reduce", tensor)
    if op is ReduceOp.AVG and not tensor.dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {tensor.dtype}")
    group.all_reduce(array, op)
    if op is ReduceOp.AVG:
        array /= group.size
    tensor._version_counter.value += 1


def broadcast(tensor: Tensor, src: int) -> None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    group = default_group()
    array = _array(group, tensor)
    _check_rank(group, src, "src")
    _check_across_ranks(group, "broadcast", tensor)
    group.broadcast(array, src)
    tensor._version_counter.value += 1


def all_gather(tensor_list: list, tensor: Tensor) -> None:
    """``tensor_list[r]`` receives rank r's ``tensor``, on every rank."""
    group = default_group()
    array = _array(group, tensor)
    outputs = _same_shaped(group, tensor_list, tensor, "tensor_list")
    _check_across_ranks(group, "all_gather", tensor)
    flat = _span(tensor, outputs)
    if flat is not None:
        group.all_gather(flat, array)
    else:
        flat = tensor.backend.xp.empty(group.size * tensor.numel(), dtype=array.dtype)
        group.all_gather(flat, array)
        for r, out in enumerate(outputs):
            out.data[...] = flat[r * tensor.numel() : (r + 1) * tensor.numel()].reshape(out.shape)
    for out in outputs:
        out._version_counter.value += 1


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM) -> None:
    """``output`` receives the reduction across ranks of every rank's ``input_list[rank]``."""
    group = default_group()
    out = _array(group, output)
    inputs = _same_shaped(group, input_list, output, "input_list")
    _check_across_ranks(group, "reduce_scatter", output)
    if op is ReduceOp.AVG and not output.dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {output.dtype}")
    flat = _span(output, inputs)
    if flat is None:
        flat = output.backend.xp.concatenate([t.data.reshape(-1) for t in inputs])
    group.reduce_scatter(out.reshape(-1) if out.ndim else out.reshape(1), flat, op)
    if op is ReduceOp.AVG:
        out /= group.size
    output._version_counter.value += 1


def all_gather_object(object_list: list, obj) -> None:
    """``object_list[r]`` receives rank r's picklable ``obj``, on every rank."""
    group = default_group()
    if len(object_list) != group.size:
        raise ValueError(
            f"object_list has {len(object_list)} entries; it needs one per rank ({group.size})"
        )
    object_list[:] = group.all_gather_object(obj)


def gather_object(obj, object_gather_list: list | None = None, dst: int = 0) -> None:
    """On rank ``dst``, ``object_gather_list[r]`` receives rank r's picklable ``obj``."""
    group = default_group()
    _check_rank(group, dst, "dst")
    gathered = group.gather_object(obj, dst)
    if group.rank == dst:
        if object_gather_list is None or len(object_gather_list) != group.size:
            raise ValueError(f"object_gather_list on rank {dst} needs one entry per rank")
        object_gather_list[:] = gathered


def broadcast_object_list(object_list: list, src: int = 0) -> None:
    """Every rank's ``object_list`` becomes a copy of rank ``src``'s."""
    group = default_group()
    _check_rank(group, src, "src")
    object_list[:] = group.broadcast_object(list(object_list), src)


# -- checks and helpers -----------------------------------------------------------------


def _array(group, tensor):
    """The array a collective may write into: ``tensor``'s own, on the group's device."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a tinyoptim.Tensor, got {type(tensor).__name__}")
    if tensor.device.type != group.device_type:
        hint = (
            "strict-device arrays leave the device only through explicit crossings: "
            "collect with t.cpu(), and copy the result back with copy_()"
            if tensor.device.type == "strict"
            else f"move it with .to('{group.device_type}')"
        )
        raise RuntimeError(
            f"the '{group.name}' backend works on {group.device_type} tensors, "
            f"got one on '{tensor.device}': {hint}"
        )
    array = tensor.data
    if not array.flags.c_contiguous:
        raise ValueError("Tensors must be contiguous")
    return array


def _check_rank(group, rank: int, name: str) -> None:
    if not 0 <= rank < group.size:
        raise ValueError(f"Invalid {name} rank {rank}: the world size is {group.size}")


def _same_shaped(group, tensors, like: Tensor, name: str) -> list:
    """``tensors`` as a list of ``group.size`` arrays shaped and typed like ``like``."""
    tensors = list(tensors)
    if len(tensors) != group.size:
        raise ValueError(f"{name} has {len(tensors)} tensors; it needs one per rank ({group.size})")
    for t in tensors:
        _array(group, t)
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(
                f"every tensor in {name} must have shape {like.shape} and dtype {like.dtype}, "
                f"got shape {t.shape} and dtype {t.dtype}"
            )
    return tensors


def _span(like: Tensor, tensors: list):
    """One flat array covering ``tensors`` when they lie back to back in one buffer."""
    if like.ndim == 0:
        return None
    return like.backend.span([t.data for t in tensors])


def _check_across_ranks(group, what: str, tensor: Tensor) -> None:
    """With ``TINYOPTIM_DISTRIBUTED_DEBUG=DETAIL``: the same shape and dtype on every rank."""
    if os.environ.get("TINYOPTIM_DISTRIBUTED_DEBUG", "").upper() != "DETAIL":
        return
    signature = (what, tensor.shape, str(tensor.dtype))
    every = group.all_gather_object(signature)
    if any(s != signature for s in every):
        listing = "; ".join(f"rank {r}: {s[0]} of {s[1]} {s[2]}" for r, s in enumerate(every))
        raise RuntimeError(f"ranks disagree on a collective's tensors ({listing})")
