"""DistributedDataParallel: one model replica per rank, gradients averaged after backward.

Every rank runs the same module on its own slice of the batch. At construction, rank 0's
parameters and buffers are broadcast, so every replica starts equal. After each
``loss.backward()`` the gradients are averaged across ranks, so every optimizer takes the
same step and the replicas stay equal: the training loop is torch's, unchanged::

    model = DistributedDataParallel(model)
    loss = loss_fn(model(x), y)  # x, y: this rank's part of the batch
    loss.backward()              # gradients are now the average over all ranks
    opt.step()

How the reduction is hooked into backward: the wrapped forward passes each output through
``_ReduceGradients``, an identity op. When backward reaches it, the op asks the engine to
call ``_Reducer.reduce`` once the whole pass has finished
(``autograd.engine.queue_callback``, torch's ``queue_callback``), when every leaf's grad
is written. Forwards run under ``no_sync()`` skip the op, so their gradients only
accumulate locally until a later synchronised backward averages the sum.

The reduction works on flat gradient buffers (DESIGN.md §5): each parameter's ``.grad`` is
made a view of one flat array per (device, dtype), split into buckets of ``bucket_cap_mb``
at parameter boundaries, and each bucket is averaged with one in-place all-reduce. After
the first step the grads stay views (the engine and ``zero_grad()`` write them in place),
so later reductions copy nothing; a grad replaced by a new tensor (``zero_grad(set_to_none=
True)``) is copied back in, once. Unlike torch, a parameter that got no gradient on a rank
contributes zeros instead of raising (torch asks for ``find_unused_parameters=True``).
"""

from __future__ import annotations

import contextlib

from ..autograd import Function, Tensor, no_grad
from ..autograd.engine import queue_callback
from ..autograd.factories import zeros
from ..distributed import collectives as dist
from ..distributed import process_group
from .module import Module

DEFAULT_BUCKET_CAP_MB = 25


class DistributedDataParallel(Module):
    """Data parallelism over the default process group: ``DistributedDataParallel(module)``.

    ``module`` is reachable as ``.module`` (its ``state_dict()`` has no ``module.`` prefix;
    this wrapper's has, as in torch). ``broadcast_buffers`` re-broadcasts rank 0's buffers
    (BatchNorm's running statistics) before every forward. ``device_ids`` is accepted for
    torch's spelling; it must name the module's own device.
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        broadcast_buffers: bool = True,
        bucket_cap_mb: float | None = None,
    ):
        super().__init__()
        group = process_group.default_group()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        _check_device_ids(device_ids, params)
        _check_same_shapes(group, module)
        with no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, 0)
        cap = DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self._reducer = _Reducer(params, int(cap * 1024 * 1024))

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers:
            with no_grad():
                for buffer in self.module.buffers():
                    dist.broadcast(buffer, 0)
        outputs = self.module(*inputs, **kwargs)
        if not (self.require_backward_grad_sync and self._reducer.params):
            return outputs
        self._reducer.armed = True
        return _map_tensors(outputs, lambda t: _ReduceGradients.apply(t, reducer=self._reducer))

    @contextlib.contextmanager
    def no_sync(self):
        """Forwards inside skip the gradient reduction: grads accumulate on each rank."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


class _ReduceGradients(Function):
    """Identity; its backward queues the gradient reduction for the end of the pass."""

    @staticmethod
    def forward(ctx, x, reducer):
        ctx.reducer = reducer
        return x

    @staticmethod
    def backward(ctx, grad):
        if ctx.reducer.armed:  # one reduction per pass, however many outputs
            ctx.reducer.armed = False
            queue_callback(ctx.reducer.reduce)
        return grad


class _Reducer:
    """Flat gradient buckets, and their averaging across ranks."""

    def __init__(self, params: list, cap_bytes: int):
        self.params = params
        self.armed = False
        self.buckets = []  # (flat array, [(param, view of flat)]): one all-reduce each
        by_kind: dict = {}
        for p in params:
            by_kind.setdefault((p.device, p.dtype), []).append(p)
        for (device, dtype), members in by_kind.items():
            flat = zeros(sum(p.numel() for p in members), device=device, dtype=dtype).data
            offset, start, bucket = 0, 0, []
            for p in members:
                bucket.append((p, flat[offset : offset + p.numel()].reshape(p.shape)))
                offset += p.numel()
                if (offset - start) * flat.itemsize >= cap_bytes:
                    self.buckets.append((flat[start:offset], bucket))
                    start, bucket = offset, []
            if bucket:
                self.buckets.append((flat[start:offset], bucket))

    def reduce(self) -> None:
        """Average every parameter's gradient over the ranks, in place."""
        for flat, bucket in self.buckets:
            for p, view in bucket:
                grad = p.grad
                if isinstance(grad, Tensor) and grad.data is view:
                    continue
                if grad is None:
                    view[...] = 0
                    p.grad = Tensor._make(view, p.device)
                elif grad.is_sparse:
                    raise RuntimeError("DistributedDataParallel does not support sparse gradients")
                else:
                    view[...] = grad.data
                    grad.data = view
            dist.all_reduce(Tensor._make(flat, bucket[0][0].device), dist.ReduceOp.AVG)


def _map_tensors(outputs, fn):
    """``outputs`` with ``fn`` applied to each tensor that requires grad (in lists, tuples
    and dicts too)."""
    if isinstance(outputs, Tensor):
        return fn(outputs) if outputs.requires_grad else outputs
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_map_tensors(o, fn) for o in outputs)
    if isinstance(outputs, dict):
        return {k: _map_tensors(v, fn) for k, v in outputs.items()}
    return outputs


def _check_device_ids(device_ids, params: list) -> None:
    if device_ids is None:
        return
    devices = {str(p.device) for p in params}
    wanted = {f"cuda:{i}" if isinstance(i, int) else str(i) for i in device_ids}
    if len(device_ids) != 1 or devices - wanted:
        raise ValueError(
            f"device_ids={device_ids} must name the one device the module is on ({devices})"
        )


def _check_same_shapes(group, module: Module) -> None:
    """Every rank's module must hold the same parameters and buffers (torch checks too)."""
    mine = [(name, t.shape, str(t.dtype)) for name, t in module.state_dict().items()]
    every = group.all_gather_object(mine)
    for rank, theirs in enumerate(every):
        if theirs != mine:
            diff = next((a, b) for a, b in zip(mine + [None], theirs + [None]) if a != b)
            raise RuntimeError(
                f"DistributedDataParallel: rank {rank}'s module differs from rank "
                f"{group.rank}'s: {diff[1]} there, {diff[0]} here"
            )
