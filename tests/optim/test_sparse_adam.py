"""SparseAdam: validation, lazy rows, and row-sparse gradients vs torch (TORCH_OPTIM.md §3.6)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.sparse import SparseGrad
from tinyoptim.optim import SparseAdam

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(lr=0.0), ValueError, "Invalid learning rate: 0.0"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(eps=0.0), ValueError, "Invalid epsilon value: 0.0"),
    (dict(betas=(1.0, 0.999)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(-0.1, 0.999)), ValueError, "Invalid beta parameter at index 0: -0.1"),
    (dict(betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    (dict(lr=0.0, eps=0.0), ValueError, "Invalid learning rate: 0.0"),
    (dict(eps=0.0, betas=(1.0, 1.0)), ValueError, "Invalid epsilon value: 0.0"),
]
DENSE = "SparseAdam does not support dense gradients, please consider Adam instead"


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        SparseAdam([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.SparseAdam([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


def test_accepted_odd_values_and_signature():
    SparseAdam([param(2)], betas=(0, 0))  # int betas and zero betas are fine here
    signature = "(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08, maximize=False)"
    assert str(inspect.signature(SparseAdam)) == signature
    keys = list(SparseAdam([param(2)]).defaults)
    assert keys == ["lr", "betas", "eps", "maximize"]
    if torch is not None:
        assert keys == list(torch.optim.SparseAdam([torch.ones(2, requires_grad=True)]).defaults)


def sparse_grad(indices, values, shape, device, dtype="float64"):
    """tinyoptim's row-sparse gradient, and torch's sparse COO tensor with the same rows."""
    values = np.asarray(values, dtype=dtype)
    ours = SparseGrad(
        tinyoptim.tensor(np.asarray(indices, dtype=np.int64), device=device).data,
        tinyoptim.tensor(values, device=device).data,
        shape,
        tinyoptim.device(device),
    )
    if torch is None:
        return ours, None
    theirs = torch.sparse_coo_tensor(
        torch.tensor(indices, dtype=torch.int64)[None],
        torch.from_numpy(values.copy()),
        shape,
        check_invariants=True,
    )
    return ours, theirs


def test_dense_gradient_is_refused_before_anything_moves(device):
    table, dense = param(4, 2, device=device), param(3, device=device)
    opt = SparseAdam([table, dense])
    table.grad, _ = sparse_grad([1], [[1.0, 2.0]], (4, 2), device, "float32")
    dense.grad = tinyoptim.ones(3, device=device)
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == DENSE
    assert len(opt.state) == 0  # no step counted for the sparse one either (deviation 5)
    assert table.detach().numpy().tolist() == [[1.0, 1.0]] * 4
    if torch is not None:
        t_p = torch.ones(3, requires_grad=True)
        t_p.grad = torch.ones(3)
        with pytest.raises(RuntimeError) as info:
            torch.optim.SparseAdam([t_p]).step()
        assert str(info.value) == DENSE


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, maximize=True)],
    ids=str,
)
@pytest.mark.parametrize("shape", [(6, 3), (6,)], ids=str)
def test_sparse_gradients_match_torch(shape, kwargs, dtype, device):
    """Repeated rows are summed first; untouched rows keep value and both moments (they do
    not decay); an empty gradient still counts a step; a parameter without grad is skipped."""
    if torch is None:
        pytest.skip("needs torch 2.13")
    tinyoptim.set_default_dtype(dtype)
    rng = np.random.default_rng(3)
    table0 = rng.standard_normal(shape).astype(dtype)
    table = tinyoptim.tensor(table0, device=device, requires_grad=True)
    idle = tinyoptim.tensor(table0, device=device, requires_grad=True)
    opt = SparseAdam([table, idle], **kwargs)
    t_table = torch.tensor(table0, requires_grad=True)
    t_opt = torch.optim.SparseAdam([t_table], **kwargs)
    schedule = [[1, 4, 1], [0, 5], [], [4, 4, 2, 1], [0, 1, 2, 4, 5]] * 4
    tol = 1e-5 if dtype == "float32" else 1e-12
    for k, rows in enumerate(schedule):
        values = rng.standard_normal((len(rows),) + shape[1:])
        table.grad, t_table.grad = sparse_grad(rows, values, shape, device, dtype)
        opt.step()
        t_opt.step()
        state, t_state = opt.state[table], t_opt.state[t_table]
        assert type(state["step"]) is int and state["step"] == t_state["step"] == k + 1
        for ours, theirs in (
            (table, t_table),
            (state["exp_avg"], t_state["exp_avg"]),
            (state["exp_avg_sq"], t_state["exp_avg_sq"]),
        ):
            got, want = ours.detach().numpy(), theirs.detach().numpy()
            assert got.dtype == want.dtype
            assert (np.abs(got - want) <= tol * np.maximum(1, np.abs(want))).all()
        # row 3 is never touched: its value and moments are exactly as they started
        assert (table.detach().numpy()[3] == table0[3]).all()
        assert (state["exp_avg"].numpy()[3] == 0).all()
    assert idle not in opt.state


def test_spec_row(device):
    """TORCH_OPTIM.md §9: a (4, 1) parameter, rows {0, 2} at odd t and {1, 2} at even t."""
    p = tinyoptim.tensor([[1.0], [-2.0], [3.0], [0.5]], dtype="float64", device=device)
    p.requires_grad = True
    opt = SparseAdam([p], lr=0.1)
    for t in range(1, 6):
        full = [0.1 * t, -0.2, 0.3 * (-1) ** t, 0.05 * (3 - t)]
        rows = [0, 2] if t % 2 else [1, 2]
        p.grad, _ = sparse_grad(rows, [[full[r]] for r in rows], (4, 1), device)
        opt.step()
    expected = [0.742733992506208, -1.84749223354926, 3.14349439446285, 0.5]
    np.testing.assert_allclose(p.detach().numpy()[:, 0], expected, rtol=1e-13, atol=0)


def test_state_keys_and_laziness(device):
    p = param(3, 2, device=device)
    opt = SparseAdam([p])
    assert len(opt.state) == 0
    p.grad, _ = sparse_grad([2], [[1.0, -1.0]], (3, 2), device, "float32")
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq"]
    assert state["step"] == 1
    for key in ("exp_avg", "exp_avg_sq"):  # dense, like the parameter
        assert state[key].shape == p.shape and state[key].dtype == p.dtype
        assert state[key].device == p.device


def test_resume_is_bitwise(device):
    rng = np.random.default_rng(5)
    table0 = rng.standard_normal((5, 2))
    steps = [(list(rng.integers(0, 5, 3)), rng.standard_normal((3, 2))) for _ in range(8)]

    def run(split=None):
        table = tinyoptim.tensor(table0, device=device, requires_grad=True)
        opt = SparseAdam([table], lr=0.1)
        for k, (rows, values) in enumerate(steps):
            if k == split:
                saved = opt.state_dict()
                table = tinyoptim.tensor(table.detach().numpy(), device=device, requires_grad=True)
                opt = SparseAdam([table], lr=0.1)
                opt.load_state_dict(saved)
                assert split == 0 or type(opt.state[table]["step"]) is int
            table.grad, _ = sparse_grad(rows, values, (5, 2), device)
            opt.step()
        return table.detach().numpy()

    straight = run()
    for split in (0, 3):
        np.testing.assert_array_equal(run(split), straight)


def test_sparse_embedding_end_to_end(device):
    table = tinyoptim.nn.Embedding(5, 2, sparse=True).to(device)
    before = np.array(table.weight.detach().numpy())
    opt = SparseAdam(list(table.parameters()), lr=0.1)
    table(tinyoptim.tensor([1, 3, 1], device=device)).sum().backward()
    assert table.weight.grad.is_sparse
    opt.step()
    after = table.weight.detach().numpy()
    # first step: m = 0.1 g, v = 0.001 g^2, so the move is lr * g / (|g| + eps/sqrt(.001)...)
    # which is lr to ~1e-6 for g of order one
    np.testing.assert_allclose(after[[1, 3]], before[[1, 3]] - 0.1, rtol=1e-5)
    np.testing.assert_array_equal(after[[0, 2, 4]], before[[0, 2, 4]])
