"""Module's state-dict customization points and hooks, backward hooks and small methods,
checked against torch 2.13 when it is importable (same calls, same arguments, same order)."""

from __future__ import annotations

import warnings

import pytest

import tinyoptim
from tests.torch_ref import torch


def _vals(t):
    """Gradients as comparable values: rounded lists, None kept, tuples kept."""
    if t is None:
        return None
    if isinstance(t, tuple):
        return tuple(_vals(x) for x in t)
    return [round(v, 5) for v in t.flatten().tolist()]


def _same(trace):
    """``trace(lib, device)`` for tinyoptim (on cpu and strict), equal to torch's."""

    def check(device):
        mine = trace(tinyoptim, device)
        if torch is not None:
            assert mine == trace(torch, "cpu")
        return mine

    return check


def _linear(lib, device, n_in, n_out):
    layer = lib.nn.Linear(n_in, n_out).to(device)
    with lib.no_grad():
        layer.weight.copy_(lib.arange(n_in * n_out).reshape(n_out, n_in) * 0.5 - 1)
        layer.bias.fill_(0.25)
    return layer


def _extra_module(lib):
    class WithExtra(lib.nn.Linear):
        count = 7

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    return WithExtra(1, 1)


# -- state dicts ---------------------------------------------------------------------------


def _state_dict_trace(lib, device):
    model = lib.nn.Sequential(_linear(lib, device, 2, 2), _extra_module(lib))
    model.add_module("norm", lib.nn.BatchNorm1d(2))
    calls = []
    for name, m in model.named_modules():
        m.register_state_dict_pre_hook(lambda m, p, kv, n=name: calls.append(("pre", n, p, kv)))
        m.register_state_dict_post_hook(
            lambda m, sd, p, meta, n=name: calls.append(("post", n, p, dict(meta), len(sd)))
        )
    state = model.state_dict(keep_vars=True)
    assert state["0.weight"] is model[0].weight
    metadata = {k: dict(v) for k, v in state._metadata.items()}
    return calls, list(state), metadata, state["1._extra_state"]


def test_state_dict_hooks_keys_and_metadata(device):
    calls, keys, metadata, extra = _same(_state_dict_trace)(device)
    assert calls[:2] == [("pre", "", "", True), ("pre", "0", "0.", True)]
    assert keys[-1] == "norm.num_batches_tracked" and "1._extra_state" in keys
    assert metadata["norm"] == {"version": 2} and metadata["1"] == {"version": 1}
    assert extra == {"count": 7}


def _load_trace(lib, device):
    model = lib.nn.Sequential(_linear(lib, device, 2, 2), _extra_module(lib))
    state = model.state_dict()
    state["1._extra_state"] = {"count": 3}
    state["0.stray"] = lib.zeros(1)
    calls = []
    for name, m in model.named_modules():
        m.register_load_state_dict_pre_hook(
            lambda m, sd, p, meta, strict, missing, unexpected, errors, n=name: calls.append(
                ("pre", n, p, dict(meta), strict, sorted(sd), list(missing), list(unexpected))
            )
        )
        m.register_load_state_dict_post_hook(
            lambda m, keys, n=name: calls.append(("post", n, list(keys[0]), list(keys[1])))
        )
    model[0]._register_load_state_dict_pre_hook(lambda *args: calls.append(len(args)))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    forgiving = model.register_load_state_dict_post_hook(lambda m, keys: keys[1].clear())
    result = model.load_state_dict(state)
    forgiving.remove()
    assert model[1].count == 3
    return calls, str(info.value), repr(result)


def test_load_state_dict_hooks_and_extra_state(device):
    calls, message, result = _same(_load_trace)(device)
    assert calls[0][:5] == ("pre", "", "", {"version": 1}, True)
    assert 7 in calls  # the hook registered without its module gets 7 arguments
    assert message.endswith('Unexpected key(s) in state_dict: "0.stray". ')
    assert result == "<All keys matched successfully>"


