"""Collectives on cpu tensors, and their error paths (run on 2 and 3 ranks)."""

import os

import tinyoptim
import tinyoptim.distributed as dist
from tinyoptim.distributed import ReduceOp

try:
    dist.all_reduce(tinyoptim.ones(2))
except ValueError as exc:
    assert str(exc).startswith("Default process group has not been initialized"), exc
else:
    raise AssertionError("a collective before init_process_group must raise")
assert not dist.is_initialized()

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi"
try:
    dist.init_process_group("mpi")
except RuntimeError as exc:
    assert "twice" in str(exc)
else:
    raise AssertionError("a second init_process_group must raise")

for dtype in (tinyoptim.float32, tinyoptim.float64, tinyoptim.int64):
    t = tinyoptim.tensor([rank + 1, -rank, 3], dtype=dtype)
    data = t.data
    dist.all_reduce(t)
    assert t.data is data, "all_reduce must work in place on the tensor's array"
    assert t.tolist() == [world * (world + 1) // 2, -world * (world - 1) // 2, 3 * world]
    t = tinyoptim.tensor([rank, -rank], dtype=dtype)
    dist.all_reduce(t, ReduceOp.MAX)
    assert t.tolist() == [world - 1, 0]
    t = tinyoptim.tensor([rank, 1], dtype=dtype)
    dist.all_reduce(t, ReduceOp.MIN)
    assert t.tolist() == [0, 1]

t = tinyoptim.tensor([[float(rank), 1.0]], dtype=tinyoptim.float64)
dist.all_reduce(t, ReduceOp.AVG)
assert t.tolist() == [[(world - 1) / 2, 1.0]]
try:
    dist.all_reduce(tinyoptim.tensor([1]), ReduceOp.AVG)
except ValueError as exc:
    assert "floating-point" in str(exc)
else:
    raise AssertionError("AVG on integers must raise")
t = tinyoptim.tensor(float(rank))  # 0-d
dist.all_reduce(t)
assert t.item() == world * (world - 1) / 2

src = world - 1
t = tinyoptim.full((2, 3), float(rank))
dist.broadcast(t, src)
assert t.tolist() == [[float(src)] * 3] * 2

# all_gather into separate tensors, and into back-to-back views of one buffer (no copy)
outs = [tinyoptim.zeros(2) for _ in range(world)]
dist.all_gather(outs, tinyoptim.tensor([rank, 10.0 * rank]))
assert [o.tolist() for o in outs] == [[r, 10.0 * r] for r in range(world)]
buffer = tinyoptim.zeros(world, 2)
views = [buffer[r] for r in range(world)]
dist.all_gather(views, tinyoptim.tensor([rank, 10.0 * rank]))
assert buffer.tolist() == [[r, 10.0 * r] for r in range(world)]

# reduce_scatter: out on rank r is sum over ranks of input_list[r]
inputs = [tinyoptim.tensor([float(rank * 100 + r), 1.0]) for r in range(world)]
out = tinyoptim.zeros(2)
dist.reduce_scatter(out, inputs)
assert out.tolist() == [sum(q * 100 + rank for q in range(world)), float(world)]
stacked = tinyoptim.stack(inputs)
dist.reduce_scatter(out, [stacked[r] for r in range(world)], ReduceOp.AVG)
assert out.tolist() == [sum(q * 100 + rank for q in range(world)) / world, 1.0]

gathered = [None] * world
dist.all_gather_object(gathered, {"rank": rank})
assert gathered == [{"rank": r} for r in range(world)]
dist.barrier()

# error paths: wrong list length, wrong src, strict-device and non-contiguous tensors
for call, error in [
    (lambda: dist.all_gather([tinyoptim.zeros(2)], tinyoptim.zeros(2)), "one per rank"),
    (lambda: dist.all_gather([tinyoptim.zeros(3)] * world, tinyoptim.zeros(2)), "shape"),
    (lambda: dist.broadcast(tinyoptim.zeros(2), world), "Invalid src rank"),
    (lambda: dist.all_reduce(tinyoptim.zeros(2, device="strict")), "explicit crossings"),
    (lambda: dist.all_reduce(tinyoptim.zeros(3, 2).T), "contiguous"),
]:
    try:
        call()
    except (ValueError, RuntimeError) as exc:
        assert error in str(exc), (error, str(exc))
    else:
        raise AssertionError(f"expected an error containing {error!r}")

# with TINYOPTIM_DISTRIBUTED_DEBUG=DETAIL, mismatched shapes raise on every rank
os.environ["TINYOPTIM_DISTRIBUTED_DEBUG"] = "DETAIL"
try:
    dist.all_reduce(tinyoptim.zeros(2 + rank))
except RuntimeError as exc:
    assert "ranks disagree" in str(exc) and "rank 1: all_reduce of (3,)" in str(exc), exc
else:
    raise AssertionError("mismatched shapes must raise under DETAIL")
dist.all_reduce(tinyoptim.zeros(2))  # matching shapes still work
del os.environ["TINYOPTIM_DISTRIBUTED_DEBUG"]

dist.destroy_process_group()
assert not dist.is_initialized()
dist.init_process_group("mpi")  # a group can be set up again
assert dist.get_world_size() == world
dist.destroy_process_group()
if rank == 0:
    print("collectives ok")
