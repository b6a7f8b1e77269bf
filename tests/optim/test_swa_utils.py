"""tinyoptim.optim.swa_utils against torch 2.13: averaged weights, update_bn, SWALR, errors.

The reference is torch itself when 2.13 is importable, else ``tests/golden/swa.npz``
(written by ``tests/golden/make_golden_swa.py``, whose cases and runs are shared here).
"""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pytest

import tinyoptim
from tests.golden.make_golden_swa import (
    AVERAGING_CASES,
    PATH,
    SWALR_CASES,
    UPDATES,
    run_averaging,
    run_swalr,
)
from tests.torch_ref import torch
from tinyoptim.optim.lr_scheduler.base import USE_GET_LAST_LR
from tinyoptim.optim.swa_utils import (
    INTEGER_ADDCDIV,
    INTEGER_ALPHA,
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)

su = tinyoptim.optim.swa_utils
RTOL = 1e-12  # float64 throughout; the averages themselves agree bit for bit


@functools.cache
def golden() -> dict:
    with np.load(PATH, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["json"] = json.loads(str(arrays["json"]))
    return arrays


@functools.cache
def reference_averaging(case: str) -> dict:
    if torch is not None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # batch norm on 8 rows: idle threads only stall it
        try:
            return run_averaging(torch, case)
        finally:
            torch.set_num_threads(threads)
    return {k: v for k, v in golden().items() if k.split("/")[1:2] == [case]}


@functools.cache
def ours_averaging(case: str, device: str) -> dict:
    return run_averaging(tinyoptim, case, device)


def assert_same(ours: dict, expected: dict, prefix: str) -> None:
    keys = [k for k in expected if k.startswith(prefix)]
    assert keys and sorted(k for k in ours if k.startswith(prefix)) == sorted(keys)
    for key in keys:
        if expected[key].dtype.kind == "f":
            np.testing.assert_allclose(ours[key], expected[key], rtol=RTOL, atol=1e-15, err_msg=key)
        else:
            np.testing.assert_array_equal(ours[key], expected[key], err_msg=key)


# -- AveragedModel and the averaging functions --------------------------------------------------


@pytest.mark.parametrize("case", list(AVERAGING_CASES))
def test_averaged_weights_match_torch_at_every_update(case, device):
    ours, expected = ours_averaging(case, device), reference_averaging(case)
    assert_same(ours, expected, f"avg/{case}/")
    n_averaged = ours[f"avg/{case}/n_averaged"]
    assert n_averaged.dtype == np.int64 and n_averaged.tolist() == list(range(1, UPDATES + 1))


@pytest.mark.parametrize("case", list(AVERAGING_CASES))
def test_update_bn_matches_torch_and_restores_momentum_and_mode(case, device):
    ours, expected = ours_averaging(case, device), reference_averaging(case)
    assert_same(ours, expected, f"bn/{case}/")
    np.testing.assert_array_equal(ours[f"flags/{case}"], expected[f"flags/{case}"])
    assert ours[f"flags/{case}"].tolist() == [0.0, 0.0, 0.1]  # eval mode kept, momentum back
    assert ours[f"bn/{case}/module.1.num_batches_tracked"] == 4  # one per batch of the loader


def test_swa_multi_weight_is_rounded_to_the_default_dtype_as_in_torch():
    """torch computes 1/(n+1) as a float32 tensor: the list SWA departs from the plain one."""
    ours = ours_averaging("swa_multi", "cpu")["avg/swa_multi/module.0.weight"]
    plain = ours_averaging("swa", "cpu")["avg/swa/module.0.weight"]
    assert 1e-10 < np.max(np.abs(ours - plain)) < 1e-6


def test_averaged_model_holds_a_deep_copy(device):
    model = tinyoptim.nn.Sequential(tinyoptim.nn.Linear(3, 2), tinyoptim.nn.BatchNorm1d(2))
    model = model.double().to(device)
    model(tinyoptim.ones(4, 3, dtype="float64", device=device)).sum().backward()
    swa_model = AveragedModel(model)
    for ours, theirs in zip(swa_model.module.parameters(), model.parameters()):
        assert ours is not theirs and ours.grad is None and ours.requires_grad
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    with tinyoptim.no_grad():
        model[0].weight.add_(1.0)
    copied, moved = swa_model.module[0].weight.detach(), model[0].weight.detach()
    assert not np.allclose(copied.numpy(), moved.numpy())
    n = swa_model.n_averaged
    assert n.dtype == tinyoptim.int64 and n.shape == () and n.item() == 0
    assert list(swa_model.state_dict())[:2] == ["n_averaged", "module.0.weight"]
    x = tinyoptim.ones(4, 3, dtype="float64", device=device)
    expected = swa_model.module(x).detach().numpy()
    np.testing.assert_array_equal(swa_model(x).detach().numpy(), expected)


def test_device_argument_moves_the_copy_and_the_counter(device):
    swa_model = AveragedModel(tinyoptim.nn.Linear(2, 2), device=device)
    assert swa_model.module.weight.device == swa_model.n_averaged.device
    assert str(swa_model.n_averaged.device) == device


@pytest.mark.parametrize("decay", [0.9, 0.3])  # lerp weights below and above one half
def test_ema_multi_rounds_as_torchs_lerp(decay, device):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    averaged = tinyoptim.tensor(a, device=device)
    get_ema_multi_avg_fn(decay)([averaged], [tinyoptim.tensor(b, device=device)], 3)
    w = 1 - decay
    expected = a + w * (b - a) if w < 0.5 else b - (b - a) * (1 - w)
    np.testing.assert_array_equal(averaged.numpy(), expected)
    if torch is not None:
        t = torch.from_numpy(a.copy())
        torch.optim.swa_utils.get_ema_multi_avg_fn(decay)([t], [torch.from_numpy(b)], 3)
        np.testing.assert_allclose(averaged.numpy(), t.numpy(), rtol=1e-15, atol=0)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_swa_multi_weight_from_an_int_or_a_tensor_count(as_tensor, device):
    a, b = np.array([1.0, 2.0, -3.0]), np.array([1.7, 5.3, 0.1])
    n = tinyoptim.tensor(2, device=device) if as_tensor else 2
    averaged = tinyoptim.tensor(a, device=device)
    get_swa_multi_avg_fn()([averaged], [tinyoptim.tensor(b, device=device)], n)
    w = float(np.float32(1 / 3)) if as_tensor else 1 / 3
    np.testing.assert_array_equal(averaged.numpy(), a + w * (b - a))
    if torch is not None:
        t = torch.from_numpy(a.copy())
        torch_n = torch.tensor(2) if as_tensor else 2
        torch.optim.swa_utils.get_swa_multi_avg_fn()([t], [torch.from_numpy(b)], torch_n)
        np.testing.assert_allclose(averaged.numpy(), t.numpy(), rtol=1e-15, atol=0)


def test_single_tensor_averages(device):
    a = tinyoptim.tensor([1.0, 4.0], dtype="float64", device=device)
    b = tinyoptim.tensor([3.0, 0.0], dtype="float64", device=device)
    n = tinyoptim.tensor(3, device=device)
    assert get_swa_avg_fn()(a, b, n).tolist() == [1.5, 3.0]
    assert get_ema_avg_fn(0.75)(a, b, n).tolist() == [1.5, 3.0]


def test_update_bn_leaves_a_model_without_batch_norm_alone():
    def loader():
        raise AssertionError("the loader must not be read")
        yield

    model = tinyoptim.nn.Linear(2, 2).eval()
    update_bn(loader(), model)
    assert model.training is False


# -- SWALR ---------------------------------------------------------------------------------------


def reference_swalr(case: str):
    if torch is not None:
        return run_swalr(torch, case)
    return golden()[f"swalr/{case}"], golden()["json"]["swalr_state_keys"][case]


@pytest.mark.parametrize("case", list(SWALR_CASES))
def test_swalr_lrs_and_state_keys_match_torch(case):
    ours, keys = run_swalr(tinyoptim, case)
    expected, expected_keys = reference_swalr(case)
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=0)
    assert keys == list(expected_keys)


