"""ZeroRedundancyOptimizer against the plain optimizer, and its checkpoints.

Usage: zero.py CHECKPOINT_DIR [EARLIER_WORLD_SIZE]. Writes one checkpoint per optimizer
for this world size and, given an earlier world size, also resumes from that run's.
"""

import sys

from common import batches, make_model, max_relative_error, same_on_every_rank

import tinyoptim
import tinyoptim.distributed as dist
from tinyoptim import nn
from tinyoptim.distributed.optim import ZeroRedundancyOptimizer
from tinyoptim.optim import SGD, Adam, AdamW

tinyoptim.set_default_dtype(tinyoptim.float64)
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
folder = sys.argv[1]
earlier = int(sys.argv[2]) if len(sys.argv) > 2 else None
loss_fn = nn.MSELoss()
CASES = {
    "sgd": (SGD, dict(lr=0.05, momentum=0.9)),
    "adam": (Adam, dict(lr=1e-2)),
    "adamw": (AdamW, dict(lr=1e-2, weight_decay=0.1)),
}


def train(model, opt, data) -> None:
    for x, y in data:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()


def fresh(model_state, cls, kwargs, zero: bool):
    model = make_model(seed=0)
    model.load_state_dict(model_state)
    params = model.parameters()
    opt = ZeroRedundancyOptimizer(params, cls, **kwargs) if zero else cls(params, **kwargs)
    return model, opt


for name, (cls, kwargs) in CASES.items():
    first, then = batches(5, 8, seed=1), batches(5, 8, seed=2)
    model, zero = make_model(seed=0), None
    zero = ZeroRedundancyOptimizer(model.parameters(), cls, **kwargs)
    reference = make_model(seed=0)
    plain = cls(reference.parameters(), **kwargs)
    train(model, zero, first)
    train(reference, plain, first)
    error = max_relative_error(model, reference)
    assert error <= 1e-12, f"{name}: ZeRO differs from {cls.__name__}: {error:.3g}"
    assert same_on_every_rank(model)

    sizes = [None] * world
    dist.all_gather_object(sizes, zero.state_nbytes())
    whole = plain.state_nbytes()
    assert sum(sizes) == whole, (sizes, whole)
    assert max(sizes) <= 1.3 * whole / world, f"{name}: shards {sizes} of {whole} bytes"

    # consolidate on rank 0: the plain optimizer's layout, values equal
    zero.consolidate_state_dict(to=0)
    path = f"{folder}/{name}_{world}.safetensors"
    if rank == 0:
        saved = zero.state_dict()
        expected = plain.state_dict()
        assert sorted(saved["state"]) == sorted(expected["state"])
        assert [g["params"] for g in saved["param_groups"]] == [
            g["params"] for g in expected["param_groups"]
        ]
        assert saved["param_groups"][0].keys() == expected["param_groups"][0].keys()
        for index, entry in expected["state"].items():
            for key, value in entry.items():
                got = saved["state"][index][key]
                assert got.dtype == value.dtype and got.shape == value.shape, (key, got, value)
                assert (got - value).abs().max().item() <= 1e-12 * max(1, value.abs().max().item())
        tinyoptim.save({"model": model.state_dict(), "optim": saved}, path)
    else:
        try:
            zero.state_dict()
        except RuntimeError as exc:
            assert "has not been consolidated" in str(exc)
        else:
            raise AssertionError("state_dict before consolidation must raise")
    dist.barrier()
    checkpoint = tinyoptim.load(path)

    # resume on the same world size: bit for bit
    resumed, resumed_zero = fresh(checkpoint["model"], cls, kwargs, zero=True)
    resumed_zero.load_state_dict(checkpoint["optim"])
    train(model, zero, then)
    train(resumed, resumed_zero, then)
    assert max_relative_error(resumed, model) == 0.0, f"{name}: resume is not bit-exact"

    # resume in a single process, with the plain optimizer
    alone, alone_opt = fresh(checkpoint["model"], cls, kwargs, zero=False)
    alone_opt.load_state_dict(checkpoint["optim"])
    train(alone, alone_opt, then)
    error = max_relative_error(alone, model)
    assert error <= 1e-12, f"{name}: single-process resume differs: {error:.3g}"

    # resume a checkpoint written on another world size
    if earlier is not None:
        other = tinyoptim.load(f"{folder}/{name}_{earlier}.safetensors")
        moved, moved_zero = fresh(other["model"], cls, kwargs, zero=True)
        moved_zero.load_state_dict(other["optim"])
        alone, alone_opt = fresh(other["model"], cls, kwargs, zero=False)
        alone_opt.load_state_dict(other["optim"])
        train(moved, moved_zero, then)
        train(alone, alone_opt, then)
        error = max_relative_error(moved, alone)
        assert error <= 1e-12, f"{name}: resume from {earlier} ranks differs: {error:.3g}"
    dist.barrier()

dist.destroy_process_group()
if rank == 0:
    print("zero ok")