def _extra_state_errors(lib, device):
    OnlyGet = type("OnlyGet", (lib.nn.Module,), {"get_extra_state": lambda self: 1})
    OnlySet = type("OnlySet", (lib.nn.Module,), {"set_extra_state": lambda self, state: None})
    messages = []
    state = OnlyGet().state_dict()
    for call in (
        lambda: OnlyGet().load_state_dict(state),
        lambda: OnlySet().load_state_dict({}),
        lambda: lib.nn.Module().get_extra_state(),
    ):
        with pytest.raises(RuntimeError) as info:
            call()
        messages.append(str(info.value).replace("torch.nn", "nn"))
    return list(state), messages, OnlyGet().load_state_dict(state, strict=False)[1]


def test_extra_state_without_its_pair(device):
    keys, messages, unexpected = _same(_extra_state_errors)(device)
    assert keys == unexpected == ["_extra_state"]  # not strict: noted, not raised
    assert 'Unexpected key(s) in state_dict: "_extra_state"' in messages[0]
    assert 'Missing key(s) in state_dict: "_extra_state"' in messages[1]


def _overrides_trace(lib, device):
    class Renamed(lib.nn.Linear):  # saves its weight as "w", and reads it back
        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "w"] = destination.pop(prefix + "weight")

        def _load_from_state_dict(self, state_dict, prefix, *args):
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, *args)

    source, target = lib.nn.Sequential(Renamed(2, 1)), lib.nn.Sequential(Renamed(2, 1))
    state = source.state_dict()
    target.load_state_dict(state)
    same = _vals(target[0].weight) == _vals(source[0].weight)
    # the private post-hook's returned dict is kept by the outermost call only
    outer = lib.nn.Sequential(lib.nn.Linear(1, 1))
    outer._register_state_dict_hook(lambda m, sd, p, meta: {"replaced": 1})
    outer[0]._register_state_dict_hook(lambda m, sd, p, meta: {"ignored": 1})
    keys = list(outer.state_dict())

    def public(m, sd, p, meta):
        return sd

    outer[0].register_state_dict_post_hook(public)
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        outer[0].state_dict()
    with pytest.raises(RuntimeError, match="previously registered via register_state_dict_"):
        outer._register_state_dict_hook(public)
    return list(state), same, keys


def test_save_and_load_overrides_and_private_post_hooks(device):
    assert _same(_overrides_trace)(device) == (["0.bias", "0.w"], True, ["replaced"])


def test_load_with_assign_and_positional_state_dict_args(device):
    layer = tinyoptim.nn.Linear(2, 1).to(device)
    weight = layer.weight
    new = {"weight": tinyoptim.ones(1, 2, device=device), "bias": tinyoptim.zeros(1, device=device)}
    layer.load_state_dict(new, assign=True)
    assert layer.weight is not weight and isinstance(layer.weight, tinyoptim.nn.Parameter)
    assert layer.weight.data is new["weight"].data and layer.weight.requires_grad
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        state = layer.state_dict(None, "head.")
    assert list(state) == ["head.weight", "head.bias"]
    scalar = tinyoptim.nn.Module()
    scalar.register_buffer("s", tinyoptim.zeros((), device=device))
    scalar.load_state_dict({"s": tinyoptim.ones(1)})  # torch's rule for old 0-d checkpoints
    assert scalar.s.item() == 1.0
    with pytest.raises(RuntimeError, match="size mismatch for s"):
        scalar.load_state_dict({"s": tinyoptim.ones(2)})


# -- backward hooks ------------------------------------------------------------------------


def _linear_trace(lib, device):
    layer = _linear(lib, device, 3, 2)
    calls = []
    layer.register_full_backward_pre_hook(lambda m, go: calls.append(("pre", _vals(go))))
    layer.register_full_backward_hook(
        lambda m, gi, go: calls.append(("hook", _vals(gi), _vals(go)))
    )
    x = lib.tensor([[1.0, -2.0, 0.5]], device=device, requires_grad=True)
    out = layer(x)
    (out * lib.tensor([[1.0, 3.0]], device=device)).sum().backward()
    return calls, out.grad_fn.name(), _vals(x.grad), _vals(layer.weight.grad)


def test_full_backward_hooks_on_linear(device):
    calls, name, _, _ = _same(_linear_trace)(device)
    assert name == "BackwardHookFunctionBackward"
    assert calls == [("pre", ([1.0, 3.0],)), ("hook", ([0.5, 2.5, 4.5],), ([1.0, 3.0],))]


