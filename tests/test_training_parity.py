"""A torch-style training script, written once for both libraries: an LSTM classifier with
LayerNorm and SiLU, fed by DataLoader, trained by AdamW under OneCycleLR with label
smoothing and gradient clipping. In float64, from torch's initial weights, every loss and
every final parameter and optimizer state must equal torch's to rounding."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch

RNG = np.random.default_rng(0)
X = RNG.standard_normal((48, 7, 5))
Y = RNG.integers(0, 3, 48)


def _model(lib, device=None):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = lib.nn.LSTM(5, 8, num_layers=2, batch_first=True)
            self.norm = lib.nn.LayerNorm(8)
            self.head = lib.nn.Sequential(
                lib.nn.Linear(8, 16), lib.nn.SiLU(), lib.nn.Dropout(0.0), lib.nn.Linear(16, 3)
            )

        def forward(self, x):
            out, (h, c) = self.rnn(x)
            return self.head(self.norm(out[:, -1]))

    model = Net().double()
    return model.to(device) if device is not None else model


def _train(lib, model, device=None):
    place = {} if device is None else {"device": device}
    data = lib.utils.data.TensorDataset(lib.tensor(X, **place), lib.tensor(Y, **place))
    loader = lib.utils.data.DataLoader(data, batch_size=16, shuffle=False)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=9)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb, label_smoothing=0.1)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
    return np.array(losses), model.state_dict(), opt.state_dict()


def _host(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def test_import_tinyoptim_gives_utils_data():
    assert tinyoptim.utils.data.DataLoader is not None  # as torch.utils.data after import torch


def test_training_script_matches_torch(device):
    ours = _model(tinyoptim, device)
    if torch is None:  # without torch: it learns, and a second run repeats it exactly
        start = {k: v.clone() for k, v in ours.state_dict().items()}
        losses, _, _ = _train(tinyoptim, ours, device)
        assert losses[-3:].mean() < losses[:3].mean()
        again = _model(tinyoptim, device)
        again.load_state_dict(start)
        np.testing.assert_array_equal(_train(tinyoptim, again, device)[0], losses)
        return
    theirs = _model(torch)
    ours.load_state_dict(
        {k: tinyoptim.tensor(_host(v), device=device) for k, v in theirs.state_dict().items()}
    )
    their_losses, their_params, their_opt = _train(torch, theirs)
    losses, params, opt = _train(tinyoptim, ours, device)
    np.testing.assert_allclose(losses, their_losses, rtol=1e-12, atol=1e-12)
    assert list(params) == list(their_params)
    for key in params:
        np.testing.assert_allclose(_host(params[key]), _host(their_params[key]), atol=1e-12)
    assert opt["param_groups"][0]["lr"] == pytest.approx(their_opt["param_groups"][0]["lr"])
    for index, state in their_opt["state"].items():
        for key, value in state.items():
            np.testing.assert_allclose(_host(opt["state"][index][key]), _host(value), atol=1e-12)
