"""Record torch 2.13's weight averaging (the cases below) as a golden file.

    python tests/golden/make_golden_swa.py

writes ``tests/golden/swa.npz``. Keys ``avg/<case>/<name>`` hold, stacked over the updates,
every entry of an ``AveragedModel``'s ``state_dict`` (``n_averaged``, ``module.0.weight``,
..., the batch-norm buffers); ``bn/<case>/<name>`` the same entries after ``update_bn``;
``swalr/<case>`` the lr of every group after construction and after each ``step()``; and
``json`` the flags read after ``update_bn`` and SWALR's ``state_dict`` keys. Run it again,
and commit the result, whenever the cases change. ``tests/optim/test_swa_utils.py`` imports
the cases and the ``run_*`` functions from here, so both libraries run the same code.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

PATH = os.path.join(HERE, "swa.npz")
UPDATES = 20
SHAPES = {
    "0.weight": (5, 3),
    "0.bias": (5,),
    "1.weight": (5,),
    "1.bias": (5,),
    "3.weight": (2, 5),
    "3.bias": (2,),
}

# name -> AveragedModel keyword arguments, given the library's swa_utils module. "moved"
# keeps tinyoptim's model on the CPU and gives AveragedModel the device under test.
AVERAGING_CASES = {
    "swa": lambda su: {},
    "swa_buffers": lambda su: dict(use_buffers=True),
    "swa_avg_fn": lambda su: dict(avg_fn=su.get_swa_avg_fn()),
    "swa_multi": lambda su: dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
    "ema_multi": lambda su: dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
    "ema_multi_buffers": lambda su: dict(
        multi_avg_fn=su.get_ema_multi_avg_fn(0.8), use_buffers=True
    ),
    "ema_avg_fn_buffers": lambda su: dict(avg_fn=su.get_ema_avg_fn(0.95), use_buffers=True),
    "custom_avg_fn": lambda su: dict(avg_fn=lambda avg, cur, n: avg * 0.75 + cur * 0.25),
    "moved": lambda su: {},
}

# name -> (initial lr per group, SWALR keyword arguments, (step, factor) of a hand edit).
SWALR_CASES = {
    "cos_3": ([1.0], dict(swa_lr=0.1, anneal_epochs=3), None),
    "linear_3": ([1.0], dict(swa_lr=0.1, anneal_epochs=3, anneal_strategy="linear"), None),
    "cos_default_two_groups": ([1.0, 0.5], dict(swa_lr=[0.05, 0.2]), None),
    "linear_10_two_groups": (
        [0.3, 0.02],
        dict(swa_lr=0.1, anneal_epochs=10, anneal_strategy="linear"),
        None,
    ),
    "cos_0": ([0.7], dict(swa_lr=0.2, anneal_epochs=0), None),
    "linear_1": ([0.7], dict(swa_lr=0.2, anneal_epochs=1, anneal_strategy="linear"), None),
    "cos_17_edited": ([0.9], dict(swa_lr=0.01, anneal_epochs=17), (5, 0.5)),
    "linear_6_edited": (
        [0.4],
        dict(swa_lr=0.3, anneal_epochs=6, anneal_strategy="linear"),
        (2, 3.0),
    ),
}


def _data():
    """Initial weights, per-update weight steps, training batches and the update_bn loader."""
    rng = np.random.default_rng(2013)
    init = {name: rng.standard_normal(shape) for name, shape in SHAPES.items()}
    steps = [
        {name: 0.3 * rng.standard_normal(shape) for name, shape in SHAPES.items()}
        for _ in range(UPDATES)
    ]
    batches = [2.0 * rng.standard_normal((8, 3)) + 0.5 for _ in range(UPDATES)]
    loader = [rng.standard_normal((6, 3)) - 0.25 for _ in range(4)]
    return init, steps, batches, loader


def _tensor(lib, array, device=None):
    if lib.__name__ == "torch":
        return lib.from_numpy(np.array(array))
    return lib.tensor(array, device=device)


def _to_numpy(t):
    return t.detach().cpu().numpy().copy()


def run_averaging(lib, case: str, device=None) -> dict:
    """Train-like weights (a random walk, batch norm fed a batch per update) averaged over
    ``UPDATES`` updates, then ``update_bn``; the recorded arrays (keys as in the file)."""
    su = lib.optim.swa_utils
    init, steps, batches, loader = _data()
    model_device, averaged_device = ("cpu", device) if case == "moved" else (device, None)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)).double()
    if lib.__name__ != "torch":
        model = model.to(model_device)
    weights = {name: value.copy() for name, value in init.items()}
    params = dict(model.named_parameters())
    with lib.no_grad():
        for name, p in params.items():
            p.copy_(_tensor(lib, weights[name], model_device))
    swa_model = su.AveragedModel(model, device=averaged_device, **AVERAGING_CASES[case](su))
    history = {}
    for k in range(UPDATES):
        with lib.no_grad():
            model(_tensor(lib, batches[k], model_device))
            for name, p in params.items():
                weights[name] += steps[k][name]
                p.copy_(_tensor(lib, weights[name], model_device))
        swa_model.update_parameters(model)
        for name, t in swa_model.state_dict().items():
            history.setdefault(f"avg/{case}/{name}", []).append(_to_numpy(t))
    out = {key: np.stack(values) for key, values in history.items()}
    swa_model.eval()
    batches = [_tensor(lib, x, "cpu") for x in loader]
    mixed = [batches[0], (batches[1], None), [batches[2], batches[3]], batches[3]]
    su.update_bn(mixed, swa_model, device=None if lib.__name__ == "torch" else device)
    for name, t in swa_model.state_dict().items():
        out[f"bn/{case}/{name}"] = _to_numpy(t)
    bn = swa_model.module[1]
    out[f"flags/{case}"] = np.array([swa_model.training, bn.training, bn.momentum])
    return out


def run_swalr(lib, case: str) -> tuple[np.ndarray, list[str]]:
    """The lr of every group after construction and after each of ``UPDATES`` steps, and
    the sorted keys of the scheduler's ``state_dict``."""
    lrs, kwargs, edit = SWALR_CASES[case]
    groups = [{"params": [lib.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    optimizer = lib.optim.SGD(groups, lr=lrs[0])
    scheduler = lib.optim.swa_utils.SWALR(optimizer, **kwargs)
    table = [[g["lr"] for g in optimizer.param_groups]]
    for k in range(UPDATES):
        if edit is not None and k == edit[0]:
            for g in optimizer.param_groups:
                g["lr"] *= edit[1]
        optimizer.step()
        scheduler.step()
        table.append([g["lr"] for g in optimizer.param_groups])
    return np.array(table), sorted(scheduler.state_dict())


def main() -> None:
    import torch

    arrays, swalr_keys = {}, {}
    for case in AVERAGING_CASES:
        arrays.update(run_averaging(torch, case))
    for case in SWALR_CASES:
        arrays[f"swalr/{case}"], swalr_keys[case] = run_swalr(torch, case)
    arrays["json"] = np.array(json.dumps({"swalr_state_keys": swalr_keys}))
    np.savez_compressed(PATH, **arrays)
    print(f"{PATH}: {len(arrays)} arrays")


if __name__ == "__main__":
    main()