def _sequential_trace(lib, device):
    seq = lib.nn.Sequential(_linear(lib, device, 2, 3), lib.nn.ReLU(), _linear(lib, device, 3, 1))
    calls = []
    for name, m in [("seq", seq), ("0", seq[0]), ("1", seq[1]), ("2", seq[2])]:
        m.register_full_backward_pre_hook(lambda m, go, n=name: calls.append(("pre", n)))
        m.register_full_backward_hook(
            lambda m, gi, go, n=name: calls.append(("hook", n, _vals(gi), _vals(go)))
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seq(lib.ones(1, 2, device=device)).sum().backward()  # no input requires grad
    seq(lib.ones(1, 2, device=device, requires_grad=True)).sum().backward()
    return calls, [str(w.message)[:50] for w in caught]


def test_full_backward_hooks_on_a_sequential(device):
    calls, caught = _same(_sequential_trace)(device)
    assert [c[:2] for c in calls[:2]] == [("pre", "seq"), ("hook", "seq")]  # at the outputs
    assert calls[1][2] == (None,) and calls[-1][:2] == ("hook", "seq")
    assert caught == ["Full backward hook is firing when gradients are co"] * 2


def _two_inputs_trace(lib, device):
    class Two(lib.nn.Module):
        def forward(self, a, b, k):
            return a * b, a + k, "label"

    calls = []
    module = Two()
    module.register_full_backward_pre_hook(lambda m, go: calls.append(("pre", _vals(go))))
    module.register_full_backward_hook(
        lambda m, gi, go: calls.append(("hook", _vals(gi), _vals(go)))
    )
    a = lib.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = lib.tensor([3.0, 4.0], device=device)
    first, second, _ = module(a, b, 7)
    first.sum().backward()  # the second output gets no gradient: None
    second, label = module(a, b, 1)[1:]
    (second * 2).sum().backward()
    return calls, _vals(a.grad), label


def test_two_inputs_one_without_grad_and_a_tuple_output(device):
    calls, grad, label = _same(_two_inputs_trace)(device)
    assert calls[:2] == [
        ("pre", ([1.0, 1.0], None, None)),
        ("hook", ([3.0, 4.0], [0.0, 0.0], None), ([1.0, 1.0], None, None)),  # b: zeros
    ]
    assert grad == [5.0, 6.0] and label == "label"


def _replacing_trace(lib, device):
    layer = _linear(lib, device, 2, 1)
    first = layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,), prepend=True)
    x = lib.ones(1, 2, device=device, requires_grad=True)
    layer(x).sum().backward()
    grads = [_vals(x.grad), _vals(layer.weight.grad)]
    first.remove()
    x.grad = None
    layer(x).sum().backward()
    return grads + [_vals(x.grad)]


def test_hooks_replace_gradients_in_order(device):
    assert _same(_replacing_trace)(device) == [[-19.0, -9.0], [10.0, 10.0], [-1.0, 0.0]]


