"""What ``load_state_dict`` makes of what it is given, as torch's ``load_state_dict`` and
``__setstate__`` do: groups saved before a key existed, steps saved as Python numbers, the
dtypes state is cast to, and the ``differentiable`` default it adds."""

from __future__ import annotations

import pytest

import tinyoptim
from tinyoptim import optim

try:
    import torch
except ImportError:  # the expectations below are written out as well
    torch = None

GROUP_KEYS = {  # the keys each optimizer's __setstate__ gives a group that lacks them
    "SGD": dict(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False),
    "Adam": dict(
        amsgrad=False,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        decoupled_weight_decay=False,
        fused=None,
    ),
    "Adamax": dict(foreach=None, maximize=False, differentiable=False, capturable=False),
    "RMSprop": dict(
        momentum=0,
        centered=False,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ),
    "Adafactor": dict(foreach=None),
}
STEPPING = ["Adam", "AdamW", "NAdam", "ASGD", "Adagrad", "RMSprop", "Rprop", "RAdam"]
STEPPING += ["Adamax", "Adadelta", "Adafactor"]


def _one_step(lib, name, **kwargs):
    p = lib.ones(3, requires_grad=True, dtype=lib.float64, device="cpu")
    opt = getattr(lib.optim, name)([p], **({"lr": 0.1} if name == "SGD" else {}), **kwargs)
    p.grad = lib.ones(3, dtype=lib.float64, device="cpu") * 0.3
    opt.step()
    return p, opt


@pytest.mark.parametrize("name", sorted(GROUP_KEYS))
def test_old_groups_get_torchs_keys_in_torchs_order(name):
    p, opt = _one_step(tinyoptim, name)
    saved = opt.state_dict()
    for key in GROUP_KEYS[name]:
        del saved["param_groups"][0][key]
    fresh = getattr(optim, name)([p], **({"lr": 0.5} if name == "SGD" else {}))
    fresh.load_state_dict(saved)
    group = fresh.param_groups[0]
    assert list(group)[-len(GROUP_KEYS[name]) :] == list(GROUP_KEYS[name])
    assert all(group[k] == v for k, v in GROUP_KEYS[name].items())
    fresh.step()  # and the step finds every key it reads
    if torch is not None:
        q, reference = _one_step(torch, name)
        saved = reference.state_dict()
        for key in GROUP_KEYS[name]:
            del saved["param_groups"][0][key]
        fresh_reference = getattr(torch.optim, name)([q], **({"lr": 0.5} if name == "SGD" else {}))
        fresh_reference.load_state_dict(saved)
        assert list(fresh_reference.param_groups[0]) == list(group)


@pytest.mark.parametrize(
    "name, fused",
    [(n, False) for n in STEPPING] + [(n, True) for n in ("Adam", "AdamW", "Adagrad")],
)
def test_steps_saved_as_numbers_become_tensors(name, fused):
    if fused:
        pytest.importorskip("numba")
    kwargs = {"fused": True} if fused else {}
    results = []
    for lib in (tinyoptim, torch) if torch is not None else (tinyoptim,):
        p, opt = _one_step(lib, name, **kwargs)
        saved = opt.state_dict()
        state = saved["state"][0]
        for key in ("step", "mu_product", "eta", "mu"):
            if key in state:
                state[key] = float(state[key].item())
        fresh = getattr(lib.optim, name)([p], **kwargs)
        fresh.load_state_dict(saved)
        fresh.step()
        scalars = {k: v for k, v in fresh.state[p].items() if v.ndim == 0}
        results.append(
            (
                {k: (str(v.dtype).split(".")[-1], v.item()) for k, v in scalars.items()},
                p.detach().numpy().tolist(),
            )
        )
    scalars, values = results[0]
    assert scalars["step"] == ("float32", 2.0)  # float32: the default dtype's scalar type
    if len(results) == 2:
        assert results[0] == results[1]


def test_sparse_adam_keeps_an_int_step():
    embedding = tinyoptim.nn.Embedding(4, 2, sparse=True, device="cpu")
    opt = optim.SparseAdam(embedding.parameters())
    embedding(tinyoptim.tensor([1], device="cpu")).sum().backward()
    opt.step()
    saved = opt.state_dict()
    fresh = optim.SparseAdam(embedding.parameters())
    fresh.load_state_dict(saved)
    assert fresh.state[embedding.weight]["step"] == 1
    assert type(fresh.state[embedding.weight]["step"]) is int


def test_asgd_eta_and_mu_load_in_the_parameters_dtype():
    p, opt = _one_step(tinyoptim, "ASGD")
    assert opt.state[p]["eta"].dtype == tinyoptim.float32  # the default dtype's, as made
    fresh = optim.ASGD([p])
    fresh.load_state_dict(opt.state_dict())
    state = fresh.state[p]
    assert state["eta"].dtype == state["mu"].dtype == tinyoptim.float64  # torch casts them
    assert state["step"].dtype == tinyoptim.float32  # and never step
    assert state["eta"].item() == opt.state[p]["eta"].item()


@pytest.mark.parametrize("name", ["Adafactor", "SparseAdam", "LBFGS"])
def test_loading_adds_differentiable_to_the_defaults(name):
    a, b = (tinyoptim.ones(2, requires_grad=True, device="cpu") for _ in range(2))
    opt = getattr(optim, name)([a])
    assert "differentiable" not in opt.defaults
    opt.load_state_dict(opt.state_dict())
    assert opt.defaults["differentiable"] is False
    if name != "LBFGS":  # which takes one group only
        opt.add_param_group({"params": [b]})
        assert opt.param_groups[1]["differentiable"] is False