def test_swalr_documented_values():
    """lr0 = 1, swa_lr = .1 over 3 epochs (TORCH_OPTIM.md §7)."""
    np.testing.assert_allclose(run_swalr(tinyoptim, "cos_3")[0][:5, 0], [1, 0.775, 0.325, 0.1, 0.1])
    np.testing.assert_allclose(run_swalr(tinyoptim, "linear_3")[0][:5, 0], [1, 0.7, 0.4, 0.1, 0.1])


def _sgd(lr=1.0):
    return tinyoptim.optim.SGD([tinyoptim.zeros(1, requires_grad=True)], lr=lr)


def test_swalr_state_dict_round_trip_restores_the_annealing():
    first = SWALR(_sgd(), swa_lr=0.1, anneal_epochs=5, anneal_strategy="linear")
    first.optimizer.step()
    first.step()
    state = first.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    resumed = SWALR(_sgd(), swa_lr=0.1, anneal_epochs=2)  # cos over 2: to be overwritten
    resumed.optimizer.param_groups[0]["lr"] = first.optimizer.param_groups[0]["lr"]
    resumed.load_state_dict(state)
    for scheduler in (first, resumed):
        scheduler.optimizer.step()
        scheduler.step()
    assert resumed.get_last_lr() == first.get_last_lr() == pytest.approx([0.64], rel=1e-15)