def _hook_errors(lib, device):
    messages = []
    bad = [
        ("full", lambda m, gi, go: (gi[0], gi[0]), True),
        ("pre", lambda m, go: (), True),
        ("full", lambda m, gi, go: (lib.ones(3, device=device),), True),
        ("full", lambda m, gi, go: (lib.ones(2, device=device),), False),
        ("full", lambda m, gi, go: (gi[0].double(),), True),
    ]
    for kind, hook, grad in bad:
        layer = lib.nn.Linear(2, 1).to(device)
        getattr(layer, f"register_full_backward_{'pre_' if kind == 'pre' else ''}hook")(hook)
        with pytest.raises(RuntimeError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer(lib.ones(1, 2, device=device, requires_grad=grad)).sum().backward()
        messages.append(str(info.value).replace("torch.", "tinyoptim."))
    layer = lib.nn.Linear(2, 1)
    layer.register_backward_hook(lambda *args: None)
    relu = lib.nn.ReLU(inplace=True)
    relu.register_full_backward_hook(lambda *args: None)
    for call in (
        lambda: layer.register_full_backward_hook(lambda *args: None),
        lambda: relu(lib.ones(2, device=device, requires_grad=True) * 1),  # changes its input
    ):
        with pytest.raises(RuntimeError) as info:
            call()
        messages.append(str(info.value))
    return messages


def test_backward_hook_errors_use_torch_text(device):
    messages = _same(_hook_errors)(device)
    assert messages[0].endswith("got 2, but expected 1")
    assert messages[2] == "hook 'hook' has changed the size of value"
    assert "DoubleTensor" in messages[4] and "Cannot use both" in messages[5]
    assert messages[6].startswith("Output 0 of BackwardHookFunction is a view and is being mod")


def _deprecated_hook_trace(lib, device):
    calls = []
    sigmoid = lib.nn.Sigmoid()
    sigmoid.register_backward_hook(lambda m, gi, go: calls.append((_vals(gi), _vals(go))))
    x = lib.tensor([0.0, 1.0], device=device, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sigmoid(x).sum().backward()  # a leaf input: torch warns
        sigmoid(x * 1).sum().backward()
    return calls, [(w.category.__name__, str(w.message)[:60]) for w in caught]


def test_deprecated_backward_hook(device):
    calls, caught = _same(_deprecated_hook_trace)(device)
    assert calls == [(([0.25, 0.19661],), ([1.0, 1.0],))] * 2
    assert caught == [
        ("FutureWarning", "Using a non-full backward hook when the forward contains mul")
    ]


def test_backward_hooks_with_autograd_grad_and_no_grad(device):
    layer = tinyoptim.nn.Linear(2, 2).to(device)
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append(len(gi)))
    x = tinyoptim.ones(1, 2, device=device, requires_grad=True)
    (grad,) = tinyoptim.autograd.grad(layer(x).sum(), x)
    assert grad.shape == (1, 2) and calls == [1] and x.grad is None
    with tinyoptim.no_grad():
        assert layer(x).grad_fn is None
    handle.remove()
    layer(x).sum().backward()
    assert calls == [1] and not layer._backward_hooks
    # an output changed in place: torch refuses the in-place op, tinyoptim the backward
    layer.register_full_backward_pre_hook(lambda *args: None)
    out = layer(x)
    out.add_(1)
    with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view and is"):
        out.sum().backward()


# -- small methods -------------------------------------------------------------------------


def _small_methods(lib, device):
    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.ReLU()))
    model.set_submodule("1.0", lib.nn.Tanh())
    model.set_submodule("1.extra", lib.nn.Identity())
    messages = []
    for target, strict in [("", False), ("1.missing", True), ("0.weight", 0), ("2.x", 0), ("0", 0)]:
        module = 3 if target == "0" else lib.nn.Tanh()  # not a module
        with pytest.raises((ValueError, AttributeError)) as info:
            model.set_submodule(target, module, strict=strict)
        messages.append((type(info.value).__name__, str(info.value).split(",")[0]))
    norm = lib.nn.BatchNorm1d(2).to(device)
    weight = norm.weight
    assert norm.share_memory() is norm and norm.type(lib.float64).weight is weight
    dtypes = [str(t.dtype).split(".")[-1] for t in norm.state_dict().values()]
    norm._apply(lambda t: t * 2)
    return [n for n, _ in model.named_modules()], messages, dtypes, _vals(norm.running_var)


def test_set_submodule_type_apply_share_memory(device):
    names, messages, dtypes, running_var = _same(_small_methods)(device)
    assert names == ["", "0", "1", "1.0", "1.extra"]
    assert messages[0] == ("ValueError", "Cannot set the submodule without a target name!")
    assert dtypes == ["float64"] * 5 and running_var == [2.0, 2.0]
    # to_empty: new storage on the device, the same objects
    model = tinyoptim.nn.Sequential(tinyoptim.nn.Linear(2, 3), tinyoptim.nn.BatchNorm1d(3))
    params = list(model.parameters())
    assert model.to_empty(device=device, recurse=True) is model
    assert list(model.parameters()) == params
    assert all(t.device.type == device for t in model.state_dict().values())
    assert model[1].num_batches_tracked.dtype == tinyoptim.int64
    head = tinyoptim.nn.Linear(1, 1, device="cpu")
    head.add_module("inner", tinyoptim.nn.Linear(1, 1, device="cpu"))
    head.to_empty(device="strict", recurse=False)
    assert head.weight.device.type == "strict" and head.inner.weight.device.type == "cpu"
