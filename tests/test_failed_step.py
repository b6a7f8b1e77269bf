"""API.md deviation 5: a ``step()`` that raises leaves every parameter and state value as it was.

Each case makes one good step (so state exists), then a step that fails validation on the
*last* parameter: a parameter moved to another device than its state, a sparse gradient
where the optimizer takes none, a dense gradient to SparseAdam. Every parameter and every
state value is snapshotted bitwise before the failing step and compared after it.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tinyoptim import nn, optim

# (class, hyperparameters): every option that creates state is on.
CASES = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, {"amsgrad": True}),
    (optim.AdamW, {}),
    (optim.Adamax, {}),
    (optim.Adadelta, {}),
    (optim.Adagrad, {}),
    (optim.ASGD, {"t0": 0}),
    (optim.RMSprop, {"momentum": 0.9, "centered": True}),
    (optim.Rprop, {}),
    (optim.NAdam, {}),
    (optim.RAdam, {}),
    (optim.Adafactor, {}),
]
FAST_PATHS = [{"foreach": False}, {"foreach": True}]
TAKES_SPARSE = (optim.SGD, optim.Adagrad)


def _snapshot(opt) -> list:
    """Bytes of every parameter and every state value, in a fixed order."""
    out = []
    for group in opt.param_groups:
        for p in group["params"]:
            out.append(("param", p.detach().numpy().tobytes()))
            for key, value in sorted(opt.state.get(p, {}).items()):
                if isinstance(value, tinyoptim.Tensor):
                    value = value.detach().numpy()
                if isinstance(value, np.ndarray):
                    out.append((key, value.dtype.str, value.shape, value.tobytes()))
                else:
                    out.append((key, repr(value)))
    return out


def _params(shape=(3, 2)):
    tinyoptim.manual_seed(0)
    a = nn.Parameter(tinyoptim.randn(*shape, device="cpu"))
    b = nn.Parameter(tinyoptim.randn(*shape, device="strict"))
    return a, b


def _good_step(opt, params) -> None:
    for i, p in enumerate(params):
        p.grad = tinyoptim.full(tuple(p.shape), 0.5 + i, device=p.device)
    opt.step()


def _moved_to_cpu(p) -> None:
    """Move ``p`` to the CPU behind the optimizer's back (its state stays on strict)."""
    p.data = p.to("cpu").data
    p._device = tinyoptim.device("cpu")


def _fails_unchanged(opt, error, match) -> None:
    before = _snapshot(opt)
    with pytest.raises(error, match=match):
        opt.step()
    assert _snapshot(opt) == before


@pytest.mark.parametrize("fast", FAST_PATHS, ids=lambda f: f"foreach={f['foreach']}")
@pytest.mark.parametrize("cls, hp", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_state_on_another_device(cls, hp, fast):
    a, b = _params()
    opt = cls([a, b], **hp, **fast)
    _good_step(opt, [a, b])
    _moved_to_cpu(b)
    a.grad, b.grad = tinyoptim.ones(3, 2, device="cpu"), tinyoptim.ones(3, 2, device="cpu")
    _fails_unchanged(opt, RuntimeError, "Expected all tensors to be on the same device")


@pytest.mark.parametrize("fast", FAST_PATHS, ids=lambda f: f"foreach={f['foreach']}")
@pytest.mark.parametrize(
    "cls, hp",
    [c for c in CASES if c[0] not in TAKES_SPARSE],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_sparse_grad_where_not_allowed(cls, hp, fast, device):
    tinyoptim.manual_seed(0)
    dense = nn.Parameter(tinyoptim.randn(4, 3, device=device))
    embedding = nn.Embedding(4, 3, sparse=True).to(device)
    opt = cls([dense, embedding.weight], **hp, **fast)
    _good_step(opt, [dense, embedding.weight])
    dense.grad = tinyoptim.ones(4, 3, device=device)
    embedding.weight.grad = None
    embedding(tinyoptim.tensor([0, 2], device=device)).sum().backward()
    assert embedding.weight.grad.is_sparse
    _fails_unchanged(opt, RuntimeError, "does not support sparse gradients")


def test_sparse_adam_dense_grad(device):
    tinyoptim.manual_seed(0)
    first = nn.Embedding(5, 2, sparse=True).to(device)
    second = nn.Embedding(5, 2, sparse=True).to(device)
    opt = optim.SparseAdam([first.weight, second.weight])
    for _ in range(2):
        opt.zero_grad(set_to_none=True)
        (first(tinyoptim.tensor([1, 3], device=device)).sum() * 2).backward()
        second(tinyoptim.tensor([0, 3], device=device)).sum().backward()
        opt.step()
    first(tinyoptim.tensor([4], device=device)).sum().backward()  # a good sparse grad first
    second.weight.grad = tinyoptim.ones(5, 2, device=device)
    _fails_unchanged(
        opt, RuntimeError, "SparseAdam does not support dense gradients, please consider Adam"
    )


def test_sparse_adam_state_on_another_device():
    tinyoptim.manual_seed(0)
    first = nn.Embedding(5, 2, sparse=True).to("cpu")
    second = nn.Embedding(5, 2, sparse=True).to("strict")
    opt = optim.SparseAdam([first.weight, second.weight])
    first(tinyoptim.tensor([1, 3], device="cpu")).sum().backward()
    second(tinyoptim.tensor([0], device="strict")).sum().backward()
    opt.step()
    _moved_to_cpu(second.weight)
    second.weight.grad = None
    second(tinyoptim.tensor([2], device="cpu")).sum().backward()
    _fails_unchanged(opt, RuntimeError, "Expected all tensors to be on the same device")
