"""tinyoptim.save / tinyoptim.load: round trips, resume, devices, torch interop, bad files.

Hostile files and crashes mid-save run in subprocesses: tests/test_serialization_hostile.py.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinyoptim
from tests.optim.cases_optim import case_ids
from tests.serialization_helpers import (
    DTYPE_NAMES,
    assert_same,
    checkpoint_bytes,
    manifest_file,
)
from tests.torch_ref import torch
from tinyoptim.optim import lr_scheduler


def test_nested_structure_round_trips(tmp_path, device):
    obj = {
        "ints": [0, -1, 2**200, True, False],
        "floats": (0.5, -0.0, math.nan, math.inf, -math.inf, 1e-310),
        "strings": ["", "βeta ✓", "a\x00b"],
        "none": None,
        3: {"int key": 1, 4: (), "nested": [[{}], ()]},
        "ordered": OrderedDict([("z", 1), ("a", 2)]),
        "counter": Counter({4: 2, 2: 1}),
        "tensors": [tinyoptim.tensor(x, device=device) for x in (1.5, [1, 2], [[True]])],
        "scalar": tinyoptim.tensor(2.0, dtype="float64", device=device),
        "empty": tinyoptim.zeros(0, 3, device=device),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "view": tinyoptim.arange(6.0, device=device).reshape(2, 3).T,
        "param": tinyoptim.ones(2, device=device, requires_grad=True),
    }
    tinyoptim.save(obj, tmp_path / "c.safetensors")
    assert_same(tinyoptim.load(tmp_path / "c.safetensors"), obj)


def test_numpy_scalars_come_back_as_python_numbers(tmp_path):
    tinyoptim.save([np.float32(0.5), np.int64(3), np.bool_(True)], tmp_path / "n.safetensors")
    assert_same(tinyoptim.load(tmp_path / "n.safetensors"), [0.5, 3, True])


def test_rng_state_round_trips_and_repeats_the_draws(tmp_path):
    tinyoptim.manual_seed(7)
    tinyoptim.randn(5)
    tinyoptim.save({"rng": tinyoptim.get_rng_state()}, tmp_path / "rng.safetensors")
    expected = tinyoptim.randn(4).tolist()
    tinyoptim.manual_seed(0)
    tinyoptim.set_rng_state(tinyoptim.load(tmp_path / "rng.safetensors")["rng"])
    assert tinyoptim.randn(4).tolist() == expected


class _AsTensor:
    """A leaf that becomes a tensor on the test's device."""

    def __init__(self, array):
        self.array = array

    def __repr__(self):
        return f"_AsTensor({self.array!r})"


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | hnp.arrays(st.sampled_from(DTYPE_NAMES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0))
    | hnp.arrays(st.sampled_from(DTYPE_NAMES), hnp.array_shapes(min_dims=0)).map(_AsTensor)
)
structures = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3), inner, max_size=4)
    ),
    max_leaves=12,
)


def _with_tensors(value, device):
    """Replace each ``_AsTensor`` leaf by a tensor on ``device``."""
    if isinstance(value, _AsTensor):
        return tinyoptim.tensor(value.array, device=device)
    if type(value) in (list, tuple):
        return type(value)(_with_tensors(item, device) for item in value)
    if isinstance(value, dict):
        return {key: _with_tensors(item, device) for key, item in value.items()}
    return value


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structures)
def test_any_structure_round_trips(tmp_path, device, structure):
    obj = _with_tensors(structure, device)
    tinyoptim.save(obj, tmp_path / "p.safetensors")
    assert_same(tinyoptim.load(tmp_path / "p.safetensors"), obj)


def _train(params, opt, steps):
    for _ in range(steps):
        for p in params:
            p.grad = tinyoptim.randn(*p.shape, dtype="float64", device=p.device)
        opt.step()


@pytest.mark.parametrize(
    "cls, kwargs",
    [(tinyoptim.optim.SGD, {"lr": 0.1, "momentum": 0.9}), (tinyoptim.optim.Adam, {"lr": 0.01})],
    ids=["SGD-momentum", "Adam"],
)
def test_resume_from_a_checkpoint_is_bitwise(tmp_path, device, cls, kwargs):
    def fresh(values):
        params = [v.detach().clone().to(device).requires_grad_(True) for v in values]
        return params, cls(params, **kwargs)

    tinyoptim.manual_seed(0)
    start = [tinyoptim.randn(3, 2, dtype="float64"), tinyoptim.randn(2, dtype="float64")]
    params, opt = fresh(start)
    _train(params, opt, 3)
    model = OrderedDict([("weight", params[0].detach()), ("bias", params[1].detach())])
    state = {"model": model, "optimizer": opt.state_dict(), "rng": tinyoptim.get_rng_state()}
    tinyoptim.save(state, tmp_path / "resume.safetensors")
    assert_same(tinyoptim.load(tmp_path / "resume.safetensors"), state)
    _train(params, opt, 3)

    tinyoptim.manual_seed(123)
    loaded = tinyoptim.load(tmp_path / "resume.safetensors")
    resumed, opt2 = fresh(list(loaded["model"].values()))
    opt2.load_state_dict(loaded["optimizer"])
    tinyoptim.set_rng_state(loaded["rng"])
    _train(resumed, opt2, 3)
    for a, b in zip(params, resumed):
        assert a.detach().numpy().tobytes() == b.detach().numpy().tobytes()


