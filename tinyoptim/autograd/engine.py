"""The backward engine: walk the graph in reverse topological order, once.

``backward(loss)`` seeds the gradient of ``loss`` and calls each node's ``backward``
exactly once, after every consumer of its output has contributed. The order needs no
separate sort: every node is numbered when it is made, after the nodes of its inputs, so
the engine keeps the nodes that have received a gradient in a heap and always runs the
latest-made one (a loop, not recursion: a 100,000-op chain is fine). Gradients reaching
the same node are summed; gradients reaching a leaf are added **in place** to its
``.grad``, so a grad that is a view of a flat buffer stays one. A leaf's first gradient
becomes its ``.grad`` without a copy when no one else holds that array. Every edge's
shape is checked, naming the op. Saved arrays are freed as soon as their node has run,
unless ``retain_graph=True``.

A node's ``backward`` may call ``queue_callback(fn)``: ``fn()`` then runs once the whole
pass has finished and every leaf's ``.grad`` is written (torch's
``Variable._execution_engine.queue_callback``; DistributedDataParallel averages gradients
this way).
"""

from __future__ import annotations

import contextlib
import heapq
import threading
import warnings

from ..backends import quiet_math
from . import anomaly
from .hooks import replacement_data, run_post_accumulate_hooks
from .sparse import SparseGrad

NON_SCALAR = "grad can be implicitly created only for scalar outputs"
NO_GRAD_FN = "element {} of tensors does not require grad and does not have a grad_fn"
BAD_GRAD_SHAPE = (
    "Function {} returned an invalid gradient at index {} - got {} but expected shape "
    "compatible with {}"
)
NOT_IN_BACKWARD = "Final callbacks can only be installed during backward pass."

_passes = threading.local()  # .callbacks: one list per backward pass running in this thread


def queue_callback(callback) -> None:
    """Run ``callback()`` when the backward pass now running has finished.

    Only a node's ``backward`` can call it; callbacks run in the order queued, after
    every leaf's ``.grad`` is written, and may queue further callbacks.
    """
    stack = getattr(_passes, "callbacks", None)
    if not stack:
        raise RuntimeError(NOT_IN_BACKWARD)
    stack[-1].append(callback)


@contextlib.contextmanager
def _final_callbacks():
    """One backward pass: collect the callbacks its nodes queue, and run them at the end."""
    stack = _passes.__dict__.setdefault("callbacks", [])
    queued: list = []
    stack.append(queued)
    try:
        yield
        while queued:  # a callback may queue another
            queued.pop(0)()
    finally:
        stack.pop()


def run_backward(tensors, grad_tensors, retain_graph: bool, capture=None):
    """Backpropagate from ``tensors`` seeded with ``grad_tensors``.

    Without ``capture`` the leaves' ``.grad`` accumulate. With ``capture`` (a list of
    tensors, for ``autograd.grad``) their gradients are returned instead, and no
    ``.grad`` changes. Gradients compute through inf and NaN without NumPy's warnings,
    as torch's do.
    """
    with quiet_math():
        return _run_backward(tensors, grad_tensors, retain_graph, capture)


