"""More activations, losses and containers, against torch 2.13: in float64, on random
inputs and where torch's rules show (kinks, ±0, huge values, ±inf, NaN), the values and
gradients equal NumPy formulas of torch's kernels and, when importable, torch's own;
``gradcheck`` checks them away from the kinks. The containers' names, state_dict keys,
reprs and errors are torch's (with ``torch`` read ``tinyoptim``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinyoptim
import tinyoptim.nn as nn
import tinyoptim.nn.functional as F
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck

inf, nan = np.inf, np.nan
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, 6.0, 20.0, 20.5, 40.0, -30.0, 1e3, -1e3, inf, -inf, nan]
X = np.concatenate([SPECIAL, 3 * np.random.default_rng(0).standard_normal(24)])
# away from every kink (0, ±1, 2.5 for softplus(beta=2, threshold=5), 6): for gradcheck
SMOOTH = np.array([-2.7, -1.6, -0.7, -0.3, 0.3, 0.7, 1.6, 2.7, 3.3, 6.5])


def _numpy(name, x, negative_slope=0.01, alpha=1.0, beta=1.0, threshold=20.0, **hardtanh):
    """(value, derivative) of the activation ``name`` at ``x``, as torch's kernels compute
    them."""
    e = np.exp(-abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    z, linear = np.exp(x * beta), x * beta > threshold
    softplus = np.where(linear, x, np.log1p(z) / beta), np.where(linear, 1.0, z / (z + 1))
    if name == "leaky_relu":
        return np.where(x > 0, x, x * negative_slope), np.where(x > 0, 1.0, negative_slope)
    if name == "elu":
        return np.where(x > 0, x, alpha * np.expm1(x)), np.where(x > 0, 1.0, alpha * np.exp(x))
    if name == "silu":
        return x * s, s * (1 + x * (1 - s))
    if name == "softplus":
        return softplus
    if name == "mish":
        t = np.tanh(softplus[0])
        return x * t, t + x * s * (1 - t * t)
    if name in ("hardtanh", "relu6"):
        low, high = hardtanh.get("min_val", -1.0), hardtanh.get("max_val", 1.0)
        low, high = (0.0, 6.0) if name == "relu6" else (low, high)
        return np.clip(x, low, high), ((x > low) & (x < high)).astype(float)
    if name == "logsigmoid":
        return np.minimum(x, 0) - np.log1p(e), np.where(x < 0, 1 / (1 + e), e / (1 + e))
    # softsign, which torch composes of tensor ops: its derivative at ±inf is NaN
    return x / (1 + abs(x)), 1 / (1 + abs(x)) - x * np.sign(x) / (1 + abs(x)) ** 2


PLAIN = "leaky_relu elu silu softplus mish hardtanh relu6 logsigmoid softsign".split()
ACTIVATIONS = [(name, {}) for name in PLAIN] + [
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}),
    ("softplus", {"beta": -1.0}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
]


def _upstream(shape):
    return np.random.default_rng(1).uniform(0.5, 1.5, shape)


def _run(lib, fn, arrays, device="cpu"):
    """``fn(lib's F)`` on float64 ``arrays``: the value and each input's gradient for a
    random upstream gradient. NumPy must not warn in ours (torch is quiet about inf/NaN)."""
    make = (lambda a: lib.tensor(a, device=device)) if lib is tinyoptim else lib.tensor
    ts = [make(np.asarray(a, dtype=np.float64)).requires_grad_() for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error" if lib is tinyoptim else "ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)  # kl_div's about 'mean'
        out = fn(lib.nn.functional)(*ts)
        out.backward(make(_upstream(tuple(out.shape))))
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


def _close(ours, theirs, rtol=1e-12, atol=0.0):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


# -- activations ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), ACTIVATIONS, ids=[f"{n}{o}" for n, o in ACTIVATIONS])
def test_activation_values_and_gradients(name, options, device):
    def fn(lib_F):
        return lambda x: getattr(lib_F, name)(x, **options)

    ours = _run(tinyoptim, fn, [X], device)
    with np.errstate(all="ignore"):
        value, slope = _numpy(name, X, **options)
    _close(ours, [value, slope * _upstream(X.shape)], rtol=1e-10, atol=1e-12)
    if torch is not None:
        theirs = _run(torch, fn, [X])
        if name in ("elu", "hardtanh", "relu6"):  # torch's NaN gradient: where NaN lies
            ours[1], theirs[1] = ours[1][~np.isnan(X)], theirs[1][~np.isnan(X)]
        _close(ours, theirs)
    x = tinyoptim.tensor(SMOOTH, dtype="float64", device=device, requires_grad=True)
    assert gradcheck(fn(F), [x])


def test_kinks_and_signed_zeros(device):  # (the formulas above cover these too)
    x = tinyoptim.tensor([-1.0, 0.0, 1.0, 6.0], dtype="float64", device=device)
    for fn, want in ((F.leaky_relu, 0.01), (F.elu, 1.0), (F.hardtanh, 0.0), (F.relu6, 0.0)):
        point = x[1 if fn is not F.hardtanh else 0].clone().requires_grad_()
        fn(point).backward()
        assert point.grad.item() == want, fn.__name__
    for fn in (F.leaky_relu, F.elu, F.hardtanh, F.relu6):  # -0.0 keeps its sign, as torch's
        assert np.signbit(fn(tinyoptim.tensor([-0.0], device=device)).numpy()[0])


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu", "mish", "hardtanh", "relu6"])
def test_inplace_writes_the_input_and_keeps_the_gradient(name, device):
    fn = getattr(F, name)
    base = tinyoptim.tensor(X[15:], dtype="float64", device=device, requires_grad=True)
    y = base * 1
    assert fn(y, inplace=True) is y
    y.backward(tinyoptim.tensor(_upstream(y.shape), device=device))
    want = _run(tinyoptim, lambda lib_F: getattr(lib_F, name), [X[15:]], device)
    _close([y.detach().numpy(), base.grad.numpy()], want)
    copy = base.detach().clone()
    fn(copy[:3], inplace=True)  # a view: the base changes
    np.testing.assert_allclose(copy.numpy()[:3], want[0][:3])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(base, inplace=True)


def test_integer_inputs_and_softmin(device):
    ints = tinyoptim.tensor([1, -2, 7], device=device)
    assert F.relu6(ints).tolist() == [1, 0, 6] and F.relu6(ints).dtype == ints.dtype
    assert F.hardtanh(ints).tolist() == [1, -1, 1]
    x = tinyoptim.tensor(np.random.default_rng(2).standard_normal((3, 4)), device=device)
    np.testing.assert_allclose(F.softmin(x, 1).numpy(), F.softmax(-x, 1).numpy())
    assert F.softmin(x, 0, dtype=tinyoptim.float64).dtype == tinyoptim.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        assert nn.Softmin()(x).shape == (3, 4)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        assert nn.Hardtanh(min_value=-3.0).min_val == -3.0


MODULES = [  # the repr, which is also the call that builds the module; its function
    ("LeakyReLU(negative_slope=0.2, inplace=True)", "leaky_relu", {"negative_slope": 0.2}),
    ("ELU(alpha=0.5)", "elu", {"alpha": 0.5}),
    ("SiLU()", "silu", {}),
    ("Mish(inplace=True)", "mish", {}),
    ("Softplus(beta=2, threshold=5)", "softplus", {"beta": 2, "threshold": 5}),
    ("Hardtanh(min_val=-2.0, max_val=0.5)", "hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("ReLU6(inplace=True)", "relu6", {}),
    ("LogSigmoid()", "logsigmoid", {}),
    ("Softsign()", "softsign", {}),
    ("Softmin(dim=0)", "softmin", {"dim": 0}),
]


@pytest.mark.parametrize(("text", "name", "options"), MODULES, ids=[m[0] for m in MODULES])
def test_activation_module_calls_its_function(text, name, options, device):
    module = eval(text, vars(nn))
    assert repr(module) == text
    if torch is not None:
        assert repr(eval(text, vars(torch.nn))) == text
    x = tinyoptim.tensor(X[15:], dtype="float64", device=device)
    want = getattr(F, name)(x, **options).numpy()
    np.testing.assert_array_equal(module(x.clone()).numpy(), want)


ERRORS = [  # an expression over F, nn and t (a float32 tensor) => torch's error
    "F.leaky_relu(t([1, 2])) => NotImplementedError: \"leaky_relu_cpu\" not implemented for 'Long'",
    "F.elu(t([1, 2])) => NotImplementedError: \"elu_cpu\" not implemented for 'Long'",
    "F.hardtanh(t([1.0]), 2.0, 1.0) => ValueError: min_val cannot be greater than max_val",
    "nn.Hardtanh(1.0, 1.0) => AssertionError: max_val (1.0) must be greater than min_val (1.0)",
    "F.smooth_l1_loss(t([1.]), t([1.]), beta=-1.) => RuntimeError: smooth_l1_loss does not",
    'F.smooth_l1_loss(t([1, 2]), t([0, 1])) => NotImplementedError: "smooth_l1_cpu" not',
    "F.huber_loss(t([1.]), t([1.]), delta=0.) => RuntimeError: huber_loss does not support non-",
    "nn.HuberLoss(delta='1') => TypeError: delta must be a float or int, got: <class 'str'>",
    "F.l1_loss(t([1.]), t([1.]), reduction='x') => ValueError: x is not a valid value for reduc",
    "F.l1_loss(t([1.]), t([1.]), weight=t([1., 2.])) => ValueError: Weights and input must have",
    "F.huber_loss(t([1.]), t([1.]), 'x', weight=t([1.])) => ValueError: Invalid reduction mode: x",
    "F.binary_cross_entropy(t([1.5]), t([1.])) => RuntimeError: all elements of input should be",
    "F.binary_cross_entropy(t([nan]), t([1.])) => RuntimeError: all elements of input should be",
    "F.binary_cross_entropy(t([.5]), t([2.])) => RuntimeError: all elements of target should be",
    "F.binary_cross_entropy(t([.5, .5]), t([1.])) => ValueError: Using a target size (",
    'F.binary_cross_entropy(t([1]), t([1])) => NotImplementedError: "binary_cross_entropy" not',
    "F.binary_cross_entropy(t([.5]), t([1])) => RuntimeError: Found dtype Long but expected Float",
    "F.binary_cross_entropy(t([[.5] * 2]), t([[1.] * 2]), t([1.] * 3)) => RuntimeError: Attempti",
    "F.binary_cross_entropy(t([[.5]]), t([[1.]]), t([[[1.]]] * 2)) => RuntimeError: output with",
    "F.binary_cross_entropy(t([.5]), t([1.]), t([1.]).requires_grad_()) => RuntimeError: The fun",
    "F.kl_div(t([1, 2]), t([.5, .5])) => RuntimeError: kl_div: Integral inputs not supported.",
    "F.kl_div(t([1.]), t([.5]), reduction='x') => ValueError: x is not a valid value for reduct",
]


@pytest.mark.parametrize("case", ERRORS, ids=range(len(ERRORS)))
def test_errors_as_torch(case, device):
    expression, error = case.split(" => ")
    kind, message = error.split(": ", 1)
    libs = [(tinyoptim, {"device": device})] + ([(torch, {})] if torch is not None else [])
    for lib, where in libs:
        scope = {"F": lib.nn.functional, "nn": lib.nn, "nan": nan}
        scope["t"] = lambda values, lib=lib, where=where: lib.tensor(values, **where)
        with pytest.raises(Exception) as raised, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(expression, scope)
        assert type(raised.value).__name__ == kind and str(raised.value).startswith(message)


# -- losses ----------------------------------------------------------------------------------

P = np.concatenate([[0.0, 1.0, 1e-30, 0.5, 1.0, 0.0], np.random.default_rng(3).uniform(0, 1, 10)])
Y = np.concatenate([[0.0, 1.0, 1.0, 0.5, 0.0, 1.0], np.random.default_rng(4).uniform(0, 1, 10)])
A = np.concatenate([[0.0, 1.0, -1.0, 0.5, 2.0, 3.0], np.random.default_rng(5).standard_normal(10)])
B = np.concatenate([[0.0, 0.0, 0.0, 0.0, 1.5, 1.0], np.random.default_rng(6).standard_normal(10)])
W = np.random.default_rng(7).uniform(0.5, 2, 16)
LOSSES = [  # name, options, (input, target): the kinks |x - y| = 0, 1, β, δ are in A - B
    *[(name, {}, (A, B)) for name in ("l1_loss", "smooth_l1_loss", "huber_loss")],
    *[("smooth_l1_loss", {"beta": beta}, (A, B)) for beta in (0.5, 0.0)],
    ("huber_loss", {"delta": 0.5}, (A, B)),
    ("binary_cross_entropy", {}, (P, Y)),
    ("kl_div", {}, (np.log(P[6:] + 0.05), Y[6:])),
    ("kl_div", {}, (A[:4], [0.0, 0.5, 2.0, 0.0])),
    ("kl_div", {"log_target": True}, (A, B)),
]


def _numpy_loss(name, options, x, y):
    d, width = x - y, options.get("beta", options.get("delta", 1.0))
    quadratic = np.where(abs(d) < width, 0.5 * d * d / max(width, 1e-300), abs(d) - 0.5 * width)
    if name == "l1_loss" or name == "smooth_l1_loss" and width == 0:
        return abs(d)
    if name in ("smooth_l1_loss", "huber_loss"):
        return quadratic * (width if name == "huber_loss" else 1.0)
    if name == "binary_cross_entropy":
        return (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
    if options.get("log_target"):
        return np.exp(y) * (y - x)
    return np.where(y == 0, 0.0, y * np.log(np.where(y == 0, 1, y))) - y * x


WEIGHTED = ("l1_loss", "huber_loss", "binary_cross_entropy")  # the losses with a weight
LOSS_RUNS = [
    (*case, reduction)
    for case in LOSSES
    for reduction in ("none", "mean", "sum", "weighted")
    if reduction != "weighted" or case[0] in WEIGHTED
]


@pytest.mark.parametrize(
    ("name", "options", "arrays", "reduction"),
    LOSS_RUNS,
    ids=[f"{run[:2]}-{run[3]}" for run in LOSS_RUNS],
)
def test_loss_values_and_gradients(name, options, arrays, reduction, device):
    options = dict(options, reduction="mean" if reduction == "weighted" else reduction)

    def fn(lib_F):
        weight = tinyoptim.tensor(W, device=device) if lib_F is F else torch.tensor(W)
        weighted = {"weight": weight} if reduction == "weighted" else {}
        return lambda x, y: getattr(lib_F, name)(x, y, **options, **weighted)

    ours = _run(tinyoptim, fn, arrays, device)
    with np.errstate(all="ignore"):
        loss = _numpy_loss(name, options, *map(np.asarray, arrays))
    if reduction == "weighted":  # l1: the weighted mean; huber and BCE: the plain one
        loss = (loss * W).sum() / W.sum() if name == "l1_loss" else (loss * W).mean()
    else:
        loss = {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]
    np.testing.assert_allclose(ours[0], loss, rtol=1e-12)
    if torch is not None:
        _close(ours, _run(torch, fn, arrays))
    if reduction == "mean":  # finite differences, away from the kinks
        x = np.linspace(0.12, 0.88, 8).reshape(2, 4)
        y = np.flip(x) if name == "kl_div" else np.roll(x, 3)
        ts = [tinyoptim.tensor(a, device=device, requires_grad=True) for a in (x, y)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # kl_div's about 'mean'
            assert gradcheck(fn(F), ts)


def test_bce_clamps_the_log_and_the_gradient(device):
    def fn(lib_F):
        return lambda x, y: lib_F.binary_cross_entropy(x, y, reduction="none")

    value, grad_x, grad_y = _run(tinyoptim, fn, [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], device)
    assert value.tolist() == [0.0, 100.0, 100.0]
    eps = float(np.float32(1e-12))  # torch's EPSILON is a float
    np.testing.assert_allclose(grad_x, np.array([0.0, -1.0, 1.0]) / eps * _upstream(3))
    assert np.isinf(grad_y).all()  # -logit(x): unclamped, as torch's


def test_loss_warnings_and_modules(device):
    def t(values):
        return tinyoptim.tensor(values, device=device)

    x, y, weight = t(P), t(Y), t(W)
    for fn, want in ((F.l1_loss, 0.5), (F.smooth_l1_loss, 0.25), (F.huber_loss, 0.25)):
        with pytest.warns(UserWarning, match=r"Using a target size \(\(2, 1\)\) that is diff"):
            assert fn(t([1.0, 2.0]), t([[1.0], [2.0]])).item() == want  # broadcast
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        nn.KLDivLoss()(t([-1.0, -2.0]), t([0.5, 0.5]))
    batch = F.kl_div(t([[-1.0, -2.0]] * 3), t([[0.5, 0.2]] * 3), reduction="batchmean")
    total = F.kl_div(t([[-1.0, -2.0]] * 3), t([[0.5, 0.2]] * 3), reduction="sum")
    assert batch.item() == pytest.approx(total.item() / 3)
    modules = [
        (nn.L1Loss(reduction="sum"), F.l1_loss(x, y, reduction="sum")),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(reduction="none", delta=2.0), F.huber_loss(x, y, "none", 2.0)),
        (nn.BCELoss(weight), F.binary_cross_entropy(x, y, weight)),
        (
            nn.KLDivLoss(None, None, "batchmean", True),
            F.kl_div(x, y, None, None, "batchmean", True),
        ),
    ]
    for module, want in modules:
        np.testing.assert_array_equal(module(x, y).numpy(), want.numpy())
    assert list(nn.BCELoss(weight).state_dict()) == ["weight"]
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss()"


# -- containers ------------------------------------------------------------------------------

CONTAINERS = [  # statements run in turn with torch's nn and ours; "expression => its repr"
    "md = nn.ModuleDict([('x', nn.ReLU()), ('y', nn.Tanh())])",
    "list(md), list(md.keys()), len(md), 'x' in md => (['x', 'y'], ['x', 'y'], 2, True)",
    "md.pop('x'), list(md) => (ReLU(), ['y'])",
    "md.update({'z': nn.Sigmoid()}); md['w'] = nn.Softsign(); del md['y']",
    "list(md.items()), md['z'] => ([('z', Sigmoid()), ('w', Softsign())], Sigmoid())",
    "repr(md) => 'ModuleDict(\\n  (z): Sigmoid()\\n  (w): Softsign()\\n)'",
    "md.clear(), len(md), md.state_dict() => (None, 0, OrderedDict())",
    "md.update(3) => TypeError: ModuleDict.update should be called with an iterable of key/value",
    "md.update([('a',)]) => ValueError: ModuleDict update sequence element #0 has length 1; 2 is",
    'md(1) => NotImplementedError: Module [ModuleDict] is missing the required "forward" function',
    "pl = nn.ParameterList([ones(2), 'x']); pl += [ones(2, 2, dtype=float64)]; pl[0] = zeros(1)",
    "len(pl), pl[1], [type(p).__name__ for p in pl] => (3, 'x', ['Parameter', 'str', 'Parameter'])",
    "list(pl.state_dict()), pl[0].requires_grad, '0' in dir(pl) => (['0', '2'], True, False)",
    "repr(pl) => 'ParameterList(\\n    (0): Parameter containing: [tinyoptim.float32 of size 1]\\n "
    "   (1): Object of type: str\\n    (2): Parameter containing: [tinyoptim.float64 of size 2x2]"
    "\\n)'",
    "[type(p).__name__ for p in pl[0:3:2]], repr(pl[:0]) => (['Parameter', 'Parameter'], "
    "'ParameterList()')",
    "pl[5] => IndexError: index 5 is out of range",
    "pl.extend(ones(2)) => TypeError: ParameterList.extend should be called with an iterable, but",
    "pl(1) => RuntimeError: ParameterList should not be called.",
    "pl.__setitem__(0, 3) => TypeError: cannot assign 'int' as parameter '0' (tinyoptim.nn.Param",
    "pd = nn.ParameterDict({'b': ones(2), 'a': 3})",
    "list(pd), len(pd), 'a' in pd, pd.pop('a'), pd.get('q', 7) => (['a', 'b'], 2, True, 3, 7)",
    "type(pd.setdefault('s', zeros(1))).__name__, list(reversed(pd)) => ('Parameter', ['s', 'b'])",
    "list(pd.copy()), list(pd.fromkeys(['x'])), pd.popitem()[0] => (['b', 's'], ['x'], 's')",
    "list(pd | nn.ParameterDict({'n': ones(1)})) => ['b', 'n']",
    "pd |= {'m': ones(1)}; del pd['b']",
    "list(pd), list(pd.state_dict()), list(pd.keys()) => (['m'], ['m'], ['m'])",
    "repr(pd) => 'ParameterDict(  (m): Parameter containing: [tinyoptim.FloatTensor of size 1])'",
    "pd.clear(), len(pd), list(pd.parameters()) => (None, 0, [])",
    "pd[1] => TypeError: Index given to ParameterDict cannot be used as a key as it is not a str",
    "pd.update(3) => TypeError: ParametersDict.update should be called with an iterable of key/",
    "pd('x') => RuntimeError: ParameterDict should not be called.",
    # one structure of each, nested: the names are torch's (a plain dict's in sorted order)
    "m = nn.Module(); m.heads = nn.ModuleDict({'b': nn.Linear(2, 3), 'a': nn.ReLU()})",
    "m.plist = nn.ParameterList([zeros(3)]); m.heads['c'] = nn.Linear(3, 1, bias=False)",
    "m.pdict = nn.ParameterDict({'w': ones(4), 'alpha': zeros(1, 2)}); m.plist.append(ones(()))",
    "list(m.state_dict()) => ['heads.b.weight', 'heads.b.bias', 'heads.c.weight', 'plist.0', "
    "'plist.1', 'pdict.alpha', 'pdict.w']",
    "[name for name, _ in m.named_parameters()] == list(m.state_dict()) => True",
    "repr(m) => 'Module(\\n  (heads): ModuleDict(\\n    (b): Linear(in_features=2, out_features=3, "
    "bias=True)\\n    (a): ReLU()\\n    (c): Linear(in_features=3, out_features=1, bias=False)\\n"
    "  )\\n  (plist): ParameterList(\\n      (0): Parameter containing: [tinyoptim.float32 of size"
    " 3]\\n      (1): Parameter containing: [tinyoptim.float32 of size ]\\n  )\\n  (pdict): "
    "ParameterDict(\\n      (alpha): Parameter containing: [tinyoptim.FloatTensor of size 1x2]\\n"
    "      (w): Parameter containing: [tinyoptim.FloatTensor of size 4]\\n  )\\n)'",
]


@pytest.mark.parametrize("lib", ["tinyoptim", "torch"])
def test_containers_as_torch(lib):
    if lib == "torch" and torch is None:
        pytest.skip("needs torch 2.13")
    lib = tinyoptim if lib == "tinyoptim" else torch
    where = {"device": "cpu"} if lib is tinyoptim else {}  # the repr names other devices
    scope = {"nn": lib.nn, "float64": lib.float64}
    scope["ones"] = lambda *shape, **kw: lib.ones(*shape, **where, **kw)
    scope["zeros"] = lambda *shape, **kw: lib.zeros(*shape, **where, **kw)
    for line in CONTAINERS:
        if " => " not in line:
            exec(line, scope)
            continue
        expression, want = line.split(" => ")
        try:
            got = repr(eval(expression, scope))
        except Exception as error:
            got = f"{type(error).__name__}: {error}"
        got = got.replace("torch", "tinyoptim")
        assert got.startswith(want) if "Error: " in want else got == want, expression


def test_container_repr_names_the_device(device):
    where = "" if device == "cpu" else f" ({device})"
    got = repr(nn.ParameterList([tinyoptim.ones(2, device=device)]))
    assert (
        got == f"ParameterList(  (0): Parameter containing: [tinyoptim.float32 of size 2{where}])"
    )