def _round_trip(state, folder):
    tinyoptim.save(state, folder / "state.safetensors")
    assert_same(tinyoptim.load(folder / "state.safetensors"), state)


@pytest.mark.parametrize("cls_name, case, kwargs", case_ids(), ids=str)
def test_every_optimizer_state_dict_round_trips(tmp_path, device, cls_name, case, kwargs):
    params = [tinyoptim.randn(*s, dtype="float64", device=device) for s in [(3, 2), (4,), ()]]
    params = [p.requires_grad_() for p in params]
    opt = getattr(tinyoptim.optim, cls_name)(params, **kwargs)
    _round_trip(opt.state_dict(), tmp_path)  # before the first step too
    _train(params, opt, 2)
    _round_trip(opt.state_dict(), tmp_path)


def test_lbfgs_history_and_sparse_adam_state_round_trip(tmp_path, device):
    x = tinyoptim.randn(3, dtype="float64", device=device, requires_grad=True)
    lbfgs = tinyoptim.optim.LBFGS([x], history_size=3)

    def closure():
        lbfgs.zero_grad()
        loss = ((x - 1.0) ** 4).sum()
        loss.backward()
        return loss

    for _ in range(3):
        lbfgs.step(closure)
    assert len(lbfgs.state_dict()["state"][0]["old_dirs"]) == 3
    _round_trip(lbfgs.state_dict(), tmp_path)
    table = tinyoptim.nn.Embedding(5, 2, sparse=True).to(device)
    sparse_adam = tinyoptim.optim.SparseAdam(list(table.parameters()), lr=0.1)
    table(tinyoptim.tensor([1, 3, 1], device=device)).sum().backward()
    sparse_adam.step()
    _round_trip({"model": table.state_dict(), "optimizer": sparse_adam.state_dict()}, tmp_path)


SCHEDULERS = {
    "StepLR": lambda opt: lr_scheduler.StepLR(opt, 2),
    "OneCycleLR": lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=20),
    "ReduceLROnPlateau": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, patience=1),
    "SequentialLR": lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt), lr_scheduler.CosineAnnealingLR(opt, 5)], [2]
    ),
    "CyclicLR": lambda opt: lr_scheduler.CyclicLR(opt, 0.01, 0.1),
    "CosineAnnealingWarmRestarts": lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, 3),
    "MultiStepLR": lambda opt: lr_scheduler.MultiStepLR(opt, [2, 4, 4]),  # a Counter inside
    "ChainedScheduler": lambda opt: lr_scheduler.ChainedScheduler(
        [lr_scheduler.MultiStepLR(opt, [3]), lr_scheduler.ExponentialLR(opt, 0.9)]
    ),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_state_dict_round_trips(tmp_path, name):
    opt = tinyoptim.optim.SGD([tinyoptim.ones(2, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = SCHEDULERS[name](opt)
    for _ in range(4):
        opt.step()
        scheduler.step(1.0) if name == "ReduceLROnPlateau" else scheduler.step()
    _round_trip(scheduler.state_dict(), tmp_path)


def test_a_reloaded_multistep_lr_goes_on_as_the_original(tmp_path):
    """Its milestones are a Counter, read with a missing key meaning 0."""

    def run(reload):
        opt = tinyoptim.optim.SGD([tinyoptim.ones(2, requires_grad=True)], lr=1.0)
        scheduler = lr_scheduler.MultiStepLR(opt, [2, 4, 4], gamma=0.5)
        lrs = []
        for step in range(7):
            if reload and step == 3:
                path = tmp_path / "s.safetensors"
                tinyoptim.save(scheduler.state_dict(), path)
                scheduler = lr_scheduler.MultiStepLR(opt, [1])
                scheduler.load_state_dict(tinyoptim.load(path))
            opt.step()
            scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs

    assert run(reload=True) == run(reload=False) == [1.0, 0.5, 0.5, 0.125, 0.125, 0.125, 0.125]


def test_tensors_reload_on_their_device_unless_mapped(tmp_path):
    path = tmp_path / "d.safetensors"
    cpu, strict = tinyoptim.ones(2, device="cpu"), tinyoptim.ones(2, device="strict")
    tinyoptim.save({"c": cpu, "s": strict}, path)
    assert [t.device.type for t in tinyoptim.load(path).values()] == ["cpu", "strict"]
    for where in ("strict", tinyoptim.device("strict"), {"cpu": "strict"}):
        assert [t.device.type for t in tinyoptim.load(path, where).values()] == ["strict"] * 2
    moved = tinyoptim.load(path, map_location={"strict": "cpu"})
    assert [t.device.type for t in moved.values()] == ["cpu", "cpu"]
    with pytest.raises(TypeError, match="map_location should be"):
        tinyoptim.load(path, map_location=lambda storage, location: storage)


@pytest.mark.skipif(torch is None, reason="needs torch")
def test_model_state_dict_is_a_safetensors_file_torch_loads(tmp_path):
    import safetensors.torch

    state = OrderedDict(
        [
            ("layers.0.weight", tinyoptim.randn(4, 3)),
            ("layers.0.bias", tinyoptim.zeros(4, dtype="float64")),
            ("embedding.weight", tinyoptim.randn(5, 2, dtype="float16")),
            ("bn.num_batches_tracked", tinyoptim.tensor(7)),
        ]
    )
    tinyoptim.save(state, tmp_path / "model.safetensors")
    from_torch = safetensors.torch.load_file(tmp_path / "model.safetensors")
    assert sorted(from_torch) == sorted(state)
    for name, value in state.items():
        theirs = from_torch[name]
        assert str(theirs.dtype) == f"torch.{value.dtype.name}"
        assert theirs.numpy().tobytes() == value.numpy().tobytes()
        assert tuple(theirs.shape) == value.shape


def test_plain_safetensors_file_loads_as_cpu_tensors(tmp_path):
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.zeros((), np.int64)}
    safetensors.numpy.save_file(arrays, tmp_path / "plain.safetensors", {"format": "pt"})
    loaded = tinyoptim.load(tmp_path / "plain.safetensors")
    assert type(loaded) is dict and set(loaded) == set(arrays)
    for name, array in arrays.items():
        assert loaded[name].device.type == "cpu" and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name].numpy(), array)


