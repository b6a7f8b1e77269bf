"""The backward engine: walk the graph in reverse topological order, once.

``backward(loss)`` seeds the gradient of ``loss``, orders the nodes that lead to it with
an explicit stack (so a 100,000-op chain needs no recursion), and calls each node's
``backward`` exactly once, after every consumer of its output has contributed. Gradients
reaching the same node are summed; gradients reaching a leaf are added **in place** to its
``.grad``, so a grad that is a view of a flat buffer stays one. Every edge's shape is
checked, naming the op. Saved arrays are freed after use unless ``retain_graph=True``.

A node's ``backward`` may call ``queue_callback(fn)``: ``fn()`` then runs once the whole
pass has finished and every leaf's ``.grad`` is written (torch's
``Variable._execution_engine.queue_callback``; DistributedDataParallel averages gradients
this way).
"""

from __future__ import annotations

import contextlib
import threading

from . import anomaly
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


def topo_order(roots) -> list:
    """Nodes reachable from ``roots``, each after all the nodes it depends on.

    A post-order walk with an explicit stack: no recursion limit.
    """
    order, seen, stack = [], set(), [(root, False) for root in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents())
    return order


def run_backward(tensors, grad_tensors, retain_graph: bool, capture=None):
    """Backpropagate from ``tensors`` seeded with ``grad_tensors``.

    Without ``capture`` the leaves' ``.grad`` accumulate. With ``capture`` (a list of
    tensors, for ``autograd.grad``) their gradients are returned instead, and no
    ``.grad`` changes.
    """
    node_grads: dict = {}  # node -> gradient of that node's output
    leaf_grads: dict = {}  # id(leaf) -> (leaf, gradient)
    captured_nodes = {id(t.grad_fn): t for t in capture or () if t.grad_fn is not None}
    captured: dict = {}

    for i, (tensor, grad) in enumerate(zip(tensors, grad_tensors)):
        if tensor.grad_fn is None and not tensor.requires_grad:
            raise RuntimeError(NO_GRAD_FN.format(i))
        _send(tensor, grad, node_grads, leaf_grads)

    roots = [t.grad_fn for t in tensors if t.grad_fn is not None]
    check_finite = anomaly.is_anomaly_enabled()
    for node in reversed(topo_order(roots)):
        grad = node_grads.pop(node, None)
        if grad is None:
            continue
        if id(node) in captured_nodes:
            captured[id(captured_nodes[id(node)])] = grad
        if node._retained is not None:
            owner = node._retained()
            if owner is not None:
                _accumulate(owner, grad)
        node.check_saved()
        grads = node.backward(node, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for i, (tensor, g) in enumerate(zip(node.inputs, grads)):
            if g is None or not node.needs_grad[i]:
                continue
            g = _checked(node, i, tensor, g)
            if check_finite and not isinstance(g, SparseGrad):
                anomaly.check_gradient(node, i, g, node.backend)
            _send(tensor, g, node_grads, leaf_grads)
        if not retain_graph:
            node.release()

    if capture is not None:
        for leaf, grad in leaf_grads.values():
            captured[id(leaf)] = grad
        return [captured.get(id(t)) for t in capture]
    for leaf, grad in leaf_grads.values():
        _accumulate(leaf, grad)
    return None


def _send(tensor, grad, node_grads, leaf_grads) -> None:
    """Add ``grad`` to what ``tensor`` has received so far in this backward pass."""
    if tensor.grad_fn is not None:
        if isinstance(grad, SparseGrad):
            grad = grad.to_dense()
        previous = node_grads.get(tensor.grad_fn)
        node_grads[tensor.grad_fn] = grad if previous is None else previous + grad
    elif tensor.requires_grad:
        previous = leaf_grads.get(id(tensor))
        leaf_grads[id(tensor)] = (tensor, grad if previous is None else _add(previous[1], grad))


def _add(a, b):
    """Sum of two gradients, dense or row-sparse."""
    if isinstance(a, SparseGrad) and isinstance(b, SparseGrad):
        return a.concat(b)
    if isinstance(a, SparseGrad):
        a, b = b, a
    if isinstance(b, SparseGrad):
        out = a.copy()
        b.add_to(out)
        return out
    return a + b


def _checked(node, index, tensor, grad):
    """``grad`` as an array of ``tensor``'s shape and dtype, or torch's shape error."""
    if tuple(grad.shape) != tensor.shape:
        raise RuntimeError(
            BAD_GRAD_SHAPE.format(node.name(), index, list(grad.shape), list(tensor.shape))
        )
    if isinstance(grad, SparseGrad):
        return grad
    grad = node.backend.ensure_array(grad)
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
    return grad


def _accumulate(tensor, grad) -> None:
    """``tensor.grad += grad``, in place when a dense grad already exists."""
    from .tensor import Tensor

    current = tensor.grad
    if current is None:
        if isinstance(grad, SparseGrad):
            tensor.grad = grad
        else:
            tensor.grad = Tensor._make(grad.copy(), tensor.device, False)
    elif isinstance(current, SparseGrad):
        tensor.grad = (
            current.concat(grad)
            if isinstance(grad, SparseGrad)
            else Tensor._make(_add(grad, current), tensor.device, False)
        )
    elif isinstance(grad, SparseGrad):
        grad.add_to(current.data)
    else:
        current.data += grad


def backward(tensors, grad_tensors=None, retain_graph=None, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    tensors, grads = _seed(tensors, grad_tensors)
    with _final_callbacks():
        if inputs is None:
            run_backward(tensors, grads, bool(retain_graph))
            return
        inputs = [inputs] if not isinstance(inputs, (list, tuple)) else list(inputs)
        found = run_backward(tensors, grads, bool(retain_graph), capture=inputs)
        for tensor, grad in zip(inputs, found):
            if grad is not None:
                _accumulate(tensor, grad)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, allow_unused: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs``, leaving ``.grad`` alone."""
    from .tensor import Tensor

    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    outputs, grads = _seed(outputs, grad_outputs)
    with _final_callbacks():
        found = run_backward(outputs, grads, bool(retain_graph), capture=inputs)
    result = []
    for t, g in zip(inputs, found):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
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
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(NON_SCALAR)
            seeds.append(t.backend.xp.ones_like(t.data))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        if g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                f"output[{i}] has a shape of {t.shape}."
            )
        if g.device != t.device:
            from .function import DEVICE_MISMATCH

            raise RuntimeError(DEVICE_MISMATCH.format(t.device, g.device))
        seeds.append(g.data)
    return tensors, seeds
