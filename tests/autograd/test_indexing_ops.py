"""Indexed writes (scatter, scatter_add, index_add/fill/copy), picking (masked_select,
nonzero, take_along_dim, select), matrix structure (tril, triu, diag, outer, trace) and
rearranging (repeat_interleave, movedim, unflatten, tensor_split, squeeze_ and friends).

Each case runs on tinyoptim and, when torch 2.13 is importable, on torch too: values,
gradients and node names must match. Gradients are also checked against finite
differences and values against NumPy, which holds without torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

RNG = np.random.default_rng(3)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((2, 4))
C = RNG.standard_normal((3, 2))


class Lib:
    """tinyoptim (on a device) or torch: makes the index and mask tensors of a case."""

    def __init__(self, module, device):
        self.module, self.device = module, device

    def long(self, values):
        return self.module.tensor(values, dtype=self.module.int64, device=self.device)

    def mask(self, values):
        return self.module.tensor(values, dtype=self.module.bool, device=self.device)


def _in_place(method, *args, **kwargs):
    def run(t):
        t = t * 1
        getattr(t, method)(*args, **kwargs)
        return t

    return run


CASES = {  # name: f(lib, a (3, 4), b (2, 4), c (3, 2)) -> one tensor
    "scatter": lambda L, a, b, c: a.scatter(0, L.long([[0, 1, 2, 0], [1, 2, 0, 2]]), b),
    "scatter_dim1": lambda L, a, b, c: a.scatter(1, L.long([[3, 0], [1, 2], [2, 0]]), c),
    "scatter_value": lambda L, a, b, c: a.scatter(0, L.long([[2, 0, 1, 2]]), 1.5),
    "scatter_": lambda L, a, b, c: _in_place("scatter_", 0, L.long([[0, 1, 2, 0], [1, 2, 0, 1]]),
                                             b)(a),
    "scatter_value_": lambda L, a, b, c: _in_place("scatter_", 1, L.long([[1], [3], [0]]), 2.0)(a),
    "scatter_add": lambda L, a, b, c: a.scatter_add(0, L.long([[0, 0, 2, 0], [0, 1, 2, 0]]), b),
    "scatter_add_": lambda L, a, b, c: _in_place("scatter_add_", 1,
                                                 L.long([[1, 1], [0, 3], [2, 2]]), c)(a),
    "index_add": lambda L, a, b, c: a.index_add(0, L.long([2, 2]), b, alpha=-1.5),
    "index_add_": lambda L, a, b, c: _in_place("index_add_", 1, L.long([3, 0]), c)(a),
    "index_fill": lambda L, a, b, c: a.index_fill(1, L.long([0, 2, 0]), -2.0),
    "index_fill_": lambda L, a, b, c: _in_place("index_fill_", 0, L.long([1]), 7.0)(a),
    "index_fill_tensor": lambda L, a, b, c: a.index_fill(1, L.long([1, 3, 1]), b[0, 0]),
    "index_copy": lambda L, a, b, c: a.index_copy(0, L.long([2, 0]), b),
    "index_copy_": lambda L, a, b, c: _in_place("index_copy_", 1, L.long([1, 2]), c)(a),
    "masked_select": lambda L, a, b, c: a.masked_select(L.mask([True, False, True, True])),
    "take_along_dim": lambda L, a, b, c: a.take_along_dim(L.long([[0], [3], [3]]), 1),
    "take_along_dim_bcast": lambda L, a, b, c: a.take_along_dim(L.long([[2, 0, 0, 1]]), 0),
    "take_along_dim_flat": lambda L, a, b, c: a.take_along_dim(L.long([11, 0, 11])),
    "select": lambda L, a, b, c: a.select(1, -1),
    "tril": lambda L, a, b, c: a.tril(),
    "triu": lambda L, a, b, c: a.triu(1),
    "tril_": lambda L, a, b, c: _in_place("tril_", -1)(a),
    "triu_": lambda L, a, b, c: _in_place("triu_")(a),
    "diag_2d": lambda L, a, b, c: a.diag(1),
    "diag_1d": lambda L, a, b, c: b[1].diag(-1),
    "outer": lambda L, a, b, c: a[0].outer(c[:, 1]),
    "trace": lambda L, a, b, c: a.trace(),
    "repeat_interleave": lambda L, a, b, c: a.repeat_interleave(2),
    "repeat_interleave_dim": lambda L, a, b, c: a.repeat_interleave(2, dim=1),
    "repeat_interleave_tensor": lambda L, a, b, c: a.repeat_interleave(L.long([1, 0, 3]), dim=0),
    "movedim": lambda L, a, b, c: a.reshape(3, 2, 2).movedim((0, 1), (2, 0)),
    "moveaxis": lambda L, a, b, c: a.moveaxis(0, -1),
    "unflatten": lambda L, a, b, c: a.unflatten(1, (2, -1)),
    "squeeze_": lambda L, a, b, c: _in_place("squeeze_")(a.reshape(3, 1, 4)),
    "squeeze_dim": lambda L, a, b, c: _in_place("squeeze_", 1)(a.reshape(3, 1, 4)),
    "unsqueeze_": lambda L, a, b, c: _in_place("unsqueeze_", 1)(a),
    "t_": lambda L, a, b, c: _in_place("t_")(a),
    "transpose_": lambda L, a, b, c: _in_place("transpose_", 0, 1)(a),
}  # fmt: skip


def _run(module, device, name):
    lib = Lib(module, device)
    leaves = [module.tensor(v, dtype=module.float64, device=device, requires_grad=True)
              for v in (A, B, C)]  # fmt: skip
    return leaves, CASES[name](lib, *leaves)


@pytest.mark.parametrize("name", list(CASES))
def test_against_torch_and_finite_differences(name, device):
    leaves, out = _run(tinyoptim, device, name)
    grads = tinyoptim.autograd.grad(out.sum(), leaves, allow_unused=True, retain_graph=True)
    used = [i for i, g in enumerate(grads) if g is not None]

    def fn(*xs):
        full = list(leaves)
        for i, x in zip(used, xs):
            full[i] = x
        return CASES[name](Lib(tinyoptim, device), *full)

    assert gradcheck(fn, [leaves[i] for i in used])
    if torch is None:
        return
    ref_leaves, ref = _run(torch, "cpu", name)
    np.testing.assert_allclose(out.tolist(), ref.tolist(), rtol=1e-12)
    assert out.shape == tuple(ref.shape)
    assert out.grad_fn.name() == type(ref.grad_fn).__name__
    weight = RNG.standard_normal(tuple(ref.shape))
    (out * tinyoptim.tensor(weight, device=device)).sum().backward()
    (ref * torch.tensor(weight)).sum().backward()
    for mine, theirs in zip(leaves, ref_leaves):
        if theirs.grad is None:
            assert mine.grad is None
        else:
            np.testing.assert_allclose(mine.grad.tolist(), theirs.grad.tolist(), rtol=1e-12)


def test_numpy_values(device):
    a = tinyoptim.tensor(A, device=device)
    idx = tinyoptim.tensor([[0, 1, 2, 0], [0, 0, 0, 0]], device=device)
    b = tinyoptim.tensor(B, device=device)
    ref = A.copy()
    np.add.at(ref, (idx.numpy(), np.arange(4)[None]), B)
    np.testing.assert_allclose(a.scatter_add(0, idx, b).numpy(), ref)
    np.testing.assert_allclose(a.tril(-1).numpy(), np.tril(A, -1))
    np.testing.assert_allclose(a.diag(-1).numpy(), np.diag(A, -1))
    np.testing.assert_allclose(a[0].diag(2).numpy(), np.diag(A[0], 2))
    assert a.trace().item() == pytest.approx(np.trace(A))
    assert a.select(0, 1).tolist() == A[1].tolist()
    np.testing.assert_allclose(a[0].outer(a[1]).numpy(), np.outer(A[0], A[1]))
    np.testing.assert_allclose(a.repeat_interleave(3, dim=0).numpy(), np.repeat(A, 3, axis=0))
    np.testing.assert_allclose(a.movedim(0, 1).numpy(), np.moveaxis(A, 0, 1))
    mask = a > 0
    np.testing.assert_allclose(a.masked_select(mask).numpy(), A[A > 0])


def test_nonzero(device):
    x = tinyoptim.tensor([[1, 0, 2], [0, 0, 3]], device=device)
    assert x.nonzero().tolist() == [[0, 0], [0, 2], [1, 2]]
    assert x.nonzero().dtype == tinyoptim.int64
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 0, 1] and cols.tolist() == [0, 2, 2]
    assert tinyoptim.tensor(3, device=device).nonzero().shape == (1, 0)
    assert tinyoptim.tensor(0, device=device).nonzero().shape == (0, 0)


def test_views_and_splits(device):
    a = tinyoptim.tensor(A, device=device)
    s = a.select(0, 2)
    s.mul_(0)
    assert a[2].tolist() == [0.0] * 4  # select is a view
    pieces = a.tensor_split(3, dim=1)
    assert [p.shape for p in pieces] == [(3, 2), (3, 1), (3, 1)]
    pieces = a.tensor_split([1, 3], dim=1)
    assert [p.shape for p in pieces] == [(3, 1), (3, 2), (3, 1)]
    x = tinyoptim.zeros(3, 1, device=device)
    version = x._version
    x.t_()
    assert x.shape == (1, 3) and x._version == version + 1
    x.squeeze_()
    assert x.shape == (3,)
    x.unsqueeze_(-1)
    assert x.shape == (3, 1)


def test_tensor_split_torch():
    if torch is None:
        pytest.skip("needs torch 2.13")
    a, t = tinyoptim.tensor(A), torch.tensor(A)
    for arg in (1, 2, 5, [1, 3], [3, 1], [0, 9], [-1]):
        mine, theirs = a.tensor_split(arg, dim=1), t.tensor_split(arg, dim=1)
        assert [p.shape for p in mine] == [tuple(p.shape) for p in theirs]


def test_duplicates_scatter_last_write_and_add_sum(device):
    x = tinyoptim.zeros(3, device=device)
    idx = tinyoptim.tensor([1, 1, 1], device=device)
    src = tinyoptim.tensor([1.0, 2.0, 3.0], device=device)
    assert x.scatter(0, idx, src).tolist() == [0, 3, 0]
    assert x.scatter_add(0, idx, src).tolist() == [0, 6, 0]
    assert x.index_add(0, idx, src, alpha=2).tolist() == [0, 12, 0]
    ints = tinyoptim.arange(5, device=device)
    assert ints.scatter(0, tinyoptim.tensor([1], device=device), 2.5).tolist() == [0, 2, 2, 3, 4]
    assert ints.index_fill(0, tinyoptim.tensor([-1], device=device), 9).tolist()[-1] == 9


ERRORS = [  # call on a (3, 4) float tensor a, the error type and message (from torch)
    (lambda a, L: a.scatter(0, L.long([[0]]).float(), 1.0), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda a, L: a.scatter(0, L.long([0, 1]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda a, L: a.scatter(0, L.long([[5]]), 1.0), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda a, L: a.scatter(0, L.long([[0, 1, 2, 0]]), a[:1, :2]), RuntimeError,
     "Expected index [1, 4] to be no larger than self [3, 4] apart from dimension 0 and to be "
     "no larger size than src [1, 2]"),
    (lambda a, L: a.scatter(0, L.long([[0]]), a.double()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda a, L: a.scatter_add(0, L.long([[0]]), 1.0), TypeError,
     "scatter_add(): argument 'src' (position 3) must be Tensor, not float"),
    (lambda a, L: a.index_add(0, L.long([0, 1]), a), RuntimeError,
     "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), for dim: 0"),
    (lambda a, L: a.index_add(0, L.long([0, 1]).float(), a[:2]), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda a, L: a.index_add(0, L.long([0, 7]), a[:2]), RuntimeError,
     "index 7 is out of bounds for dimension 0 with size 3"),
    (lambda a, L: a.index_add(0, L.long([[0, 1]]), a[:2]), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and "
     "size: [1, 2]"),
    (lambda a, L: a.index_add(0, L.long([0, 1]), a[:2].double()), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda a, L: a.index_fill(0, L.long([0, 7]), 1.0), IndexError,
     "index 7 is out of bounds for dimension 0 with size 3"),
    (lambda a, L: a.index_fill(0, L.long([0]).float(), 1.0), IndexError,
     "index_fill_(): Expected dtype int64 for index."),
    (lambda a, L: a.index_copy(0, L.long([0, 1]), a), IndexError,
     "index_copy_(): Number of indices (2) should be equal to source.size(dim) (3)"),
    (lambda a, L: a.index_copy(0, L.long([0, 9]), a[:2]), IndexError,
     "index_copy_(): index 9 is out of bounds for dimension 0 with size 3"),
    (lambda a, L: a.masked_select(a), RuntimeError, "masked_select: expected BoolTensor for mask"),
    (lambda a, L: a.take_along_dim(L.long([0]), 1), RuntimeError,
     "torch.take_along_dim(): input and indices should have the same number of dimensions, but "
     "got 2 dimensions for input, and 1 dimensions for indices"),
    (lambda a, L: a.select(0, 5), IndexError,
     "select(): index 5 out of range for tensor of size [3, 4] at dimension 0"),
    (lambda a, L: a[0, 0].select(0, 0), IndexError,
     "select() cannot be applied to a 0-dim tensor."),
    (lambda a, L: a[0].tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda a, L: a.reshape(1, 3, 4).diag(), RuntimeError,
     "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda a, L: a.outer(a[0]), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda a, L: a.reshape(2, 2, 3).trace(), RuntimeError,
     "trace: expected a matrix, but got tensor with dim 3"),
    (lambda a, L: a.repeat_interleave(L.long([1, 2])), RuntimeError,
     "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and "
     "input.size(0) = 12"),
    (lambda a, L: a.repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda a, L: a.movedim((0, 1), (0,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the "
     "same number of dims as destination ([0] dims)"),
    (lambda a, L: a.unflatten(1, (3, 2)), RuntimeError,
     "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input "
     "tensor"),
    (lambda a, L: a.tensor_split(0), RuntimeError,
     "number of sections must be larger than 0, got 0"),
    (lambda a, L: a.requires_grad_().scatter_(0, L.long([[0]]), 1.0), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    (lambda a, L: a.requires_grad_().t_(), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case, device):
    call, error, message = ERRORS[case]
    with pytest.raises(error) as caught:
        call(tinyoptim.tensor(A, dtype=tinyoptim.float32, device=device), Lib(tinyoptim, device))
    assert str(caught.value) == message
    if torch is not None:
        with pytest.raises(error) as caught:
            call(torch.tensor(A, dtype=torch.float32), Lib(torch, "cpu"))
        assert str(caught.value) == message
