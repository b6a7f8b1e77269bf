"""torch's recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (and the cells, from ``_rnn_cells``).

A layer runs its cell's step (``_rnn_cells``) once per time step in Python, per layer and
direction, on tensor ops, so gradients through time come from autograd. The input's
affine part W_ih x + b_ih is computed for all time steps in one ``linear``. Parameter
names, shapes, order and initialisation, the hidden-state layout (layer-major, forward
before reverse), the output's (forward ‖ reverse) concatenation, ``batch_first``,
unbatched input, inter-layer dropout (training only) and the checks and their messages
are torch's. PackedSequence input is not supported.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..autograd import factories
from ..autograd.functional import cat, stack
from ..autograd.tensor import Tensor
from . import functional as F
from . import init
from ._rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase, gru_step, lstm_step, rnn_step
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The parameters and checks shared by ``RNN``, ``LSTM`` and ``GRU``.

    Per layer l and direction (suffix ``""`` or ``"_reverse"``): ``weight_ih_l{l}``
    (gates·H, in), ``weight_hh_l{l}`` (gates·H, H or proj), ``bias_ih_l{l}``,
    ``bias_hh_l{l}`` (gates·H) and, for an LSTM with ``proj_size``, ``weight_hr_l{l}``
    (proj, H); all ~ U(-1/√H, 1/√H), drawn in registration order.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self._check_arguments(dropout, num_layers)
        self.dropout = float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        self._check_proj_size()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden_size = proj_size if proj_size > 0 else hidden_size

        def empty(*shape):
            return Parameter(factories.empty(shape, dtype=dtype, device=device))

        self._flat_weights_names: list = []
        self._all_weights: list = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                shapes = {"weight_ih": (gate_size, layer_input_size)}
                shapes["weight_hh"] = (gate_size, real_hidden_size)
                if bias:
                    shapes["bias_ih"] = shapes["bias_hh"] = (gate_size,)
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for stem, shape in shapes.items():
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, empty(*shape))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def _check_arguments(self, dropout, num_layers) -> None:
        if (
            not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=4,
            )
        for name in ("bias", "batch_first"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(
                    f"{name} should be of type bool, got: {type(getattr(self, name)).__name__}"
                )
        for name in ("input_size", "hidden_size"):
            if not isinstance(getattr(self, name), int):
                raise TypeError(
                    f"{name} should be of type int, got: {type(getattr(self, name)).__name__}"
                )
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")

    def _check_proj_size(self) -> None:
        if self.proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if self.proj_size >= self.hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

    @property
    def _flat_weights(self) -> list:
        """The parameters in torch's flat order (read fresh: always the current objects)."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction, as torch."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op, as torch's is off cuDNN.

        torch code calls ``rnn.flatten_parameters()`` at every forward to keep cuDNN's
        weight buffer compact. tinyoptim's ``Module.flatten_parameters`` would re-pack the
        RNN's parameters into a new buffer each time (taking them out of a model-wide
        bucket, and giving a missing grad zeros, which optimizers then step), so this
        override does nothing. ``model.flatten_parameters()`` on a parent still packs the
        RNN's parameters with the rest; ``nn.Module.flatten_parameters(rnn)`` packs an RNN
        alone.
        """

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # -- checks ----------------------------------------------------------------------------

    def check_input(self, input, batch_sizes=None) -> None:
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype})."
                f" Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input, batch_sizes=None) -> tuple:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected, msg: str = "Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- the recurrence ----------------------------------------------------------------------

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        raise NotImplementedError

    def _zeros(self, input, size: int):
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return factories.zeros(
            self.num_layers * num_directions, batch, size, dtype=input.dtype, device=input.device
        )

    def _run(self, input, states):
        """``(output, final_states)`` for a 3-d input and states of shape (L·D, N, ·).
        Layers pass lists of per-step tensors, stacked once at the end (slicing a stacked
        tensor step by step would send a full-size gradient back per step: O(T^2))."""
        x = input.transpose(0, 1) if self.batch_first else input
        xs = x.unbind(0)
        steps = len(xs)
        num_directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                names = self._all_weights[layer * num_directions + direction]
                weights = dict(zip([n.split("_l")[0] for n in names], names))
                w_ih, w_hh, b_ih, b_hh, w_hr = (
                    getattr(self, weights[key]) if key in weights else None
                    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                )
                state = tuple(s[layer * num_directions + direction] for s in states)
                ys = [None] * steps
                order = range(steps) if direction == 0 else range(steps - 1, -1, -1)
                for t in order:
                    gi = F.linear(xs[t], w_ih, b_ih)
                    state = self._step(gi, state, w_hh, b_hh, w_hr)
                    ys[t] = state[0]
                outputs.append(ys)
                for final, s in zip(finals, state):
                    final.append(s)
            xs = outputs[0] if num_directions == 1 else [cat(pair, dim=1) for pair in zip(*outputs)]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                xs = [F.dropout(y, self.dropout, True) for y in xs]
        output = stack(xs, 0)
        output = output.transpose(0, 1) if self.batch_first else output
        return output, [stack(final, 0) for final in finals]

    def _forward_one_state(self, name: str, input, hx):
        """RNN's and GRU's forward: ``(output, h_n)``."""
        if not isinstance(input, Tensor):
            raise NotImplementedError(f"{name}: only Tensor input is supported (no PackedSequence)")
        if input.dim() not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tensor} instead"
            )
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(
                        "For unbatched 2-D input, hx should also be 2-D but got "
                        f"{hx.dim()}-D tensor"
                    )
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
            )
        if hx is None:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx, None)
        output, (h_n,) = self._run(input, [hx])
        if not is_batched:
            output, h_n = output.squeeze(batch_dim), h_n.squeeze(1)
        return output, h_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; returns ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(modes[self.nonlinearity], *args, **kwargs)

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return rnn_step(gi, state, w_hh, b_hh, self.nonlinearity)

    def forward(self, input, hx=None):
        return self._forward_one_state("RNN", input, hx)


class GRU(RNNBase):
    """Gated recurrent unit: r, z, n gates; ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; returns ``(output, h_n)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return gru_step(gi, state, w_hh, b_hh)

    def forward(self, input, hx=None):
        return self._forward_one_state("GRU", input, hx)


