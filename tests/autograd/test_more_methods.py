"""The wider Tensor method surface torch code leans on: rounding, logs, trigonometry,
blends, masked_fill, pieces (chunk, split, unbind), gather, repeat, norms, new_* factories.

Values are checked against NumPy, gradients against finite differences, and both against
torch itself when torch 2.13 is importable.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

RNG = np.random.default_rng(0)
A = RNG.uniform(-0.9, 0.9, (3, 4))  # inside the domains of asin, acos, log1p
P = RNG.uniform(0.1, 2.0, (3, 4))  # positive
B = RNG.standard_normal((3, 4))

UNARY = [  # method, input, NumPy's value
    ("sign", A, np.sign), ("floor", 3 * A, np.floor), ("ceil", 3 * A, np.ceil),
    ("round", 3 * A, np.rint), ("trunc", 3 * A, np.trunc),
    ("frac", 3 * A, lambda a: a - np.trunc(a)), ("log1p", A, np.log1p), ("expm1", A, np.expm1),
    ("exp2", A, np.exp2), ("log2", P, np.log2), ("log10", P, np.log10),
    ("rsqrt", P, lambda a: 1 / np.sqrt(a)), ("reciprocal", P, np.reciprocal),
    ("square", A, np.square), ("tan", A, np.tan), ("sinh", A, np.sinh), ("cosh", A, np.cosh),
    ("asin", A, np.arcsin), ("acos", A, np.arccos), ("atan", A, np.arctan),
    ("erf", A, lambda a: np.vectorize(math.erf)(a)),
]  # fmt: skip


def f64(values, device, grad=True):
    return tinyoptim.tensor(values, dtype=tinyoptim.float64, device=device, requires_grad=grad)


@pytest.mark.parametrize("name, values, reference", UNARY, ids=[u[0] for u in UNARY])
def test_unary_methods(name, values, reference, device):
    x = f64(values, device)
    np.testing.assert_allclose(getattr(x, name)().tolist(), reference(values), rtol=1e-12)
    assert gradcheck(lambda t: getattr(t, name)(), (x,))


BINARY = [  # name, function of tinyoptim or torch tensors a, b, c
    ("lerp", lambda a, b, c: a.lerp(b, 0.3)),
    ("addcmul", lambda a, b, c: a.addcmul(b, c, value=0.5)),
    ("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2)),
    ("masked_fill", lambda a, b, c: a.masked_fill(b > 0, 2.5)),
    ("clamp_min", lambda a, b, c: a.clamp_min(0.1) + b.clamp_max(0.2)),
    ("gather", lambda a, b, c: a.gather(1, _index(a, [[0, 0], [3, 1], [2, 2]]))),
    ("index_select", lambda a, b, c: a.index_select(1, _index(a, [3, 0, 3]))),
    ("repeat", lambda a, b, c: a.repeat(2, 1, 3)),
    ("mm", lambda a, b, c: a.mm(b.t())),
    ("bmm", lambda a, b, c: a.reshape(1, 3, 4).bmm(c.reshape(1, 4, 3))),
    ("dot", lambda a, b, c: a[0].dot(b[1])),
    ("mT", lambda a, b, c: a.mT * 1),
    ("norm", lambda a, b, c: a.norm() + b.norm(1, dim=1).sum() + c.norm(3, dim=0).sum()),
    ("norm_inf", lambda a, b, c: a.norm(float("inf"))),
    ("chunk", lambda a, b, c: sum((p * (i + 1)).sum() for i, p in enumerate(a.chunk(3, 1)))),
    ("split", lambda a, b, c: sum((p * (i + 1)).sum() for i, p in enumerate(a.split([1, 2], 0)))),
    ("unbind", lambda a, b, c: sum((p * (i + 1)).sum() for i, p in enumerate(a.unbind(1)))),
    ("narrow", lambda a, b, c: a.narrow(1, 1, 2) * 2),
    ("lerp_", lambda a, b, c: (a * 1).lerp_(b, 0.7)),
    ("addcmul_", lambda a, b, c: (a * 1).addcmul_(b, c, value=0.5)),
    ("masked_fill_", lambda a, b, c: (a * 1).masked_fill_(b < 0, -1.0)),
]


def _index(like, values):
    module = torch if torch is not None and isinstance(like, torch.Tensor) else tinyoptim
    return module.tensor(values, device=like.device)


@pytest.mark.parametrize("name, fn", BINARY, ids=[b[0] for b in BINARY])
def test_composite_methods_have_finite_difference_gradients(name, fn, device):
    inputs = (f64(A, device), f64(B, device), f64(P, device))
    assert gradcheck(lambda *t: fn(*t), inputs)


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
@pytest.mark.parametrize("name, fn", BINARY, ids=[b[0] for b in BINARY])
def test_composite_methods_match_torch(name, fn):
    results = []
    for lib in (torch, tinyoptim):
        inputs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (A, B, P)]
        out = fn(*inputs)
        (out * lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape)).sum().backward()
        grads = [t.grad.tolist() if t.grad is not None else None for t in inputs]
        results.append((out.tolist(), grads, out.grad_fn.name()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    assert results[1][2] == results[0][2]  # the node's name
    for ours, theirs in zip(results[1][1], results[0][1]):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_pieces_are_views_named_as_torch(device):
    x = f64(A, device) * 1
    first, second = x.split(2, 1)
    assert first._base is x and first.grad_fn.name() == "SplitBackward0"
    assert [p.shape for p in x.chunk(3, 1)] == [(3, 2), (3, 2)]  # torch may give fewer
    assert x.unbind(0)[2].grad_fn.name() == "UnbindBackward0"
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum"):
        x.split([1, 1], 0)


def test_boolean_tests_and_new_factories(device):
    x = tinyoptim.tensor([[1.0, -math.inf], [math.nan, 0.0]], device=device)
    assert x.isnan().tolist() == [[False, False], [True, False]]
    assert x.isinf().tolist() == [[False, True], [False, False]]
    assert x.isfinite().any(dim=1).tolist() == [True, True]
    assert not x.isfinite().all().item()
    made = x.new_zeros(2, 3)
    assert made.shape == (2, 3) and made.dtype == x.dtype and made.device == x.device
    assert x.new_full((2,), 7.0).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == tinyoptim.float32
    assert x.type_as(tinyoptim.zeros(1, dtype=tinyoptim.float64)).dtype == tinyoptim.float64
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
        x.masked_fill(x, 0.0)


def test_random_fills_draw_from_the_seeded_generator(device):
    tinyoptim.manual_seed(3)
    u = tinyoptim.empty(1000, device=device).uniform_(-2.0, 2.0)
    n = tinyoptim.empty(1000, device=device).normal_(1.0, 0.5)
    assert -2.0 <= u.min().item() and u.max().item() <= 2.0
    assert abs(n.mean().item() - 1.0) < 0.1 and abs(n.std().item() - 0.5) < 0.1
    tinyoptim.manual_seed(3)
    assert tinyoptim.empty(1000, device=device).uniform_(-2.0, 2.0).tolist() == u.tolist()
    w = tinyoptim.zeros(3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.uniform_()


def test_values_at_the_edges_as_torch(device):
    def t(values, **kw):
        return tinyoptim.tensor(values, device=device, **kw)

    big = t([1e30], dtype=tinyoptim.float64)
    assert big.lerp(t([1.0], dtype=tinyoptim.float64), 1.0).tolist() == [1.0]  # from `end`
    m = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert m.gather(1, t([[0]])).tolist() == [[1.0]]  # the index's shape, not broadcast
    assert m.gather(0, t([[1, 0]])).tolist() == [[4.0, 2.0]]
    v = t([3.0, -4.0, 0.0])
    assert v.norm(float("-inf")).item() == 0.0 and v.norm(0).item() == 2.0
    x = t([0.0, 2.0], dtype=tinyoptim.float64, requires_grad=True)
    x.norm(0.5).backward()
    assert x.grad.tolist() == [0.0, 1.0]
    assert t([math.nan, -2.0]).sign().tolist() == [0.0, -1.0]
    assert [len(tinyoptim.zeros(0, device=device).chunk(3)), len(t([]).split(2))] == [3, 1]


def test_in_place_clamp_gives_tensor_bounds_their_gradient(device):
    x = tinyoptim.tensor([1.0, 5.0], requires_grad=True, device=device)
    low = tinyoptim.tensor([3.0, 3.0], requires_grad=True, device=device)
    (x * 1).clamp_(min=low).sum().backward()
    assert low.grad.tolist() == [1.0, 0.0] and x.grad.tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda m: m.gather(0, m.new_tensor([-1]).long()), RuntimeError,
         "index -1 is out of bounds for dimension 0 with size 3"),
        (lambda m: m.index_select(0, m.new_tensor([-1]).long()), IndexError,
         "index out of range in self"),
        (lambda m: m.index_select(0, m > 0), RuntimeError,
         r"index_select\(\): Expected dtype int32 or int64 for index"),
        (lambda m: m.reshape(1, 1, 3).bmm(m.new_ones(2, 3, 1)), RuntimeError,
         r"Expected size for first two dimensions of batch2 tensor to be: \[1, 3\] but got: "
         r"\[2, 3\]\."),
        (lambda m: m.masked_fill(m > 0, m[:1]), RuntimeError,
         "masked_fill_ only supports a 0-dimensional value tensor"),
        (lambda m: m.lerp(m.double(), 0.5), RuntimeError,
         "expected dtype float for `end` but got dtype double"),
        (lambda m: m.narrow(0, 5, 0), IndexError,
         r"start out of range \(expected to be in range of \[-3, 3\], but got 5\)"),
        (lambda m: m.split(-1), RuntimeError, "split expects split_size be non-negative"),
        (lambda m: m.reshape(1, 3).split([1, 1], -1), RuntimeError,
         r"input tensor's size at dimension -1\), but got split_sizes=\[1, 1\]"),
        (lambda m: m[0].chunk(2), RuntimeError, "chunk expects at least a 1-dimensional tensor"),
        (lambda m: m[0].size(0), IndexError, "Dimension specified as 0 but tensor has no dim"),
        (lambda m: m.addcdiv(m.long(), m.long()), RuntimeError,
         "Integer division with addcdiv is no longer supported"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_torchs_errors(call, kind, message, device):
    with pytest.raises(kind, match=message):
        call(tinyoptim.tensor([1.0, 2.0, 3.0], device=device))


def test_a_hook_may_not_change_the_gradients_size_or_type(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], dtype=tinyoptim.float64, requires_grad=True)
    x.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        (x * 2).sum().backward()
    y = tinyoptim.tensor([1.0], dtype=tinyoptim.float64, requires_grad=True)
    y.register_hook(lambda g: g.float())
    with pytest.raises(RuntimeError, match=r"was tinyoptim.DoubleTensor got tinyoptim.Float"):
        (y * 2).sum().backward()


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda m: m @ m.double(), RuntimeError,
         "expected m1 and m2 to have the same dtype, but got: float != double"),
        (lambda m: m[0].dot(m[0].double()), RuntimeError,
         "dot : expected both vectors to have same dtype, but found Float and Double"),
        (lambda m: m[None].bmm(m[None].double()), RuntimeError,
         "expected scalar type Float but found Double"),
        (lambda m: m.uniform_(3, 1), RuntimeError, r"uniform_ expects to return a \[from, to\)"),
        (lambda m: m.normal_(0, -1), RuntimeError, "normal expects std >= 0.0, but found std -1"),
        (lambda m: m.long().uniform_(), NotImplementedError, "check_uniform_bounds"),
        (lambda m: m.repeat(-1, 1), RuntimeError,
         r"Trying to create tensor with negative dimension -2: \[-2, 2\]"),
        (lambda m: m.bool().logical_and(1), TypeError,
         r"logical_and\(\): argument 'other' \(position 1\) must be Tensor, not int"),
    ],
)  # fmt: skip
def test_more_bad_arguments_raise_torchs_errors(call, kind, message, device):
    with pytest.raises(kind, match=message):
        call(tinyoptim.ones(2, 2, device=device))


def test_mT_of_a_0d_tensor_is_itself_with_torchs_warning(device):
    x = tinyoptim.tensor(1.0, device=device)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert x.mT is x
