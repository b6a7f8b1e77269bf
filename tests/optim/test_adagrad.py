"""Adagrad: validation, eager state, and row-sparse gradients (TORCH_OPTIM.md §3.5)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.autograd.sparse import SparseGrad
from tinyoptim.optim import Adagrad

ERRORS = [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(lr_decay=-1.0), ValueError, "Invalid lr_decay value: -1.0"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (
        dict(initial_accumulator_value=-1.0),
        ValueError,
        "Invalid initial_accumulator_value value: -1.0",
    ),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
    (dict(lr=-1.0, lr_decay=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (dict(lr_decay=-1.0, weight_decay=-1.0), ValueError, "Invalid lr_decay value: -1.0"),
    (
        dict(weight_decay=-1.0, initial_accumulator_value=-1.0),
        ValueError,
        "Invalid weight_decay value: -1.0",
    ),
    (
        dict(initial_accumulator_value=-1.0, eps=-1.0),
        ValueError,
        "Invalid initial_accumulator_value value: -1.0",
    ),
    (
        dict(fused=True, foreach=True),
        RuntimeError,
        "`fused` and `foreach` cannot be `True` together.",
    ),
]


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_validation_errors_match_torch(kwargs, kind, message):
    with pytest.raises(kind) as info:
        Adagrad([param(2)], **kwargs)
    assert str(info.value) == message
    if torch is not None:
        with pytest.raises(kind) as info:
            torch.optim.Adagrad([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(info.value) == message


def test_fused_needs_the_cpu_and_differentiable_is_refused():
    p = param(2, device="strict")
    opt = Adagrad([p], fused=True)  # as in torch, the device is checked at the first step
    p.grad = tinyoptim.ones(2, device="strict")
    with pytest.raises(
        RuntimeError, match=r"`fused=True` requires .* but tinyoptim.float32 and strict"
    ):
        opt.step()
    with pytest.raises(ValueError, match="tinyoptim does not support differentiable=True"):
        Adagrad([param(2)], differentiable=True)


def test_defaults_in_torchs_order():
    keys = list(Adagrad([param(2)]).defaults)
    assert keys == [
        "lr",
        "lr_decay",
        "eps",
        "weight_decay",
        "initial_accumulator_value",
        "foreach",
        "maximize",
        "differentiable",
        "fused",
    ]
    if torch is not None:
        assert keys == list(torch.optim.Adagrad([torch.ones(2, requires_grad=True)]).defaults)


def test_state_is_eager_and_ignores_a_per_group_accumulator(device):
    tinyoptim.set_default_dtype("float64")
    a, b = param(2, device=device), param(3, device=device)
    opt = Adagrad(
        [{"params": [a]}, {"params": [b], "initial_accumulator_value": 5.0}],
        initial_accumulator_value=0.25,
    )
    for p in (a, b):  # made in the constructor, from the constructor's value (torch's quirk)
        state = opt.state[p]
        assert list(state) == ["step", "sum"]
        assert state["step"].shape == () and state["step"].device == tinyoptim.device("cpu")
        assert state["step"].dtype == tinyoptim.float64 and state["step"].item() == 0.0
        assert state["sum"].device == p.device and state["sum"].dtype == p.dtype
        assert state["sum"].tolist() == [0.25] * p.numel()
    assert list(opt.state_dict()["state"]) == [0, 1]


@pytest.mark.parametrize("foreach", [False, None])
def test_a_later_group_gets_lazy_state_from_the_defaults(foreach, device):
    a, late = param(2, device=device), param(2, device=device)
    opt = Adagrad([a], lr=0.5, initial_accumulator_value=1.0, foreach=foreach)
    opt.add_param_group({"params": [late], "initial_accumulator_value": 7.0})
    assert late not in opt.state
    late.grad = tinyoptim.ones(2, device=device)
    opt.step()
    assert opt.state[late]["sum"].tolist() == [2.0, 2.0]  # 1 (defaults) + g^2, not 7 + g^2
    assert opt.state[late]["step"].item() == 1.0
    assert opt.state[a]["step"].item() == 0.0  # no grad: eager state, but no step
    np.testing.assert_allclose(late.detach().numpy(), 1 - 0.5 / (2**0.5 + 1e-10))


def test_matches_torch_with_a_later_group():
    if torch is None:
        pytest.skip("needs torch 2.13")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(3) for _ in range(2)]
    grads = [[rng.standard_normal(3) for _ in range(2)] for _ in range(4)]
    results = []
    for lib in (tinyoptim, torch):
        ps = [lib.tensor(v, requires_grad=True) for v in values]
        opt = lib.optim.Adagrad([ps[0]], lr=0.1, initial_accumulator_value=0.3, lr_decay=0.1)
        opt.add_param_group({"params": [ps[1]], "initial_accumulator_value": 9.0})
        for step in grads:
            for p, g in zip(ps, step):
                p.grad = lib.tensor(g)
            opt.step()
        results.append([p.detach().numpy() for p in ps])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def sparse_grad(indices, values, shape, device):
    """tinyoptim's row-sparse gradient, and torch's sparse COO tensor with the same rows."""
    ours = SparseGrad(
        tinyoptim.tensor(np.asarray(indices), device=device).data,
        tinyoptim.tensor(np.asarray(values), device=device).data,
        shape,
        tinyoptim.device(device),
    )
    if torch is None:
        return ours, None
    theirs = torch.sparse_coo_tensor(
        torch.tensor(indices)[None],
        torch.from_numpy(np.asarray(values)),
        shape,
        check_invariants=True,
    )
    return ours, theirs


@pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")  # torch's own
@pytest.mark.parametrize("foreach", [False, None])
@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.3, lr_decay=0.2, maximize=True)], ids=str)
@pytest.mark.parametrize("shape", [(6, 3), (6,)], ids=str)
def test_sparse_gradients_match_torch(shape, kwargs, foreach, device):
    """Repeated rows are summed before squaring; untouched rows keep sum and value; a dense
    parameter in the same group takes the ordinary update alongside, and the sparse one
    can take a dense gradient later."""
    if torch is None:
        pytest.skip("needs torch 2.13")
    rng = np.random.default_rng(1)
    table0, dense0 = rng.standard_normal(shape), rng.standard_normal(4)
    table = tinyoptim.tensor(table0, device=device, requires_grad=True)
    dense = tinyoptim.tensor(dense0, device=device, requires_grad=True)
    opt = Adagrad([table, dense], initial_accumulator_value=0.1, foreach=foreach, **kwargs)
    t_table = torch.tensor(table0, requires_grad=True)
    t_dense = torch.tensor(dense0, requires_grad=True)
    t_opt = torch.optim.Adagrad([t_table, t_dense], initial_accumulator_value=0.1, **kwargs)
    for k, rows in enumerate([[1, 4, 1], [0, 5], [4, 4, 2, 1], None, [2, 0, 2]]):
        if k == 3:  # row 3 never had a gradient: its sum and value are untouched
            assert (table.detach().numpy()[3] == table0[3]).all()
            assert (opt.state[table]["sum"].numpy()[3] == 0.1).all()
        if rows is None:  # a dense gradient for the same parameter, then sparse again
            g = rng.standard_normal(shape)
            table.grad, t_table.grad = tinyoptim.tensor(g, device=device), torch.tensor(g)
        else:
            values = rng.standard_normal((len(rows),) + shape[1:])
            table.grad, t_table.grad = sparse_grad(rows, values, shape, device)
        g = rng.standard_normal(4)
        dense.grad, t_dense.grad = tinyoptim.tensor(g, device=device), torch.tensor(g)
        opt.step()
        t_opt.step()
        for p, t_p in ((table, t_table), (dense, t_dense)):
            np.testing.assert_allclose(p.detach().numpy(), t_p.detach().numpy(), rtol=1e-13)
            ours, theirs = opt.state[p], t_opt.state[t_p]
            np.testing.assert_allclose(ours["sum"].numpy(), theirs["sum"].numpy(), rtol=1e-13)
            assert ours["step"].item() == theirs["step"].item() == k + 1


def test_sparse_embedding_gradient_end_to_end(device):
    table = tinyoptim.nn.Embedding(5, 2, sparse=True).to(device)
    before = np.array(table.weight.detach().numpy())  # a copy: the step is in place
    opt = Adagrad(table.parameters(), lr=0.1)
    table(tinyoptim.tensor([1, 3, 1], device=device)).sum().backward()
    assert table.weight.grad.is_sparse
    opt.step()
    after = table.weight.detach().numpy()
    # row 1 got g = 2, row 3 g = 1: each moves by lr * g / sqrt(g^2) = lr
    np.testing.assert_allclose(after[[1, 3]], before[[1, 3]] - 0.1, rtol=1e-6)
    np.testing.assert_array_equal(after[[0, 2, 4]], before[[0, 2, 4]])


@pytest.mark.parametrize("foreach", [False, None])
def test_sparse_gradient_with_weight_decay_is_refused_before_any_write(foreach, device):
    a, table = param(2, device=device), param(4, 2, device=device)
    opt = Adagrad([a, table], weight_decay=0.1, foreach=foreach)
    a.grad = tinyoptim.ones(2, device=device)
    table.grad, _ = sparse_grad([0, 2], np.ones((2, 2), np.float32), (4, 2), device)
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == "weight_decay option is not compatible with sparse gradients"
    assert a.tolist() == [1.0, 1.0] and opt.state[a]["step"].item() == 0.0
    assert opt.state[a]["sum"].tolist() == [0.0, 0.0]
