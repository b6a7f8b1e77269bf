"""The Tensor surface: factories, dtypes, host interop, printing and in-place ops."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch

DTYPES = ["float32", "float64", "float16", "int64", "int32", "bool"]


# -- factories ------------------------------------------------------------------------------


def test_tensor_infers_torch_dtypes(device):
    assert tinyoptim.tensor([1.0, 2.0], device=device).dtype == tinyoptim.float32
    assert tinyoptim.tensor([1, 2], device=device).dtype == tinyoptim.int64
    assert tinyoptim.tensor([True], device=device).dtype == tinyoptim.bool
    assert tinyoptim.tensor(np.zeros(2, np.float64), device=device).dtype == tinyoptim.float64
    assert tinyoptim.tensor(np.zeros(2, np.int32), device=device).dtype == tinyoptim.int32
    assert tinyoptim.tensor(2.5, device=device).shape == ()
    assert tinyoptim.tensor(np.float64(1.5), device=device).dtype == tinyoptim.float64
    assert tinyoptim.tensor(np.float16(1.5), device=device).dtype == tinyoptim.float16
    assert tinyoptim.tensor(np.int32(3), device=device).dtype == tinyoptim.int32  # as arrays
    tinyoptim.set_default_dtype(tinyoptim.float64)
    assert tinyoptim.tensor([1.0], device=device).dtype == tinyoptim.float64
    assert tinyoptim.zeros(2, device=device).dtype == tinyoptim.float64
    assert tinyoptim.get_default_dtype() == tinyoptim.float64


def test_dtypes_are_the_modules_own():
    """As with torch.dtype, there are no others to make: equality is identity."""
    with pytest.raises(TypeError, match="cannot create 'tinyoptim.dtype' instances"):
        tinyoptim.dtype("float32")
    assert isinstance(tinyoptim.float32, tinyoptim.dtype)


def test_tensor_always_copies(device):
    host = np.array([1.0, 2.0])
    t = tinyoptim.tensor(host, device=device)
    host[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):  # as torch
        u = tinyoptim.tensor(t)
    u.add_(1)
    assert t.tolist() == [1.0, 2.0] and u.device == t.device
    v = tinyoptim.tensor(t.data, device=device)  # a backend array copies too
    v.zero_()
    assert t.tolist() == [1.0, 2.0]


def test_tensor_class_constructor(device):
    t = tinyoptim.Tensor([[1.0, 2.0]], device=device, requires_grad=True)
    assert isinstance(t, tinyoptim.Tensor) and t.shape == (1, 2) and t.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_round_trips(dtype, device):
    values = [[1, 0], [0, 1]]
    t = tinyoptim.tensor(values, dtype=dtype, device=device)
    assert t.dtype == getattr(tinyoptim, dtype) and t.dtype.name == dtype
    assert t.numpy().dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t.numpy(), np.array(values, dtype=dtype))
    assert (t == t).dtype == tinyoptim.bool
    assert t.reshape(4)[1:3].tolist() == np.array(values, dtype=dtype).reshape(4)[1:3].tolist()
    if dtype != "bool":
        assert (t + t).dtype == t.dtype
        assert t.sum(dim=0).numpy().tolist() == [1, 1]
    assert getattr(tinyoptim, dtype).is_floating_point == dtype.startswith("float")
    assert t.to(tinyoptim.float64).dtype == tinyoptim.float64


def test_shaped_factories(device):
    for make in (tinyoptim.zeros, tinyoptim.ones, tinyoptim.empty, tinyoptim.rand, tinyoptim.randn):
        a = make(2, 3, device=device)
        b = make((2, 3), dtype=tinyoptim.float64, device=device, requires_grad=True)
        assert a.shape == b.shape == (2, 3)
        assert a.dtype == tinyoptim.float32 and b.dtype == tinyoptim.float64
        assert b.requires_grad and b.is_leaf and a.device == tinyoptim.device(device)
    assert tinyoptim.zeros(2, device=device).tolist() == [0.0, 0.0]
    assert tinyoptim.ones(2, dtype="int32", device=device).tolist() == [1, 1]
    assert tinyoptim.full((2,), 7, device=device).dtype == tinyoptim.int64
    assert tinyoptim.full((2,), 0.5, device=device).tolist() == [0.5, 0.5]
    assert tinyoptim.full(3, True, device=device).dtype == tinyoptim.bool
    r = tinyoptim.rand(1000, device=device).numpy()
    assert 0 <= r.min() and r.max() < 1


def test_like_factories(device):
    x = tinyoptim.tensor([[1, 2, 3]], dtype="float64", device=device)
    for make in (tinyoptim.zeros_like, tinyoptim.ones_like, tinyoptim.empty_like):
        y = make(x)
        assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert tinyoptim.full_like(x, 4).tolist() == [[4.0, 4.0, 4.0]]
    assert tinyoptim.zeros_like(x, dtype="int32").dtype == tinyoptim.int32
    assert tinyoptim.ones_like(x, requires_grad=True).requires_grad


def test_ranges_and_eye(device):
    assert tinyoptim.arange(4, device=device).tolist() == [0, 1, 2, 3]
    assert tinyoptim.arange(4, device=device).dtype == tinyoptim.int64
    assert tinyoptim.arange(1, 2, 0.25, device=device).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert tinyoptim.arange(0.0, 3, device=device).dtype == tinyoptim.float32
    assert tinyoptim.arange(5, 0, -2, device=device).tolist() == [5, 3, 1]
    assert tinyoptim.arange(5000, device=device).shape == (5000,)
    assert tinyoptim.linspace(0, 1, 5, device=device).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tinyoptim.eye(2, 3, device=device).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert tinyoptim.eye(2, dtype="int64", device=device).dtype == tinyoptim.int64


def test_randint(device):
    draws = tinyoptim.randint(2, 5, (200,), device=device)
    assert draws.dtype == tinyoptim.int64 and draws.shape == (200,)
    values = draws.numpy()
    assert values.min() >= 2 and values.max() <= 4
    assert tinyoptim.randint(3, (2, 2), device=device).shape == (2, 2)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        tinyoptim.randint(3, 3, (2,))


def test_factory_errors():
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension -1"):
        tinyoptim.zeros(2, -1)
    with pytest.raises(TypeError, match="only floating-point types"):
        tinyoptim.set_default_dtype(tinyoptim.int64)
    with pytest.raises(TypeError, match="unknown dtype"):
        tinyoptim.zeros(2, dtype="complex64")


# -- float32 stays float32 ------------------------------------------------------------------

UNARY = {
    "neg": lambda x: -x,
    "abs": lambda x: x.abs(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "clamp": lambda x: x.clamp(0.2, 0.9),
    "add": lambda x: x + 0.5,
    "radd": lambda x: 2 + x,
    "sub": lambda x: x - 1e-3,
    "rsub": lambda x: 1.0 - x,
    "mul": lambda x: x * 0.1,
    "rmul": lambda x: 3 * x,
    "div": lambda x: x / 3.0,
    "rdiv": lambda x: 1 / x,
    "pow": lambda x: x**2.5,
    "pow_int": lambda x: x**2,
    "rpow": lambda x: 2.0**x,
    "maximum": lambda x: x.maximum(x * 0.5),
    "where": lambda x: tinyoptim.where(x > 0.5, x, 0.25),
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(dim=0),
    "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(dim=1).values,
    "var": lambda x: x.var(),
    "std": lambda x: x.std(dim=1),
    "logsumexp": lambda x: x.logsumexp(dim=0),
    "softmax": lambda x: x.softmax(dim=1),
    "log_softmax": lambda x: x.log_softmax(dim=0),
    "matmul": lambda x: x @ x.T,
    "index": lambda x: x[[0, 1, 0], 1:],
    "mask": lambda x: x[x > 0.5],
    "reshape": lambda x: x.reshape(-1).unsqueeze(0).expand(2, -1).transpose(0, 1),
    "cat": lambda x: tinyoptim.cat([x, x * 2]),
    "stack": lambda x: tinyoptim.stack([x, x], dim=1),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_low_precision_stays_low_precision(op, dtype, device):
    x = tinyoptim.tensor([[0.3, 0.7, 1.2], [0.9, 0.1, 0.6]], dtype=dtype, device=device)
    x.requires_grad_()
    out = UNARY[op](x)
    assert out.dtype == x.dtype
    (out * 1.5).sum().backward()
    assert x.grad.dtype == x.dtype


# -- attributes -----------------------------------------------------------------------------


def test_attributes(device):
    x = tinyoptim.zeros(2, 3, 4, device=device)
    assert x.shape == (2, 3, 4) and x.ndim == x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and len(x) == 2
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert x.T.shape == (4, 3, 2)  # deprecated beyond 2-d, as in torch
    assert x.is_leaf and not x.is_sparse
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    assert x.device == tinyoptim.device(device) and x.device == device
    assert x.grad is None and x.grad_fn is None


def test_grad_setter_checks(device):
    x = tinyoptim.zeros(2, device=device, requires_grad=True)
    x.grad = tinyoptim.ones(2, device=device)
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"gradient of size '\[3\]' to a tensor of size '\[2\]'"):
        x.grad = tinyoptim.ones(3, device=device)
    with pytest.raises(TypeError, match="Tensor or None but got grad of type list"):
        x.grad = [1.0, 1.0]
    other = "cpu" if device != "cpu" else "strict"
    with pytest.raises(RuntimeError, match="assigned grad has data located on a different device"):
        x.grad = tinyoptim.ones(2, device=other)
    with pytest.raises(RuntimeError) as info:  # torch's rule: the grad has the tensor's dtype
        x.grad = tinyoptim.ones(2, dtype=tinyoptim.float64, device=device)
    assert str(info.value).startswith(
        "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype "
        "'Float'. The gradient must match the tensor's grad_dtype"
    )
    x.grad = None
    assert x.grad is None


def test_comparisons_are_boolean_without_grad(device):
    x = tinyoptim.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, x.eq(x), x.gt(1.5)):
        assert result.dtype == tinyoptim.bool and not result.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert ((x > 1.5) & (x < 2.5)).tolist() == [False, True, False]
    assert (~(x > 1.5)).tolist() == [True, False, False]


# -- host interop ---------------------------------------------------------------------------


def test_explicit_crossings(device):
    x = tinyoptim.tensor([[1.5, -2.0]], device=device)
    host = x.numpy()
    assert isinstance(host, np.ndarray) and host.tolist() == [[1.5, -2.0]]
    assert x.tolist() == [[1.5, -2.0]]
    assert x[0, 1].item() == -2.0 and isinstance(x[0, 1].item(), float)
    assert tinyoptim.tensor(3, device=device).item() == 3
    cpu = x.cpu()
    assert cpu.device == "cpu" and cpu.tolist() == x.tolist()
    back = cpu.to(device)
    assert back.device == device and back.tolist() == x.tolist()
    assert float(x[0, 0]) == 1.5 and int(x[0, 0]) == 1 and bool(x[0, 0])


def test_to_is_differentiable_and_keeps_identity_when_nothing_changes(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    assert x.to(device) is x and x.to(tinyoptim.float32) is x
    y = x.to(tinyoptim.float64)
    assert y.dtype == tinyoptim.float64 and y.grad_fn.name() == "ToCopyBackward0"
    moved = x.to("cpu") if device != "cpu" else x.to("strict")
    (y.sum() * 2 + moved.sum().to(device)).backward()
    assert x.grad.dtype == tinyoptim.float32 and x.grad.tolist() == [3.0, 3.0]
    z = x.to(tinyoptim.zeros(1, dtype="float64", device="cpu"))
    assert z.device == "cpu" and z.dtype == tinyoptim.float64
    assert x.double().dtype == tinyoptim.float64 and x.half().dtype == tinyoptim.float16
    assert x.detach().long().dtype == tinyoptim.int64 and x.detach().int().dtype == tinyoptim.int32
    assert x.detach().bool().dtype == tinyoptim.bool and x.double().float().dtype == x.dtype


def test_from_numpy_shares_memory():
    host = np.array([1.0, 2.0, 3.0])
    t = tinyoptim.from_numpy(host)
    assert t.dtype == tinyoptim.float64 and t.device == "cpu"
    host[0] = 10.0
    t.data[1] = 20.0
    assert t.tolist() == [10.0, 20.0, 3.0] and host.tolist() == [10.0, 20.0, 3.0]
    assert np.shares_memory(t.numpy(), host)
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tinyoptim.from_numpy([1.0, 2.0])


def test_dlpack_with_numpy_is_zero_copy():
    host = np.arange(4.0)
    t = tinyoptim.from_dlpack(host)
    host[0] = -1.0
    assert t.tolist() == [-1.0, 1.0, 2.0, 3.0]
    back = np.from_dlpack(t)
    back[1] = -2.0
    assert t.tolist()[1] == -2.0 and host[1] == -2.0
    assert tinyoptim.from_dlpack(t).data is t.data


@pytest.mark.skipif(torch is None, reason="needs torch 2.13")
def test_dlpack_with_torch_is_zero_copy():
    ours = tinyoptim.tensor([1.0, 2.0, 3.0], device="cpu")
    theirs = torch.from_dlpack(ours)
    theirs[0] = 5.0
    assert ours.tolist() == [5.0, 2.0, 3.0] and theirs.dtype == torch.float32
    source = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    t = tinyoptim.from_dlpack(source)
    source[0, 1] = 7.0
    assert t.tolist() == [[1.0, 7.0]] and t.dtype == tinyoptim.float64 and t.device == "cpu"


def test_repr_matches_torch_layout(device):
    cases = {
        "tensor([ 1.5000, -2.0000])": tinyoptim.tensor([1.5, -2.0], device="cpu"),
        "tensor([1, 2])": tinyoptim.tensor([1, 2], device="cpu"),
        "tensor([1., 2.], dtype=tinyoptim.float64)": tinyoptim.tensor(
            [1.0, 2.0], dtype="float64", device="cpu"
        ),
        "tensor([1., 2.], dtype=tinyoptim.float16)": tinyoptim.tensor(
            [1.0, 2.0], dtype="float16", device="cpu"
        ),
        "tensor(3., requires_grad=True)": tinyoptim.tensor(3.0, requires_grad=True, device="cpu"),
        "tensor([2.], grad_fn=<MulBackward0>)": tinyoptim.tensor(
            [1.0], requires_grad=True, device="cpu"
        )
        * 2,
        "tensor([[1.0000e-05, 1.0000e+03]])": tinyoptim.tensor([[1e-5, 1000.0]], device="cpu"),
        "tensor([])": tinyoptim.zeros(0, device="cpu"),
        "tensor([], size=(2, 0), dtype=tinyoptim.float64)": tinyoptim.zeros(
            2, 0, dtype="float64", device="cpu"
        ),
        "tensor([], dtype=tinyoptim.int64)": tinyoptim.zeros(0, dtype="int64", device="cpu"),
    }
    for expected, t in cases.items():
        assert repr(t) == expected
        if torch is not None:  # the same text as torch's, up to the module name
            assert expected.replace("tinyoptim", "torch") == repr(_as_torch(t))
    t = tinyoptim.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64", device=device)
    suffix = "" if device == "cpu" else f"device='{device}', "
    assert repr(t) == f"tensor([[1., 2.],\n        [3., 4.]], {suffix}dtype=tinyoptim.float64)"
    assert str(t) == repr(t)


def _as_torch(t):
    out = torch.from_numpy(t.detach().numpy().copy())
    if t.grad_fn is not None:
        return torch.from_numpy(t.detach().numpy().copy()).requires_grad_() * 1
    return out.requires_grad_(t.requires_grad)


# -- in-place ops ---------------------------------------------------------------------------


def test_in_place_ops_return_self_and_bump_the_version(device):
    x = tinyoptim.tensor([1.0, 2.0, 4.0], device=device)
    steps = [
        (lambda: x.add_(1), [2.0, 3.0, 5.0]),
        (lambda: x.add_(tinyoptim.tensor([1.0, 1.0, 1.0], device=device), alpha=2), [4, 5, 7]),
        (lambda: x.sub_(1, alpha=0.5), [3.5, 4.5, 6.5]),
        (lambda: x.mul_(2), [7.0, 9.0, 13.0]),
        (lambda: x.div_(tinyoptim.tensor(2.0, device=device)), [3.5, 4.5, 6.5]),
        (lambda: x.clamp_(4.0, 6.0), [4.0, 4.5, 6.0]),
        (lambda: x.clamp_(max=4.25), [4.0, 4.25, 4.25]),
        (lambda: x.fill_(0.5), [0.5, 0.5, 0.5]),
        (lambda: x.copy_(tinyoptim.tensor([1, 2, 3], device=device)), [1.0, 2.0, 3.0]),
        (lambda: x.copy_(tinyoptim.tensor(9.0, device="cpu")), [9.0, 9.0, 9.0]),
        (lambda: x.zero_(), [0.0, 0.0, 0.0]),
    ]
    data = x.data
    for version, (step, expected) in enumerate(steps, start=1):
        assert step() is x
        assert x.tolist() == expected and x._version == version
    assert x.data is data and x.dtype == tinyoptim.float32


def test_augmented_assignment_is_in_place(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device)
    alias = x
    x += 1
    x -= 0.5
    x *= 4
    x /= 2
    assert x is alias and x.tolist() == [3.0, 5.0] and x._version == 4


def test_setitem(device):
    x = tinyoptim.zeros(3, 4, device=device)
    x[0] = 1.0
    x[1, 1:3] = tinyoptim.tensor([2.0, 3.0], device=device)
    x[tinyoptim.tensor([2, 2], device=device), tinyoptim.tensor([0, 3], device=device)] = 5.0
    x[x > 4] += 1
    x[:, 0] = x[:, 0] * 10
    assert x.tolist() == [[10, 1, 1, 1], [0, 2, 3, 0], [60, 0, 0, 6]]


def test_in_place_in_a_graph_takes_the_new_grad_fn(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 1
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0" and y._version == 1
    y[0] = 0.0
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0]


def test_fill_in_a_graph_stays_in_it_with_a_zero_gradient(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    y.fill_(1.0)
    assert y.requires_grad and y.grad_fn is not None and y.tolist() == [1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # as torch's FillBackward gives


def test_clone_is_a_differentiable_copy(device):
    x = tinyoptim.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and y.grad_fn.name() == "CloneBackward0"
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_integer_tensor_with_float_scalar_uses_default_dtype():
    ints = tinyoptim.tensor([1, 2])
    assert (ints * 1.5).dtype == tinyoptim.float32
    assert (2.5 - ints).dtype == tinyoptim.float32
    assert (ints / ints).dtype == tinyoptim.float32
    assert (ints * 2).dtype == tinyoptim.int64
    assert (ints / 2).tolist() == [0.5, 1.0]


@pytest.mark.parametrize(
    "key, shape",
    [
        ((0, slice(None), [1, 2]), (3, 2)),  # NumPy would give (2, 3)
        (([1, 0], slice(None), 0), (2, 3)),
        ((1, None, slice(None), [3, 0]), (1, 3, 2)),
        ((Ellipsis, 0, [1]), (2, 1)),
    ],
)
def test_integers_index_before_arrays_as_in_torch(key, shape, device):
    values = np.arange(24.0).reshape(2, 3, 4)
    a = tinyoptim.tensor(values, requires_grad=True, device=device)
    key = tuple(tinyoptim.tensor(k, device=device) if isinstance(k, list) else k for k in key)
    y = a[key]
    assert y.shape == shape
    y.sum().backward()
    assert a.grad.sum().item() == np.prod(shape)
    b = tinyoptim.tensor(values, device=device)
    b[key] = tinyoptim.full(shape, -1.0, device=device)
    assert (b == -1).sum().item() == np.prod(shape)


@pytest.mark.parametrize(
    "values, text",
    [
        ([True, True], "tensor([True, True])"),
        ([True, False], "tensor([ True, False])"),
        ([213643.0, 2117838.75], "tensor([ 213643.0000, 2117838.7500])"),
        ([1e10, 2.0], "tensor([1.0000e+10, 2.0000e+00])"),
        ([12345678.0], "tensor([12345678.])"),
        ([0.0, math.nan], "tensor([0., nan])"),
        ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
        (list(range(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ],
)
def test_repr_follows_torchs_number_formatting(values, text):
    assert repr(tinyoptim.tensor(values, device="cpu")) == text


GRAD_FN_NAMES = [  # torch 2.13's node names, checked against it
    (lambda x, v, W, b: x[0], "SelectBackward0"),
    (lambda x, v, W, b: x[1:], "SliceBackward0"),
    (lambda x, v, W, b: x[None], "UnsqueezeBackward0"),
    (lambda x, v, W, b: x[[0, 1]], "IndexBackward0"),
    (lambda x, v, W, b: x @ W.T, "MmBackward0"),
    (lambda x, v, W, b: x @ v, "MvBackward0"),
    (lambda x, v, W, b: v @ v, "DotBackward0"),
    (lambda x, v, W, b: tinyoptim.nn.functional.linear(x, W, b), "AddmmBackward0"),
    (lambda x, v, W, b: x.reshape(12), "ViewBackward0"),
    (lambda x, v, W, b: x.sum(0), "SumBackward1"),
    (lambda x, v, W, b: x.mean(), "MeanBackward0"),
    (lambda x, v, W, b: x.max(), "MaxBackward1"),
    (lambda x, v, W, b: x.max(0).values, "MaxBackward0"),
    (lambda x, v, W, b: x.clamp(-1, 1), "ClampBackward1"),
    (lambda x, v, W, b: 2**x, "PowBackward2"),
    (lambda x, v, W, b: 1 - x, "RsubBackward1"),
    (lambda x, v, W, b: x.logsumexp(0), "LogsumexpBackward0"),
    (lambda x, v, W, b: x[None].squeeze(0), "SqueezeBackward1"),
]


@pytest.mark.parametrize("make, name", GRAD_FN_NAMES, ids=[n for _, n in GRAD_FN_NAMES])
def test_grad_fn_names_are_torchs(make, name, device):
    x = tinyoptim.randn(3, 4, requires_grad=True, device=device)
    v = tinyoptim.randn(4, requires_grad=True, device=device)
    W = tinyoptim.randn(5, 4, requires_grad=True, device=device)
    b = tinyoptim.randn(5, requires_grad=True, device=device)
    y = make(x, v, W, b)
    assert y.grad_fn.name() == name and f"grad_fn=<{name}>" in repr(y)


def test_max_with_a_dim_returns_torchs_pair():
    x = tinyoptim.tensor([[1.0, 5.0], [3.0, 2.0]], device="cpu")
    values, indices = x.max(0)
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [1, 0]
    assert type(x.max(0)).__name__ == "max" and type(x.min(1)).__name__ == "min"
    assert repr(x.max(0)) == (
        "tinyoptim.return_types.max(\nvalues=tensor([3., 5.]),\nindices=tensor([1, 0]))"
    )


def test_python_scalars_from_tensors_follow_torch():
    import warnings

    with pytest.raises(ValueError, match="only one element tensors can be converted"):
        float(tinyoptim.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element tensors can be converted"):
        int(tinyoptim.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        tinyoptim.tensor([1.0, 2.0]).item()
    assert float(tinyoptim.tensor([[2.5]])) == 2.5
    x = tinyoptim.tensor(1.5, requires_grad=True)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        assert float(x * 2) == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.item() == 1.5 and int(x) == 1  # only float() warns, and not under no_grad
        with tinyoptim.no_grad():
            float(x)


def test_setitem_takes_a_value_with_extra_leading_ones_as_torch():
    x = tinyoptim.zeros(3)
    x[1] = tinyoptim.tensor([5.0])
    assert x.tolist() == [0.0, 5.0, 0.0]
    y = tinyoptim.zeros(2, 3)
    y[0, 1] = tinyoptim.tensor([[5.0]])
    assert y.tolist()[0] == [0.0, 5.0, 0.0]
    w = tinyoptim.tensor([2.0], requires_grad=True)
    z = tinyoptim.zeros(3)
    z[1] = w * 2
    z.sum().backward()
    assert w.grad.shape == (1,) and w.grad.tolist() == [2.0]


def test_cat_skips_legacy_empty_tensors_and_words_errors_as_torch():
    acc = tinyoptim.tensor([], requires_grad=True)
    rows = tinyoptim.ones(2, 3, requires_grad=True)
    out = tinyoptim.cat([acc, rows])
    assert out.shape == (2, 3)
    assert tinyoptim.cat([rows, tinyoptim.zeros(0)], dim=1).shape == (2, 3)
    out.sum().backward()
    assert acc.grad.shape == (0,) and rows.grad.shape == (2, 3)
    assert tinyoptim.cat([tinyoptim.tensor([], dtype=tinyoptim.float64), rows]).dtype == (
        tinyoptim.float64
    )
    with pytest.raises(RuntimeError, match="Expected size 3 but got size 4 for tensor number 1"):
        tinyoptim.cat([tinyoptim.ones(2, 3), tinyoptim.ones(2, 4)])
    with pytest.raises(RuntimeError, match="same number of dimensions: got 2 and 1"):
        tinyoptim.cat([tinyoptim.ones(2, 3), tinyoptim.ones(3)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        tinyoptim.cat([tinyoptim.ones(2), tinyoptim.tensor(1.0)])


def test_the_tensor_class_is_torchs_legacy_constructor():
    assert tinyoptim.Tensor([1, 2]).dtype == tinyoptim.float32  # data, in the default float
    assert tinyoptim.Tensor(np.array([1, 2])).dtype == tinyoptim.float32
    assert tinyoptim.Tensor(2, 3).shape == (2, 3) and tinyoptim.Tensor(3).shape == (3,)
    assert tinyoptim.Tensor().shape == (0,) and tinyoptim.Tensor((2, 3)).shape == (2,)
    with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
        tinyoptim.Tensor(2.5)


def test_numpy_conversion_refuses_a_tensor_that_requires_grad():
    x = tinyoptim.ones(2, device="cpu", requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        np.asarray(x)
    assert np.asarray(x.detach()).tolist() == [1.0, 1.0]
    with tinyoptim.no_grad():  # torch allows it when no graph is being recorded
        assert x.numpy().tolist() == [1.0, 1.0]


def test_format_of_a_0d_tensor_is_its_values():
    assert f"{tinyoptim.tensor(1.5):.2f}" == "1.50"
    assert f"{tinyoptim.tensor([1.5])}" == str(tinyoptim.tensor([1.5]))
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{tinyoptim.tensor([1.5]):.2f}"
    with pytest.raises(TypeError, match="passed to Parameter.__format__"):  # as torch's
        f"{tinyoptim.nn.Parameter(tinyoptim.tensor(1.5)):.2f}"


def test_to_with_copy_always_copies():
    a = tinyoptim.ones(2)
    assert a.to(tinyoptim.float32) is a
    b = a.to(tinyoptim.float32, copy=True)
    b.add_(1)
    assert b is not a and a.tolist() == [1.0, 1.0]
