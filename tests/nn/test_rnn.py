"""The recurrent layers and cells against torch 2.13 (live when importable), in float64:
outputs, final states and every parameter and input gradient, with torch's weights copied
in through ``load_state_dict``; and without torch, a NumPy LSTM/GRU step, ``gradcheck``,
the state_dict layout, the checks and ``flatten_parameters``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd import gradcheck
from tinyoptim.nn.module import Module
from tinyoptim.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch 2.13")
RNG = np.random.default_rng(0)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _ours(torch_module, cls, args, kwargs, device):
    ours = cls(*args, **kwargs).double().to(device)
    state = {
        k: tinyoptim.tensor(v.detach().numpy(), device=device)
        for k, v in torch_module.state_dict().items()
    }
    ours.load_state_dict(state)
    return ours


def _pair(lib, array, device="cpu"):
    if lib is torch:
        return torch.tensor(array, requires_grad=True)
    return tinyoptim.tensor(array, device=device, requires_grad=True)


def _flat(result):
    """The tensors of ``(output, h)`` / ``(output, (h, c))`` / ``h`` / ``(h, c)``."""
    if not isinstance(result, tuple):
        return [result]
    return [t for part in result for t in _flat(part)]


def _compare(torch_module, ours, inputs, device, atol=1e-10):
    """Run both on the same arrays (nested tuples allowed); compare outputs and grads."""

    def build(lib):
        def one(a):
            return tuple(one(b) for b in a) if isinstance(a, tuple) else _pair(lib, a, device)

        return [one(a) for a in inputs]

    ins_t, ins_o = build(torch), build(tinyoptim)
    outs_t, outs_o = _flat(torch_module(*ins_t)), _flat(ours(*ins_o))
    assert len(outs_t) == len(outs_o)
    loss_t = loss_o = 0
    for k, (a, b) in enumerate(zip(outs_t, outs_o)):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol, rtol=1e-9)
        up = np.random.default_rng(k).standard_normal(a.shape)
        loss_t = loss_t + (a * torch.tensor(up)).sum()
        loss_o = loss_o + (b * tinyoptim.tensor(up, device=device)).sum()
    loss_t.backward()
    loss_o.backward()
    for (name, p_t), (name_o, p_o) in zip(torch_module.named_parameters(), ours.named_parameters()):
        assert name == name_o
        np.testing.assert_allclose(p_o.grad.numpy(), p_t.grad.numpy(), atol=atol, rtol=1e-9)
    for a, b in zip(_flat(tuple(ins_t)), _flat(tuple(ins_o))):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=atol, rtol=1e-9)


LAYERS = [
    (RNN, {}),
    (RNN, {"nonlinearity": "relu", "num_layers": 2, "bias": False}),
    (LSTM, {}),
    (LSTM, {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    (LSTM, {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    (GRU, {}),
    (GRU, {"num_layers": 2, "bidirectional": True, "bias": False, "dropout": 0.5}),
    (RNN, {"bidirectional": True, "batch_first": True}),
]


@needs_torch
@pytest.mark.parametrize("cls, kwargs", LAYERS, ids=lambda v: str(v))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_layers_match_torch(cls, kwargs, batched, with_state, device):
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls.__name__)(3, 4, **kwargs).double().eval()
    ours = _ours(ref, cls, (3, 4), kwargs, device).eval()
    T, N = 5, 2
    x = RNG.standard_normal((N, T, 3) if kwargs.get("batch_first") else (T, N, 3))
    if not batched:
        x = RNG.standard_normal((T, 3))
    inputs = [x]
    if with_state:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        shape = (layers, N) if batched else (layers,)
        h = RNG.standard_normal(shape + (kwargs.get("proj_size") or 4,))
        inputs.append((h, RNG.standard_normal(shape + (4,))) if cls is LSTM else h)
    _compare(ref, ours, inputs, device)


@needs_torch
@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_cells_match_torch(cls, batched, with_state, device):
    kwargs = {"nonlinearity": "relu"} if cls is RNNCell and batched else {}
    torch.manual_seed(1)
    ref = getattr(torch.nn, cls.__name__)(3, 4, **kwargs).double()
    ours = _ours(ref, cls, (3, 4), kwargs, device)
    shape = (2,) if batched else ()
    inputs = [RNG.standard_normal(shape + (3,))]
    if with_state:
        h = RNG.standard_normal(shape + (4,))
        inputs.append((h, RNG.standard_normal(shape + (4,))) if cls is LSTMCell else h)
    _compare(ref, ours, inputs, device)


@needs_torch
def test_reprs_match_torch():
    for cls, kwargs in LAYERS + [(LSTM, {"bias": False, "dropout": 0.25, "num_layers": 3})]:
        ref = getattr(torch.nn, cls.__name__)(3, 4, **kwargs)
        assert repr(cls(3, 4, **kwargs)) == repr(ref)
    for cls, kwargs in [
        (RNNCell, {"nonlinearity": "relu", "bias": False}),
        (LSTMCell, {}),
        (GRUCell, {}),
    ]:
        assert repr(cls(3, 4, **kwargs)) == repr(getattr(torch.nn, cls.__name__)(3, 4, **kwargs))


def _errors(lib, calls):
    out = []
    for call in calls:
        try:
            call(lib)
            out.append(None)
        except Exception as e:  # noqa: BLE001 - the type and message are compared
            out.append((type(e).__name__, str(e)))
    return out


@needs_torch
def test_errors_match_torch():
    def t(lib, *shape):
        return lib.zeros(*shape, dtype=lib.float64)

    def mod(lib, name, *args, **kwargs):
        return getattr(lib.nn, name)(*args, **kwargs).double()

    calls = [
        lambda lib: mod(lib, "RNN", 3, 4)(t(lib, 2, 2, 2, 3)),
        lambda lib: mod(lib, "GRU", 3, 4)(t(lib, 3)),
        lambda lib: mod(lib, "LSTM", 3, 4)(t(lib, 2, 2, 5)),
        lambda lib: mod(lib, "GRU", 3, 4)(t(lib, 5, 2, 3), t(lib, 1, 3, 4)),
        lambda lib: mod(lib, "RNN", 3, 4)(t(lib, 5, 2, 3), t(lib, 2, 4)),
        lambda lib: mod(lib, "RNN", 3, 4)(t(lib, 5, 3), t(lib, 1, 1, 4)),
        lambda lib: mod(lib, "LSTM", 3, 4)(t(lib, 5, 2, 3), (t(lib, 1, 2, 4), t(lib, 1, 2, 5))),
        lambda lib: mod(lib, "LSTM", 3, 4)(t(lib, 5, 2, 3), (t(lib, 1, 3, 4), t(lib, 1, 2, 4))),
        lambda lib: mod(lib, "LSTM", 3, 4)(t(lib, 5, 3), (t(lib, 1, 2, 4), t(lib, 1, 4))),
        lambda lib: mod(lib, "LSTM", 3, 4)(t(lib, 5, 2, 3), (t(lib, 2, 4), t(lib, 2, 4))),
        lambda lib: mod(lib, "RNNCell", 3, 4)(t(lib, 2, 5)),
        lambda lib: mod(lib, "RNNCell", 3, 4)(t(lib, 2, 3), t(lib, 3, 4)),
        lambda lib: mod(lib, "GRUCell", 3, 4)(t(lib, 2, 3), t(lib, 2, 5)),
        lambda lib: mod(lib, "LSTMCell", 3, 4)(t(lib, 2, 3), (t(lib, 2, 4), t(lib, 2, 5))),
        lambda lib: mod(lib, "LSTMCell", 3, 4)(t(lib, 1, 2, 3)),
        lambda lib: mod(lib, "GRUCell", 3, 4)(t(lib, 3), t(lib, 1, 1, 4)),
        lambda lib: mod(lib, "RNNCell", 3, 4, nonlinearity="gelu")(t(lib, 3)),
        lambda lib: lib.nn.RNN(3, 4, nonlinearity="gelu"),
        lambda lib: lib.nn.GRU(3, 4, proj_size=2),
        lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
        lambda lib: lib.nn.LSTM(3, 4, dropout=1.5),
        lambda lib: lib.nn.LSTM(3, 0),
        lambda lib: lib.nn.GRU(3, 4, bias=1),
    ]
    assert _errors(tinyoptim, calls) == _errors(torch, calls)
    ours = tinyoptim.nn.rnn.GRU(3, 4)  # the dtype message names the library's dtypes
    with pytest.raises(ValueError, match="does not match weight dtype"):
        ours(tinyoptim.zeros(5, 2, 3, dtype=tinyoptim.float64))


@pytest.fixture(autouse=True)
def _expose_tinyoptim_nn_rnn(monkeypatch):
    """``tinyoptim.nn.<Name>`` for the error comparison, until nn exports them itself."""
    import tinyoptim.nn as nn
    import tinyoptim.nn.rnn as rnn

    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        if not hasattr(nn, name):
            monkeypatch.setattr(nn, name, getattr(rnn, name), raising=False)


def test_state_dict_layout_and_init():
    tinyoptim.manual_seed(0)
    m = LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    keys = []
    for layer in range(2):
        for suffix in ("", "_reverse"):
            keys += [
                f"{s}_l{layer}{suffix}"
                for s in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
            ]
    assert list(m.state_dict()) == keys
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1_reverse"] == (16, 4)
    assert shapes["weight_hh_l1"] == (16, 2) and shapes["weight_hr_l0"] == (2, 4)
    assert [len(w) for w in m.all_weights] == [5] * 4
    bound = 1 / math.sqrt(4)
    for p in m.parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
    tinyoptim.manual_seed(0)
    again = LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    for a, b in zip(m.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert list(GRU(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert list(RNNCell(3, 4).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert GRUCell(3, 4, bias=False).bias_ih is None


def test_one_step_against_numpy(device):
    x, h, c = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))
    cell = LSTMCell(3, 4).double().to(device)
    W = {k: v.numpy() for k, v in cell.state_dict().items()}
    gates = x @ W["weight_ih"].T + W["bias_ih"] + h @ W["weight_hh"].T + W["bias_hh"]
    i, f, g, o = np.split(gates, 4, axis=1)
    c_want = _sig(f) * c + _sig(i) * np.tanh(g)
    h_want = _sig(o) * np.tanh(c_want)
    T = lambda a: tinyoptim.tensor(a, device=device)  # noqa: E731
    h_got, c_got = cell(T(x), (T(h), T(c)))
    np.testing.assert_allclose(h_got.detach().numpy(), h_want, rtol=1e-12)
    np.testing.assert_allclose(c_got.detach().numpy(), c_want, rtol=1e-12)

    gru = GRU(3, 4).double().to(device)  # a one-step sequence through the layer
    W = {k: v.numpy() for k, v in gru.state_dict().items()}
    gi = x @ W["weight_ih_l0"].T + W["bias_ih_l0"]
    gh = h @ W["weight_hh_l0"].T + W["bias_hh_l0"]
    r = _sig(gi[:, :4] + gh[:, :4])
    z = _sig(gi[:, 4:8] + gh[:, 4:8])
    n = np.tanh(gi[:, 8:] + r * gh[:, 8:])
    out, h_n = gru(T(x[None]), T(h[None]))
    np.testing.assert_allclose(out.detach().numpy()[0], (1 - z) * n + z * h, rtol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy()[0], (1 - z) * n + z * h, rtol=1e-12)


@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_gradcheck(cls, device):
    m = cls(2, 3, num_layers=2, bidirectional=True).double().to(device)
    x = tinyoptim.tensor(RNG.standard_normal((3, 2, 2)), device=device, requires_grad=True)
    params = list(m.parameters())[:4]  # layer 0 forward: through both layers

    def fn(x, *weights):
        return _flat(m(x))[0]

    assert gradcheck(fn, [x, *params])


def test_dropout_only_between_layers_and_in_training():
    tinyoptim.manual_seed(0)
    m = GRU(3, 4, num_layers=2, dropout=0.9).double()
    x = tinyoptim.tensor(RNG.standard_normal((6, 2, 3)))
    m.eval()
    a, b = m(x)[0].detach().numpy(), m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), a)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        GRU(3, 4, dropout=0.5)


def test_flatten_parameters_is_a_noop_on_the_rnn_but_a_parent_still_packs_it():
    m = LSTM(3, 4, num_layers=2)
    before = [p.data for p in m.parameters()]
    m.flatten_parameters()  # torch's cuDNN idiom, called every forward: nothing happens
    assert all(p.data is d for p, d in zip(m.parameters(), before))
    assert all(p.grad is None for p in m.parameters())

    class Model(Module):
        def __init__(self):
            super().__init__()
            self.rnn = m

    Model().flatten_parameters()  # tinyoptim's meaning: one flat buffer, RNN included
    assert all(p.data is not d for p, d in zip(m.parameters(), before))
    assert all(p.grad is not None for p in m.parameters())
    x = tinyoptim.tensor(RNG.standard_normal((4, 2, 3)).astype("float32"))
    m(x)[0].sum().backward()  # still runs and trains on the packed views
