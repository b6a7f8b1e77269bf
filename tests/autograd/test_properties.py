"""Property tests: broadcasting, reductions and indexing over generated shapes.

Each property runs the op in float64 with a random upstream gradient and compares the
value and every input's gradient with torch when it is installed, else with NumPy
reference math (the gradient of ``sum(upstream * f)`` written out by hand).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.ops._util import unbroadcast

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TOL = 1e-10


def _close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=TOL, atol=TOL)


def _sum_to(grad, shape):
    """NumPy reference for un-broadcasting: sum ``grad`` down to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _ours(fn, arrays, upstream, device):
    tensors = [tinyoptim.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    (out * tinyoptim.tensor(upstream, device=device)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _torchs(fn, arrays, upstream):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    (out * torch.tensor(upstream)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


BINARY = {
    # op: (function on tensors, NumPy value, NumPy partials (a, b))
    "add": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0 + 0 * b, 1.0 + 0 * a)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0 + 0 * b, -1.0 + 0 * a)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b + 0 * a, a + 0 * b)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b + 0 * a, -a / b**2)),
}

values = st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 0.1)


@st.composite
def broadcast_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=values))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=values))
    upstream = draw(hnp.arrays(np.float64, shapes.result_shape, elements=values))
    return a, b, upstream


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(data=broadcast_pair())
def test_broadcast_binary_gradients(op, data, device):
    a, b, upstream = data
    fn, value, partials = BINARY[op]
    out, (grad_a, grad_b) = _ours(fn, [a, b], upstream, device)
    assert grad_a.shape == a.shape and grad_b.shape == b.shape
    if torch is not None:
        ref_out, (ref_a, ref_b) = _torchs(fn, [a, b], upstream)
    else:
        ref_out = value(a, b)
        da, db = partials(a, b)
        ref_a, ref_b = _sum_to(upstream * da, a.shape), _sum_to(upstream * db, b.shape)
    _close(out, ref_out)
    _close(grad_a, ref_a)
    _close(grad_b, ref_b)


@st.composite
def reduction_input(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3), unique=True))
    if x.ndim == 0:
        dims = None
    else:
        dims = draw(st.none() | st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True))
        if dims is not None and draw(st.booleans()):
            dims = [d - x.ndim for d in dims]  # negative axes too
    keepdim = draw(st.booleans())
    return x, dims, keepdim


def _np_reduce(name, x, axes, keepdim):
    """NumPy value and d(value)/dx (broadcastable against x) for each reduction."""
    kept = {
        "sum": x.sum(axis=axes, keepdims=True),
        "mean": x.mean(axis=axes, keepdims=True),
        "amax": x.max(axis=axes, keepdims=True),
        "var": x.var(axis=axes, keepdims=True, ddof=0),
        "logsumexp": np.log(np.exp(x).sum(axis=axes, keepdims=True)),
    }[name]
    n = x.size // kept.size
    partial = {
        "sum": np.ones_like(x),
        "mean": np.full_like(x, 1 / n),
        "amax": (x == kept).astype(np.float64),
        "var": 2 * (x - x.mean(axis=axes, keepdims=True)) / n,
        "logsumexp": np.exp(x - kept),
    }[name]
    if keepdim:
        value = kept
    else:
        value = kept.reshape(()) if axes is None else np.squeeze(kept, axis=axes)
    return value, kept, partial


REDUCTIONS = {
    "sum": lambda t, dim, keepdim: t.sum(dim=dim, keepdim=keepdim),
    "mean": lambda t, dim, keepdim: t.mean(dim=dim, keepdim=keepdim),
    "amax": lambda t, dim, keepdim: t.amax(dim=() if dim is None else dim, keepdim=keepdim),
    "var": lambda t, dim, keepdim: t.var(dim=dim, keepdim=keepdim, correction=0),
    "logsumexp": lambda t, dim, keepdim: t.logsumexp(
        dim=tuple(range(t.ndim)) if dim is None else dim, keepdim=keepdim
    ),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(data=reduction_input(), seed=st.integers(0, 2**16))
def test_reductions_over_any_axes(name, data, seed, device):
    x, dims, keepdim = data
    dim = None if dims is None else tuple(dims)
    fn = REDUCTIONS[name]
    if name == "var" and x.size == 1:
        return  # a single element has no spread to differentiate; torch returns nan here
    reference = fn(tinyoptim.tensor(x), dim, keepdim).shape
    upstream = np.random.default_rng(seed).standard_normal(reference)
    out, (grad,) = _ours(lambda t: fn(t, dim, keepdim), [x], upstream, device)
    if torch is not None:
        ref_out, (ref_grad,) = _torchs(lambda t: fn(t, dim, keepdim), [x], upstream)
    else:
        axes = None if dim is None else tuple(d % x.ndim for d in dim)
        ref_out, kept, partial = _np_reduce(name, x, axes, keepdim)
        ref_grad = upstream.reshape(kept.shape) * partial
    assert out.shape == np.shape(ref_out) and grad.shape == x.shape
    _close(out, ref_out)
    _close(grad, ref_grad)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_unbroadcast_sums_what_broadcasting_copied(shapes, seed):
    (shape,) = shapes.input_shapes
    grad = np.random.default_rng(seed).standard_normal(shapes.result_shape)
    got = unbroadcast(grad, shape)
    assert got.shape == tuple(shape)
    _close(got, _sum_to(grad, shape))


@st.composite
def gather(draw):
    rows = draw(st.integers(1, 4))
    x = draw(hnp.arrays(np.float64, (rows, 2), elements=values))
    index = draw(hnp.arrays(np.int64, draw(st.integers(1, 6)), elements=st.integers(0, rows - 1)))
    upstream = draw(hnp.arrays(np.float64, (index.size, 2), elements=values))
    return x, index, upstream


@SETTINGS
@given(data=gather())
def test_integer_indexing_sums_repeated_indices(data, device):
    x, index, upstream = data
    t = tinyoptim.tensor(x, device=device, requires_grad=True)
    out = t[tinyoptim.tensor(index, device=device)]
    (out * tinyoptim.tensor(upstream, device=device)).sum().backward()
    expected = np.zeros_like(x)
    np.add.at(expected, index, upstream)
    _close(out.detach().numpy(), x[index])
    _close(t.grad.numpy(), expected)


@SETTINGS
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=3), elements=values),
    seed=st.integers(0, 2**16),
)
def test_boolean_mask_gradient_is_the_mask(x, seed, device):
    mask = np.random.default_rng(seed).random(x.shape) < 0.5
    t = tinyoptim.tensor(x, device=device, requires_grad=True)
    t[tinyoptim.tensor(mask, device=device)].sum().backward()
    _close(t.grad.numpy(), mask.astype(np.float64))