def _run_backward(tensors, grad_tensors, retain_graph: bool, capture):
    pending: dict = {}  # node -> [gradient of its output so far, owned]
    leaf_grads: dict = {}  # id(leaf) -> [leaf, gradient so far, owned]
    ready: list = []  # heap of (-node.sequence, node): the latest-made node comes out first
    captured_nodes = {id(t.grad_fn): t for t in capture or () if t.grad_fn is not None}
    captured: dict = {}

    for i, (tensor, grad) in enumerate(zip(tensors, grad_tensors)):
        if tensor.grad_fn is None and not tensor._requires_grad:
            raise RuntimeError(NO_GRAD_FN.format(i))
        _send(tensor, tensor.grad_fn, grad, False, pending, leaf_grads, ready)

    check_finite = anomaly.is_anomaly_enabled()
    pop = heapq.heappop
    while ready:
        # Every consumer of this node's output was made after it, so has already run.
        node = pop(ready)[1]
        grad = pending.pop(node)[0]
        if node._tensor_hooks:
            grad = run_hooks(node._tensor_hooks, grad, node._hook_device)
        if captured_nodes and id(node) in captured_nodes:
            captured[id(captured_nodes[id(node)])] = grad
        if node._retained is not None:
            owner = node._retained()
            if owner is not None:
                _accumulate(owner, grad, owned=False)
        if node.saved is None or node._versions:
            node.check_saved()
        grads = node.backward(node, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        needs_grad, inputs, fns = node.needs_grad, node.inputs, node.input_fns
        for i, g in enumerate(grads):
            if g is None or not needs_grad[i]:
                continue
            tensor = inputs[i]
            data = tensor.data
            # The usual case, an array of the right type, shape and dtype, checked inline.
            if type(g) is type(data) and g.dtype is data.dtype and g.shape == data.shape:
                owned = node.fresh_grads
            else:
                checked = _checked(node, i, tensor, g)
                owned, g = node.fresh_grads or checked is not g, checked
            if check_finite and not isinstance(g, SparseGrad):
                anomaly.check_gradient(node, i, g, node.backend)
            _send(tensor, fns[i], g, owned, pending, leaf_grads, ready)
        if not retain_graph and node.saved:
            node.saved = None  # free what forward saved as soon as backward has used it

    for entry in leaf_grads.values():
        leaf = entry[0]
        if leaf.__dict__.get("_hooks"):
            entry[1:] = run_hooks(leaf._hooks, entry[1], leaf.device), True
    if capture is not None:
        for leaf, grad, _ in leaf_grads.values():
            captured[id(leaf)] = grad
        return [captured.get(id(t)) for t in capture]
    for leaf, grad, owned in leaf_grads.values():
        _accumulate_leaf(leaf, grad, owned)
    return None


def _accumulate_leaf(tensor, grad, owned: bool) -> None:
    """``_accumulate``, then the leaf's post-accumulate hooks."""
    _accumulate(tensor, grad, owned)
    if tensor.__dict__.get("_post_accumulate_hooks"):
        run_post_accumulate_hooks(tensor)


def run_hooks(hooks, grad, device):
    """Pass ``grad`` through tensor hooks (``Tensor.register_hook``), in order: each gets
    the gradient as a tensor and may return a replacement."""
    from .tensor import Tensor

    for hook in list(hooks.values()):
        given = Tensor._make(grad, device)
        result = hook(given)
        if result is not None:
            name = getattr(hook, "__name__", type(hook).__name__)
            grad = replacement_data(name, result, given)
    return grad


def _send(tensor, node, grad, owned: bool, pending, leaf_grads, ready) -> None:
    """Add ``grad`` to what ``tensor`` has received so far in this backward pass: to its
    ``node`` (its grad_fn when the op read it), or to the leaf itself.

    ``owned`` says that nothing outside the engine holds ``grad``, so later gradients may
    be added into it in place and a leaf may keep it as its ``.grad``.
    """
    if node is not None:
        if isinstance(grad, SparseGrad):
            grad, owned = grad.to_dense(), True
        entry = pending.get(node)
        if entry is None:
            pending[node] = [grad, owned]
            heapq.heappush(ready, (-node.sequence, node))
        else:
            _add_into(entry, grad)
    elif tensor._requires_grad:
        entry = leaf_grads.get(id(tensor))
        if entry is None:
            leaf_grads[id(tensor)] = [tensor, grad, owned]
        else:
            _add_into(entry, grad)


def _add_into(entry: list, grad) -> None:
    """``entry[-2] += grad`` for an entry ``[..., gradient, owned]``: in place when owned."""
    total, owned = entry[-2], entry[-1]
    if owned and not isinstance(total, SparseGrad) and not isinstance(grad, SparseGrad):
        total += grad
    else:
        entry[-2] = _add(total, grad)
        entry[-1] = True


def _add(a, b):
    """Sum of two gradients, dense or row-sparse (a new object: neither input changes)."""
    if isinstance(a, SparseGrad) and isinstance(b, SparseGrad):
        return a.concat(b)
    if isinstance(a, SparseGrad):
        a, b = b, a
    if isinstance(b, SparseGrad):
        out = a.copy()
        b.add_to(out)
        return out
    if a.ndim == 0:  # NumPy's 0-d a + b is a scalar, which a later += could not update
        out = a.copy()
        out += b
        return out
    return a + b


def _checked(node, index, tensor, grad):
    """``grad`` as an array of ``tensor``'s shape and dtype, or torch's shape error."""
    data = tensor.data
    if grad.shape != data.shape:
        raise RuntimeError(
            BAD_GRAD_SHAPE.format(node.name(), index, list(grad.shape), list(data.shape))
        )
    if type(grad) is not type(data):  # a NumPy scalar from a reduction, or sparse
        if isinstance(grad, SparseGrad):
            return grad
        grad = node.backend.ensure_array(grad)
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    return grad


def _accumulate(tensor, grad, owned: bool) -> None:
    """``tensor.grad += grad``, in place when a dense grad already exists.

    A first dense gradient is kept as it is when the engine ``owned`` it, else copied (it
    may be a view of, or the same array as, a gradient that went elsewhere).
    """
    from .tensor import Tensor

    current = tensor._grad
    if current is None:
        if isinstance(grad, SparseGrad):
            tensor._grad = grad
        else:
            tensor._grad = Tensor._make(grad if owned else grad.copy(), tensor._device)
    elif isinstance(current, SparseGrad):
        tensor._grad = (
            current.concat(grad)
            if isinstance(grad, SparseGrad)
            else Tensor._make(_add(grad, current), tensor._device)
        )
    elif isinstance(grad, SparseGrad):
        grad.add_to(current.data)
    else:
        current.data += grad


NO_CREATE_GRAPH = (
    "create_graph=True is not supported: backward computes on arrays and records no graph, "
    "so higher-order gradients are out of scope. Use create_graph=False."
)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or only
    of ``inputs`` when given)."""
    if create_graph:
        raise NotImplementedError(NO_CREATE_GRAPH)
    if grad_variables is not None:
        warnings.warn(
            "`grad_variables` is deprecated. Use `grad_tensors` instead.",
            FutureWarning,
            stacklevel=2,
        )
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    tensors, grads = _seed(tensors, grad_tensors)
    with _final_callbacks():
        if inputs is None:
            run_backward(tensors, grads, bool(retain_graph))
            return
        inputs = [inputs] if not isinstance(inputs, (list, tuple)) else list(inputs)
        found = run_backward(tensors, grads, bool(retain_graph), capture=inputs)
        for tensor, grad in zip(inputs, found):
            if grad is not None:
                _accumulate_leaf(tensor, grad, owned=False)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone.

    ``materialize_grads=True`` gives zeros, not None, for inputs the outputs do not use.
    ``create_graph`` and ``is_grads_batched`` are not supported (higher-order gradients
    are out of scope); ``only_inputs`` is ignored, as in torch.
    """
    from .tensor import Tensor

    if create_graph:
        raise NotImplementedError(NO_CREATE_GRAPH)
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported")
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads

    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    outputs, grads = _seed(outputs, grad_outputs)
    with _final_callbacks():
        found = run_backward(outputs, grads, bool(retain_graph), capture=inputs)
    result = []
    for index, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {index} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
            zeros = t.backend.xp.zeros(t.shape, dtype=t.data.dtype) if materialize_grads else None
            result.append(None if zeros is None else Tensor._make(zeros, t.device))
        elif isinstance(g, SparseGrad):
            result.append(g)
        else:
            result.append(Tensor._make(g, t.device))
    return tuple(result)


def _seed(tensors, grad_tensors):
    """The roots of a backward pass and their starting gradients (arrays)."""
    from .tensor import Tensor

    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    else:
        grad_tensors = list(grad_tensors)
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(NON_SCALAR)
            seeds.append(t.backend.xp.ones_like(t.data))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        if g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                f"output[{i}] has a shape of {t.shape}."
            )
        if g.device != t.device:
            from .function import DEVICE_MISMATCH

            raise RuntimeError(DEVICE_MISMATCH.format(t.device, g.device))
        seeds.append(g.data)
    if len(grad_tensors) != len(tensors):  # checked after the pairs, as torch's engine does
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    return tensors, seeds