@pytest.mark.parametrize(
    "obj, error, text",
    [
        ({1.5: 0}, TypeError, r"dict key of type float at obj: checkpoint keys are str or int"),
        ({True: 0}, TypeError, "dict key of type bool"),
        ({"a": [{1, 2}]}, TypeError, r"object of type set at obj\['a'\]\[0\]"),
        (np.array([None]), TypeError, "array of dtype object at obj"),
        (np.zeros(2, np.complex64), TypeError, "array of dtype complex64"),
        (pytest, TypeError, "object of type module"),
    ],
)
def test_save_refuses_what_a_checkpoint_cannot_hold(tmp_path, obj, error, text):
    with pytest.raises(error, match=text):
        tinyoptim.save(obj, tmp_path / "x.safetensors")
    assert not list(tmp_path.iterdir())


def test_save_refuses_a_structure_that_contains_itself(tmp_path):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested deeper than 256 levels"):
        tinyoptim.save(loop, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="manifest nests 257 levels deep"):
        deep: list = []
        for _ in range(127):
            deep = [deep]
        tinyoptim.save(deep, tmp_path / "x.safetensors")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tinyoptim.load(tmp_path / "absent.safetensors")


BAD_MANIFESTS = {
    "not JSON": ("{", "the manifest is not valid JSON"),
    "wrong version": ('{"format":"tinyoptim","version":2,"root":null}', "version 2"),
    "unknown node": ('{"format":"tinyoptim","version":1,"root":{"type":"set"}}', "malformed"),
    "bad float": (
        '{"format":"tinyoptim","version":1,"root":{"type":"float","value":"1"}}',
        "not a non-finite float",
    ),
    "repeated key": (
        '{"format":"tinyoptim","version":1,"root":{"type":"dict","items":[[1,2],[1,3]]}}',
        "repeats a key",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_malformed_manifest_is_a_value_error(tmp_path, name):
    text, message = BAD_MANIFESTS[name]
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors.numpy.save({}, metadata={"tinyoptim": text}))
    with pytest.raises(ValueError, match=f"cannot load '{path}': .*{message}"):
        tinyoptim.load(path)


def test_manifest_must_describe_every_tensor(tmp_path):
    path = tmp_path / "extra.safetensors"
    path.write_bytes(manifest_file({"a": "a"}, ["a", "stowaway"]))
    with pytest.raises(ValueError, match="tensor 'stowaway', which the manifest does not"):
        tinyoptim.load(path)
    path.write_bytes(manifest_file({"a": "a", "b": "a"}, ["a"]))
    with pytest.raises(ValueError, match="uses tensor 'a' more than once"):
        tinyoptim.load(path)


def test_tensor_byte_ranges_must_tile_the_data(tmp_path):
    good = checkpoint_bytes({"w": tinyoptim.ones(4)})
    path = tmp_path / "t.safetensors"
    path.write_bytes(good + b"\0" * 8)
    with pytest.raises(ValueError, match="8 bytes after the last tensor belong to none"):
        tinyoptim.load(path)
    path.write_bytes(good.replace(b'"shape":[4]', b'"shape":[5]'))
    with pytest.raises(ValueError, match=r"needs 20 bytes, but its data offsets span 16"):
        tinyoptim.load(path)
