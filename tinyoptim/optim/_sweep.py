"""Running an elementwise update over a bucket: in cache-sized chunks, on worker threads.

An optimizer's fast path is a *kernel*: a function of 1-d arrays (the parameter, its
gradient, its state buffers, and a few work arrays) that updates them in place with
``out=`` ufuncs. ``sweep`` feeds it:

* the whole bucket at once when the parameters, and their gradients, lie back to back in
  one buffer (``nn.Module.flatten_parameters()``) and all of them step together;
* otherwise one member at a time, as 1-d views of its parameter, gradient and state
  slices (a non-contiguous parameter is passed whole, in its own shape).

Each piece is cut into chunks of about ``CHUNK_BYTES`` per array, so a kernel's dozen
passes run in the caches rather than in main memory, and the chunks are shared among
worker threads (NumPy releases the GIL inside its loops). Each thread has its own
chunk-sized work arrays, allocated once per bucket. Results do not depend on the
chunking: every element sees the same operations in the same order.

Where the backend has a compiled kernel (numba's, the ``[fast]`` extra), all the 1-d
pieces go to it in one call, through a pointer table the backend builds from them.

How the pieces were cut, and the chunks or the table, are kept on the bucket and reused
while the optimizer passes the same lists again: a ``Plan`` (``_plan.py``) does so only
after checking that none of their arrays changed.
"""

from __future__ import annotations

from ..backends.workers import WORKERS, executor

CHUNK_BYTES = 1 << 19  # per array: long enough to amortise each ufunc call's overhead,
# short enough that the ~8 arrays a kernel touches stay in the L2/L3 caches between passes
PARALLEL_ELEMENTS = 1 << 20  # below this, threads cost more than they save


def sweep(bucket, params, grads, keys, kernel, work: int = 2, fused=None) -> None:
    """Apply ``kernel(theta, g, *state[keys], *work_arrays)`` to every element of ``params``.

    ``params`` and ``grads`` are members of ``bucket`` (any order); ``keys`` name the state
    buffers the kernel updates, in the order it takes them. ``fused = (name, scalars)``
    names the backend's compiled equivalent (numba's, ``backends/kernels_cpu.py``), called
    once over a pointer table of all the pieces, with float scalars in the arrays' dtype;
    it runs instead of ``kernel`` where the backend has it. Bools pass as they are.
    """
    backend = params[0].backend
    compiled = fused and backend.kernel(fused[0])
    if compiled and not compiled.supports(params[0].data.dtype):
        compiled = None  # float16: the NumPy kernel
    layout = _layout(bucket, params, grads, keys)
    for piece in layout.shaped:  # non-contiguous: in its own shape, with member-sized scratch
        kernel(*piece, *bucket.scratch(piece[0], work))
    if compiled:
        if not layout.flat:
            return
        dtype = params[0].data.dtype.type
        scalars = tuple(
            x if isinstance(x, bool) or not isinstance(x, (int, float)) else dtype(x)
            for x in fused[1]
        )
        if layout.table is None:
            layout.table = backend.pointer_table(layout.flat)
        compiled.over(layout.table, scalars)
        return
    if layout.chunks is None:
        layout.chunks = [c for piece in layout.flat for c in _chunks(piece, piece[0].itemsize)]
    chunked, total = layout.chunks, layout.size
    workers = WORKERS if total >= PARALLEL_ELEMENTS and len(chunked) > 1 else 1
    if workers == 1:
        _run(bucket, chunked, kernel, work, 0)
        return
    share = (len(chunked) + workers - 1) // workers
    jobs = [
        executor().submit(_run, bucket, chunked[i * share : (i + 1) * share], kernel, work, i)
        for i in range(workers)
    ]
    for job in jobs:
        job.result()


class _Layout:
    """How a sweep cut ``params``: 1-d pieces ``(theta, g, *states)`` and shaped ones
    (non-contiguous parameters); the chunks or pointer table made from them on demand."""

    def __init__(self, params, grads, flat, shaped):
        self.params, self.grads = params, grads  # the lists it was made for, kept alive
        self.flat, self.shaped = flat, shaped
        self.size = sum(piece[0].size for piece in flat)
        self.chunks = None
        self.table = None


def _layout(bucket, params, grads, keys) -> _Layout:
    """The bucket's layout for these lists: the last one when the same list objects come
    back (a plan's, which checked that their arrays did not change), else a new one."""
    layout = bucket.layouts.get(keys)
    if layout is not None and layout.params is params and layout.grads is grads:
        return layout
    pieces = _pieces(bucket, params, grads, keys)
    flat = [piece for piece in pieces if piece[0].ndim == 1]
    shaped = [piece for piece in pieces if piece[0].ndim != 1]
    layout = bucket.layouts[keys] = _Layout(params, grads, flat, shaped)
    return layout


def _run(bucket, chunks, kernel, work, worker) -> None:
    if not chunks:
        return
    space = _workspace(bucket, chunks[0][0], work, worker)
    for chunk in chunks:
        n = chunk[0].size
        kernel(*chunk, *[w[:n] for w in space])


def _workspace(bucket, like, work, worker) -> list:
    key = (worker, work)
    space = bucket.workspaces.get(key)
    if space is None:
        xp = bucket.members[0].backend.xp
        size = max(CHUNK_BYTES // like.itemsize, 1)
        space = bucket.workspaces[key] = [xp.empty(size, like.dtype) for _ in range(work)]
    return space


def _chunks(piece, itemsize) -> list:
    step = max(CHUNK_BYTES // itemsize, 1)
    n = piece[0].size
    if n <= step:
        return [piece]
    return [tuple(a[i : i + step] for a in piece) for i in range(0, n, step)]


def _pieces(bucket, params, grads, keys) -> list:
    """The arrays the kernel sees: ``(theta, g, *states)`` per piece."""
    backend = params[0].backend
    order = sorted(range(len(params)), key=lambda i: bucket.index[id(params[i])])
    if len(params) == len(bucket.members):
        theta = backend.span([params[i].data for i in order])
        g = theta is not None and backend.span([grads[i].data for i in order])
        if theta is not None and g is not None:
            return [(theta, g, *[bucket.flat[k] for k in keys])]
    pieces = []
    for i in order:
        p, grad = params[i], grads[i]
        member = bucket.index[id(p)]
        start, size = bucket.offsets[member], bucket.sizes[member]
        theta, g = backend.flat_view(p.data), backend.flat_view(grad.data)
        if theta is None or g is None:  # a non-contiguous parameter: keep its shape
            pieces.append((p.data, grad.data, *[_state_view(bucket, k, member, p) for k in keys]))
        else:
            pieces.append((theta, g, *[bucket.flat[k][start : start + size] for k in keys]))
    return pieces


def _state_view(bucket, key, member, p):
    start, size = bucket.offsets[member], bucket.sizes[member]
    return bucket.flat[key][start : start + size].reshape(p.shape)
