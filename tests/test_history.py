"""``tinyoptim.History``: what the step hooks record, and its plot."""

from __future__ import annotations

import math
import sys

import pytest

import tinyoptim
from tinyoptim import nn
from tinyoptim.optim import SGD, Adam


def _quadratic_setup(device="cpu"):
    w = tinyoptim.tensor([3.0, 4.0], device=device, requires_grad=True)
    b = tinyoptim.tensor([1.0], device=device, requires_grad=True)
    optimizer = SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    return w, b, optimizer


def test_records_lr_per_group_grad_norm_and_time(device):
    w, b, optimizer = _quadratic_setup(device)
    history = tinyoptim.History(optimizer)
    for _ in range(3):
        optimizer.zero_grad()
        ((w * w).sum() + (b * b).sum()).backward()
        optimizer.step()
    assert len(history) == 3 and repr(history) == "History(3 steps)"
    assert history.lr == [(0.1, 0.01)] * 3
    assert history.grad_norm[0] == pytest.approx(math.sqrt(6**2 + 8**2 + 2**2))
    assert all(t >= 0 for t in history.step_time)
    assert history.loss == [None, None, None]  # nobody told it


def test_closure_loss_is_recorded(device):
    w, b, optimizer = _quadratic_setup(device)
    history = tinyoptim.History(optimizer)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    returned = optimizer.step(closure)
    optimizer.step(closure=closure)  # the keyword form too
    assert history.loss[0] == pytest.approx(25.0) == returned.item()
    assert history.loss[1] == pytest.approx(25.0 * 0.8**2)  # w <- w - 0.1 * 2w


def test_log_loss_after_or_before_the_step():
    w, _, optimizer = _quadratic_setup()
    history = tinyoptim.History(optimizer)
    history.log_loss(1.5)  # before the first step: goes to it
    optimizer.step()
    optimizer.step()
    history.log_loss(tinyoptim.tensor(2.5))  # after the step: fills it
    history.log_loss(3.5)  # the last step has one now: goes to the next
    optimizer.step()
    assert history.loss == [1.5, 2.5, 3.5]


def test_lr_is_the_one_the_step_used_under_a_scheduler():
    lr_scheduler = getattr(tinyoptim.optim, "lr_scheduler", None)
    if lr_scheduler is None or not hasattr(lr_scheduler, "StepLR"):
        pytest.skip("tinyoptim.optim.lr_scheduler.StepLR is not there yet")
    w = tinyoptim.tensor([1.0], requires_grad=True)
    optimizer = SGD([w], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = tinyoptim.History(optimizer, grad_norm=False)
    for _ in range(3):
        w.grad = tinyoptim.ones(1)
        optimizer.step()
        scheduler.step()
    assert history.lr == [(1.0,), (0.5,), (0.25,)]
    assert history.grad_norm == [None, None, None]


def test_lbfgs_records_the_first_closure_value():
    lbfgs = getattr(tinyoptim.optim, "LBFGS", None)
    if lbfgs is None:
        pytest.skip("tinyoptim.optim has no LBFGS yet")
    x = tinyoptim.tensor([2.0, -1.0], dtype="float64", requires_grad=True)
    optimizer = lbfgs([x], max_iter=5)
    history = tinyoptim.History(optimizer)

    def closure():
        optimizer.zero_grad()
        loss = ((x - 1.0) ** 2).sum()
        loss.backward()
        return loss

    returned = optimizer.step(closure)
    assert history.loss == [returned.item()] == [5.0]
    assert history.grad_norm[0] < 1e-6  # the last gradient the closure computed


def test_sparse_gradients_count_in_the_norm():
    sparse_adam = getattr(tinyoptim.optim, "SparseAdam", None)
    if sparse_adam is None:
        pytest.skip("tinyoptim.optim has no SparseAdam yet")
    table = nn.Embedding(5, 2, sparse=True)
    optimizer = sparse_adam(table.parameters())
    history = tinyoptim.History(optimizer)
    table(tinyoptim.tensor([1, 1, 3])).sum().backward()  # row 1 twice: its grad is 2
    optimizer.step()
    assert history.grad_norm == [pytest.approx(math.sqrt(4 * 2 + 1 * 2))]


def test_detach_stops_recording_and_as_dict():
    w, _, optimizer = _quadratic_setup()
    history = tinyoptim.History().attach(optimizer)
    w.grad = tinyoptim.ones(2, device=w.device)
    optimizer.step()
    history.detach()
    optimizer.step()
    assert len(history) == 1
    record = history.as_dict()
    assert record["lr"] == [[0.1, 0.01]] and record["grad_norm"] == [pytest.approx(math.sqrt(2))]
    assert set(record) == {"loss", "lr", "grad_norm", "step_time"}


def test_two_histories_on_one_optimizer():
    w = tinyoptim.tensor([1.0], requires_grad=True)
    optimizer = Adam([w])
    first, second = tinyoptim.History(optimizer), tinyoptim.History(optimizer)
    w.grad = tinyoptim.ones(1)
    optimizer.step()
    assert len(first) == len(second) == 1


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    w, b, optimizer = _quadratic_setup()
    history = tinyoptim.History(optimizer)
    for _ in range(5):
        optimizer.zero_grad()
        loss = (w * w).sum() + (b * b).sum()
        loss.backward()
        optimizer.step()
        history.log_loss(loss)
    figure = history.plot(tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes) == 4
    assert tinyoptim.History().plot() is not None  # an empty history draws empty panels


def test_plot_without_matplotlib_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ModuleNotFoundError, match=r"tinyoptim\[plot\]"):
        tinyoptim.History().plot()