def test_swalr_get_lr_from_user_code_warns():
    scheduler = SWALR(_sgd(), swa_lr=0.1)
    with pytest.warns(UserWarning) as record:
        scheduler.get_lr()
    assert str(record[0].message) == USE_GET_LAST_LR
    assert record[0].filename == __file__  # SWALR's names the caller, as torch's does
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.optimizer.step()
        scheduler.step()


# -- validation ----------------------------------------------------------------------------------


def _bn_model(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))


def _average_int_buffers(lib):
    model = _bn_model(lib)
    swa_model = lib.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn(), use_buffers=True
    )
    swa_model.update_parameters(model)
    swa_model.update_parameters(model)


def _sgd_of(lib, groups=1):
    params = [{"params": [lib.zeros(1, requires_grad=True)]} for _ in range(groups)]
    return lib.optim.SGD(params, lr=0.1)


ERRORS = [
    (
        lambda lib: lib.optim.swa_utils.AveragedModel(
            lib.nn.Linear(2, 2),
            avg_fn=lib.optim.swa_utils.get_swa_avg_fn(),
            multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn(),
        ),
        AssertionError,
        "Only one of avg_fn and multi_avg_fn should be provided",
    ),
    (
        lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(1.5),
        ValueError,
        "Invalid decay value 1.5 provided. Please provide a value in [0,1] range.",
    ),
    (
        lambda lib: lib.optim.swa_utils.get_ema_avg_fn(-0.1),
        ValueError,
        "Invalid decay value -0.1 provided. Please provide a value in [0,1] range.",
    ),
    (
        lambda lib: lib.optim.swa_utils.SWALR(_sgd_of(lib), 0.1, anneal_strategy="exp"),
        ValueError,
        "anneal_strategy must be one of 'cos' or 'linear', instead got exp",
    ),
    (
        lambda lib: lib.optim.swa_utils.SWALR(_sgd_of(lib), 0.1, anneal_epochs=-1),
        ValueError,
        "anneal_epochs must be equal or greater than 0, got -1",
    ),
    (
        lambda lib: lib.optim.swa_utils.SWALR(_sgd_of(lib), 0.1, anneal_epochs=2.0),
        ValueError,
        "anneal_epochs must be equal or greater than 0, got 2.0",
    ),
    (
        lambda lib: lib.optim.swa_utils.SWALR(_sgd_of(lib, 2), [0.1, 0.2, 0.3]),
        ValueError,
        "swa_lr must have the same length as optimizer.param_groups. "
        "swa_lr has 3 values, param_groups has 2.",
    ),
    (_average_int_buffers, RuntimeError, INTEGER_ADDCDIV),
    (
        lambda lib: lib.optim.swa_utils.get_swa_multi_avg_fn()(
            [lib.tensor([3, 10])], [lib.tensor([8, 1])], 2
        ),
        RuntimeError,
        INTEGER_ALPHA,
    ),
]


ERROR_IDS = [
    "both_avg_fns",
    "ema_multi_decay",
    "ema_decay",
    "anneal_strategy",
    "anneal_epochs_negative",
    "anneal_epochs_float",
    "swa_lr_length",
    "swa_multi_int_buffers",
    "swa_multi_int_count",
]


@pytest.mark.parametrize("make, error, message", ERRORS, ids=ERROR_IDS)
def test_errors_match_torch(make, error, message):
    libs = [tinyoptim] + ([torch] if torch is not None else [])
    for lib in libs:
        with pytest.raises(error) as info:
            make(lib)
        assert str(info.value) == message, lib.__name__


def test_public_names_match_torch():
    assert su.__all__ == [
        "AveragedModel",
        "update_bn",
        "SWALR",
        "get_ema_multi_avg_fn",
        "get_swa_multi_avg_fn",
        "get_ema_avg_fn",
        "get_swa_avg_fn",
    ]
    if torch is not None:
        assert su.__all__ == torch.optim.swa_utils.__all__
