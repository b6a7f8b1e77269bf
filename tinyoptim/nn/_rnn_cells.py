r"""The one-step recurrences, and torch's ``RNNCell``, ``LSTMCell`` and ``GRUCell``.

Each step is a composition of differentiable tensor ops (``linear``, ``sigmoid``, ``tanh``,
slicing), so backward through time comes from the ops. ``gi`` is the input's affine part
W_ih x + b_ih, which the layers compute for every time step at once. Gate order and
arithmetic follow torch's CPU kernels:

.. math::
    \text{RNN: } h' = \tanh(g_i + W_{hh} h + b_{hh}) \quad (\text{or relu})

    \text{LSTM: } (i, f, g, o) = g_i + W_{hh} h + b_{hh}, \quad
    c' = \sigma(f) c + \sigma(i) \tanh(g), \quad h' = \sigma(o) \tanh(c')

    \text{GRU: } r = \sigma(g_{ir} + g_{hr}), \; z = \sigma(g_{iz} + g_{hz}), \;
    n = \tanh(g_{in} + r \, g_{hn}), \; h' = (h - n) z + n

with g_h = W_hh h + b_hh; an LSTM with projections then sets h' ← W_hr h'.
"""

from __future__ import annotations

import math

from ..autograd import factories
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def rnn_step(gi, state, w_hh, b_hh, nonlinearity: str = "tanh", w_hr=None):
    """One Elman step: ``(h',)`` from ``(h,)``."""
    pre = gi + F.linear(state[0], w_hh, b_hh)
    if nonlinearity == "tanh":
        return (F.tanh(pre),)
    if nonlinearity == "relu":
        return (F.relu(pre),)
    raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")


def lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    """One LSTM step: ``(h', c')`` from ``(h, c)``; gates in torch's order i, f, g, o."""
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def gru_step(gi, state, w_hh, b_hh, w_hr=None):
    """One GRU step: ``(h',)`` from ``(h,)``; gates in torch's order r, z, n."""
    h = state[0]
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r = F.sigmoid(i_r + h_r)
    z = F.sigmoid(i_z + h_z)
    n = F.tanh(i_n + r * h_n)
    return ((h - n) * z + n,)


def check_cell_shapes(input, hiddens, input_size: int, hidden_size: int) -> None:
    """torch's ``check_rnn_cell_forward_input`` / ``_hidden``, with its messages."""
    if input.size(1) != input_size:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.size(1)} expected {input_size}"
        )
    for k, hx in enumerate(hiddens):
        if input.size(0) != hx.size(0):
            raise RuntimeError(
                f"Input batch size {input.size(0)} doesn't match hidden{k} batch size {hx.size(0)}"
            )
        if hx.size(1) != hidden_size:
            raise RuntimeError(
                f"hidden{k} has inconsistent hidden_size: got {hx.size(1)}, expected {hidden_size}"
            )


class RNNCellBase(Module):
    """Parameters ``weight_ih`` (chunks·H, in), ``weight_hh`` (chunks·H, H), ``bias_ih``,
    ``bias_hh`` (chunks·H), all ~ U(-1/√H, 1/√H), registered in that order."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size

        def empty(*shape):
            return Parameter(factories.empty(shape, dtype=dtype, device=device))

        self.weight_ih = empty(gates, input_size)
        self.weight_hh = empty(gates, hidden_size)
        if bias:
            self.bias_ih = empty(gates)
            self.bias_hh = empty(gates)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _batched(self, name: str, input, hx, n_states: int):
        """``(input, states, is_batched)``: 1-d input (and states) get a batch of one, a
        missing state is zeros; torch's dimension and shape checks."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = None if hx is None else (hx,) if n_states == 1 else tuple(hx)
        if states is not None:
            for k, value in enumerate(states):
                if value.dim() not in (1, 2):
                    what = "hidden" if n_states == 1 else f"hx[{k}]"
                    raise ValueError(
                        f"{name}: Expected {what} to be 1D or 2D, got {value.dim()}D instead"
                    )
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = factories.zeros(
                input.size(0), self.hidden_size, dtype=input.dtype, device=input.device
            )
            states = (zeros,) * n_states
        elif not is_batched:
            states = tuple(s.unsqueeze(0) for s in states)
        check_cell_shapes(input, states, self.input_size, self.hidden_size)
        return input, states, is_batched

    def _gi(self, input):
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    r"""h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or relu with ``nonlinearity="relu"``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity  # checked in forward, as torch does

    def forward(self, input, hx=None):
        input, states, is_batched = self._batched("RNNCell", input, hx, 1)
        (h,) = rnn_step(self._gi(input), states, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """``(h', c')`` from ``(h, c)`` (zeros when ``hx`` is None); gates i, f, g, o."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, is_batched = self._batched("LSTMCell", input, hx, 2)
        h, c = lstm_step(self._gi(input), states, self.weight_hh, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' from h (zeros when ``hx`` is None); gates r, z, n."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, states, is_batched = self._batched("GRUCell", input, hx, 1)
        (h,) = gru_step(self._gi(input), states, self.weight_hh, self.bias_hh)
        return h if is_batched else h.squeeze(0)