class LSTM(RNNBase):
    """Long short-term memory: i, f, g, o gates, optional projection ``proj_size``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; returns
    ``(output, (h_n, c_n))``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return lstm_step(gi, state, w_hh, b_hh, w_hr)

    def get_expected_cell_size(self, input, batch_sizes=None) -> tuple:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(
            hidden[0],
            self.get_expected_hidden_size(input, batch_sizes),
            "Expected hidden[0] size {}, got {}",
        )
        self.check_hidden_size(
            hidden[1],
            self.get_expected_cell_size(input, batch_sizes),
            "Expected hidden[1] size {}, got {}",
        )

    def forward(self, input, hx=None):
        if not isinstance(input, Tensor):
            raise NotImplementedError("LSTM: only Tensor input is supported (no PackedSequence)")
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real_hidden_size), self._zeros(input, self.hidden_size))
        else:
            dims = (hx[0].dim(), hx[1].dim())
            if is_batched and dims != (3, 3):
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({dims[0]}-D, {dims[1]}-D) tensors"
                )
            if not is_batched:
                if dims != (2, 2):
                    raise RuntimeError(
                        "For unbatched 2-D input, hx and cx should also be 2-D but got "
                        f"({dims[0]}-D, {dims[1]}-D) tensors"
                    )
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx, None)
        output, (h_n, c_n) = self._run(input, list(hx))
        if not is_batched:
            output, h_n, c_n = output.squeeze(batch_dim), h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)
