"""The Optimizer base class: construction, groups, zero_grad, hooks, state_dict (§2)."""

from __future__ import annotations

import numpy as np
import pytest

import tinyoptim
from tinyoptim.optim import SGD, Optimizer, required
from tinyoptim.optim.optimizer import register_optimizer_step_pre_hook


def param(*shape, device=None):
    return tinyoptim.ones(*shape, device=device, requires_grad=True)


ERRORS = [
    (lambda p: SGD([p], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda p: SGD([p], lr=0.1, momentum=-0.1), ValueError, "Invalid momentum value: -0.1"),
    (lambda p: SGD([p], lr=0.1, weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (
        lambda p: SGD([p], lr=0.1, nesterov=True),
        ValueError,
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    (
        lambda p: SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        ValueError,
        "Nesterov momentum requires a momentum and zero dampening",
    ),
    (lambda p: SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda p: SGD(iter([]), lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (
        lambda p: SGD(p, lr=0.1),
        TypeError,
        "params argument given to the optimizer should be an iterable of Tensors or dicts, "
        "but got tinyoptim.Tensor",
    ),
    (
        lambda p: SGD([1.0], lr=0.1),
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is float",
    ),
    (
        lambda p: SGD([None], lr=0.1),
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is NoneType",
    ),
    (
        lambda p: SGD({"params": [p]}, lr=0.1),
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is str",
    ),
    (
        lambda p: SGD([p, {"params": [p]}], lr=0.1),
        TypeError,
        "optimizer can only optimize Tensors, but one of the params is dict",
    ),
    (lambda p: SGD([{"lr": 0.1}]), KeyError, "'params'"),
    (
        lambda p: SGD([{"params": {p}}], lr=0.1),
        TypeError,
        "optimizer parameters need to be organized in ordered collections, but the ordering "
        "of tensors in sets will change between runs. Please use a list instead.",
    ),
    (
        lambda p: SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
        ValueError,
        "some parameters appear in more than one parameter group",
    ),
    (lambda p: SGD([p * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (
        lambda p: SGD([p]),
        ValueError,
        "parameter group didn't specify a value of required optimization parameter lr",
    ),
    (
        lambda p: SGD([p], lr=0.1, differentiable=True),
        ValueError,
        "tinyoptim does not support differentiable=True (there are no CUDA graphs or "
        "higher-order gradients here); leave it False",
    ),
]


@pytest.mark.parametrize("make, kind, message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_validation_errors(make, kind, message):
    with pytest.raises(kind) as info:
        make(param(2))
    text = str(info.value) if kind is not KeyError else repr(info.value.args[0])
    assert text == message


def test_required_sentinel_and_per_group_lr():
    assert repr(required) == "<required parameter>"
    a, b = param(2), param(3)
    opt = SGD([{"params": [a], "lr": 0.5}, {"params": [b], "lr": 0.1, "foo": 1}])
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert opt.param_groups[1]["foo"] == 1


def test_duplicate_in_group_warns():
    p = param(2)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([p, p], lr=0.1)


def test_set_at_top_level_and_generators_are_accepted():
    p = param(2)
    assert len(SGD({p}, lr=0.1).param_groups[0]["params"]) == 1
    assert len(SGD((q for q in [p]), lr=0.1).param_groups[0]["params"]) == 1


def test_named_parameters():
    a, b = param(2), param(3)
    opt = SGD([("a", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    with pytest.raises(ValueError, match="Some param names are missing"):
        SGD([("a", a), b], lr=0.1)


def test_group_key_order_matches_torch():
    opt = SGD([param(2)], lr=0.1, momentum=0.9)
    assert list(opt.state_dict()["param_groups"][0]) == [
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
        "foreach",
        "differentiable",
        "fused",
        "params",
    ]


def test_zero_grad_keeps_the_array_by_default(device):
    p = param(3, device=device)
    (p * 2).sum().backward()
    grad, array = p.grad, p.grad.data
    opt = SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad is grad and p.grad.data is array
    assert p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad(set_to_none=True)
    assert p.grad is None


def test_none_grads_are_skipped_and_get_no_state():
    a, b = param(2), param(2)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = tinyoptim.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0]
    assert list(opt.state_dict()["state"]) == [0]


def test_step_returns_closure_loss_and_runs_it_with_grad():
    p = param(2)
    opt = SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(tinyoptim.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tinyoptim.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and loss.item() == 2.0
    assert np.allclose(p.detach().numpy(), 0.8)


def test_hook_order():
    p = param(2)
    opt = SGD([p], lr=0.1)
    order = []
    handles = [
        register_optimizer_step_pre_hook(lambda o, a, k: order.append("global pre")),
        opt.register_step_pre_hook(lambda o, a, k: order.append("pre")),
        opt.register_step_post_hook(lambda o, a, k: order.append("post")),
    ]
    p.grad = tinyoptim.ones(2)
    opt.step()
    for h in handles:
        h.remove()
    opt.step()
    assert order == ["global pre", "pre", "post"]


def test_state_dict_round_trip_copies_and_checks_shapes():
    p = param(2, 2)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = tinyoptim.ones(2, 2)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["momentum_buffer"] is opt.state[p]["momentum_buffer"]
    fresh = SGD([p], lr=0.5, momentum=0.9)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.1
    loaded = fresh.state[p]["momentum_buffer"]
    assert loaded is not sd["state"][0]["momentum_buffer"]
    assert loaded.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    bad = {"state": {0: {"momentum_buffer": tinyoptim.ones(3)}}, "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match=r"parameter 0 has 'momentum_buffer' of shape \(3,\)"):
        fresh.load_state_dict(bad)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        fresh.load_state_dict({"state": {}, "param_groups": []})


def test_load_state_dict_moves_state_to_the_parameters_device():
    p = param(2, device="cpu")
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = tinyoptim.ones(2, device="cpu")
    opt.step()
    q = param(2, device="strict")
    other = SGD([q], lr=0.1, momentum=0.9)
    other.load_state_dict(opt.state_dict())
    assert other.state[q]["momentum_buffer"].device == tinyoptim.device("strict")


def test_failed_step_changes_nothing():
    a, b = param(2, device="cpu"), param(2, device="strict")
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = tinyoptim.ones(2, device="cpu"), tinyoptim.ones(2, device="strict")
    opt.step()
    b.data = b.to("cpu").data  # b's state stays on strict: the next step must refuse
    b._device = tinyoptim.device("cpu")
    before = [a.tolist(), b.tolist(), opt.state[a]["momentum_buffer"].tolist()]
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        opt.step()
    assert before == [a.tolist(), b.tolist(), opt.state[a]["momentum_buffer"].tolist()]


def test_state_nbytes_and_repr():
    p = param(4)
    opt = SGD([p], lr=0.1, momentum=0.9)
    assert opt.state_nbytes() == 0
    p.grad = tinyoptim.ones(4)
    opt.step()
    assert opt.state_nbytes() == 16
    assert repr(opt).startswith("SGD (\nParameter Group 0\n    dampening: 0\n")


def test_repr_of_several_groups_and_none_is_torchs():
    opt = SGD([{"params": [param(1)]}, {"params": [param(1)], "lr": 0.5}], lr=0.1)
    keys = ["dampening: 0", "differentiable: False", "foreach: None", "fused: None"]
    tail = ["maximize: False", "momentum: 0", "nesterov: False", "weight_decay: 0"]

    def group(i, lr):
        return f"Parameter Group {i}\n" + "".join(f"    {k}\n" for k in [*keys, lr, *tail])

    assert repr(opt) == f"SGD (\n{group(0, 'lr: 0.1')}\n{group(1, 'lr: 0.5')})"
    opt.param_groups.clear()
    assert repr(opt) == "SGD ()"


def test_base_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer([param(2)], {}).step()


@pytest.mark.parametrize("foreach", [False, None])
def test_sgd_without_momentum_keeps_no_state(foreach):
    big = param(1 << 15)  # large enough for the compiled kernel where numba is installed
    small = param(3)
    opt = SGD([big, small], lr=0.1, foreach=foreach)
    for _ in range(2):
        big.grad, small.grad = tinyoptim.ones(1 << 15), tinyoptim.ones(3)
        opt.step()
    assert opt.state_dict()["state"] == {}  # torch's layout: no entries at all
    assert np.allclose(small.detach().numpy(), 0.8) and np.allclose(big.detach().numpy(), 0.8)


def test_constructor_comparisons_are_torchs():
    """Each optimizer tests its arguments with torch's own comparison, so NaN and wrongly
    typed values fare as they do there."""
    nan = float("nan")
    SGD([param(2)], lr=nan, weight_decay=nan)  # SGD tests lr < 0: NaN passes
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        tinyoptim.optim.Adam([param(2)], lr=nan)  # Adam tests 0 <= lr
    with pytest.raises(TypeError, match="'<' not supported between instances of 'NoneType'"):
        SGD([param(2)], lr=None)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'float'"):
        tinyoptim.optim.SparseAdam([param(2)], lr=None)
    for name in ("Adam", "AdamW", "SparseAdam", "Adamax", "NAdam", "RAdam"):
        with pytest.raises(IndexError):  # betas[1] of a 1-tuple
            getattr(tinyoptim.optim, name)([param(2)], betas=(0.9,))


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam"])
def test_betas_given_as_a_list(name):
    """Adam and AdamW store them as a tuple, the others as given (torch)."""
    opt = getattr(tinyoptim.optim, name)([param(2)], betas=[0.8, 0.9])
    expected = (0.8, 0.9) if name != "NAdam" else [0.8, 0.9]
    assert opt.param_groups[0]["betas"] == expected
    assert type(opt.param_groups[0]["betas"]) is type(expected)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adafactor"])
def test_a_copied_optimizer_steps_on_as_the_original(name, how):
    import copy
    import pickle

    rng = np.random.default_rng(0)
    weight = tinyoptim.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    opt = getattr(tinyoptim.optim, name)([weight], lr=0.1, foreach=None)
    opt.register_step_post_hook(lambda *args: None)
    weight.grad = tinyoptim.ones_like(weight)
    opt.step()
    copied_weight, copied = (
        copy.deepcopy((weight, opt))
        if how == "deepcopy"
        else pickle.loads(pickle.dumps((weight, opt)))
    )
    assert not copied._step_post_hooks  # torch drops hooks on copy too
    for w, o in ((weight, opt), (copied_weight, copied)):
        w.grad = tinyoptim.full_like(w, 0.5)
        o.step()
    np.testing.assert_array_equal(copied_weight.tolist(), weight.tolist())
    state, copied_state = opt.state[weight], copied.state[copied_weight]
    assert state.keys() == copied_state.keys()
    for key in state:
        np.testing.assert_array_equal(copied_state[key].tolist(), state[key].tolist())


def test_the_given_group_dict_becomes_the_group_as_in_torch():
    w, b = param(2), param(1)
    head = {"params": [("b", b)], "lr": 0.1}
    opt = tinyoptim.optim.Adam([{"params": [("w", w)]}, head])
    assert opt.param_groups[1] is head
    assert list(head)[:4] == ["params", "lr", "param_names", "betas"]  # names after lr
    assert head["params"][0] is b and head["param_names"] == ["b"]
    head["lr"] = 0.01  # an edit through the caller's dict reaches the optimizer
    assert opt.param_groups[1]["lr"] == 0.01


def test_a_subclass_keeps_an_int_step_through_load_state_dict():
    class Counting(Optimizer):  # counts in Python ints, as torch's base class allows
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):
            for p in self.param_groups[0]["params"]:
                state = self.state[p]
                state["step"] = state.get("step", 0) + 1

    w = param(2)
    first, second = Counting([w]), Counting([w])
    first.step()
    first.step()
    second.load_state_dict(first.state_dict())
    assert second.state[w]["step"] == 2 and type(second.state[w]["step"]) is int
    saved = tinyoptim.optim.Adam([w]).state_dict()
    saved["state"] = {
        0: {"step": 3, "exp_avg": tinyoptim.zeros(2), "exp_avg_sq": tinyoptim.zeros(2)}
    }
    adam = tinyoptim.optim.Adam([w])
    adam.load_state_dict(saved)
    assert isinstance(adam.state[w]["step"], tinyoptim.Tensor)  # Adam's __setstate__ does


DUPLICATED = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax"]
DUPLICATED += ["Adadelta", "ASGD", "Rprop"]


@pytest.mark.filterwarnings("ignore:optimizer contains a parameter group with duplicate")
@pytest.mark.parametrize("foreach", [None, True])
@pytest.mark.parametrize("name", DUPLICATED)
def test_a_parameter_listed_twice_is_updated_twice_as_torch(name, foreach):
    """torch only warns, and its single-tensor loop updates the parameter once per listing
    over one shared state: the fast path must not merge the listings."""
    results = []
    for lib, options in [(tinyoptim, {"foreach": foreach}), (tinyoptim, {"foreach": False})]:
        p = lib.tensor([1.0, 2.0, -1.0], dtype=lib.float64, requires_grad=True)
        q = lib.tensor([0.5, -0.5], dtype=lib.float64, requires_grad=True)
        extra = {"momentum": 0.9} if name == "SGD" else {}
        opt = getattr(lib.optim, name)([p, q, p], lr=0.1, **extra, **options)
        for k in range(3):
            p.grad = lib.tensor([0.5, -0.5, 0.25 * (k + 1)], dtype=lib.float64)
            q.grad = lib.tensor([1.0, 2.0], dtype=lib.float64)
            opt.step()
        results.append(p.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.filterwarnings("ignore:optimizer contains a parameter group with duplicate")
def test_listed_twice_values_from_torch():
    p = tinyoptim.tensor([1.0, 2.0], requires_grad=True)
    adam = tinyoptim.optim.Adam([p, p], lr=0.1)
    p.grad = tinyoptim.tensor([0.5, -0.5])
    adam.step()
    np.testing.assert_allclose(p.tolist(), [0.8, 2.2], rtol=1e-6)
    assert adam.state[p]["step"].item() == 2.0
    w = tinyoptim.tensor([1.0], requires_grad=True)
    sgd = tinyoptim.optim.SGD([w, w], lr=0.1, momentum=0.9)
    for _ in range(2):
        w.grad = tinyoptim.tensor([1.0])
        sgd.step()
    # first step: each listing starts its own buffer; the second shares the kept one
    np.testing.assert_allclose(w.tolist(), [0.339], rtol=1e-6)
    np.testing.assert_allclose(sgd.state[w]["momentum_buffer"].tolist(), [2.71], rtol=1e-6)


def test_a_non_tensor_param_is_named_as_torch_typename_names_it():
    import decimal

    for bad, name in [(np.ones(2), "numpy.ndarray"), (decimal.Decimal(1), "decimal.Decimal"),
                      (3, "int"), (None, "NoneType")]:  # fmt: skip
        with pytest.raises(TypeError, match=f"one of the params is {name}$"):
            tinyoptim.optim.SGD([bad], lr=0.1)
