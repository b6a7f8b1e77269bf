"""DistributedDataParallel against single-process training (run on 2 and 3 ranks).

Each rank builds its model from a different seed: construction must broadcast rank 0's.
Every rank also trains a plain copy on the whole batch, the reference.
"""

from common import batches, make_model, max_relative_error, same_on_every_rank

import tinyoptim
import tinyoptim.distributed as dist
from tinyoptim import nn
from tinyoptim.nn.parallel import DistributedDataParallel
from tinyoptim.utils.data import DistributedSampler

tinyoptim.set_default_dtype(tinyoptim.float64)
dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
loss_fn = nn.MSELoss()

# -- 20 Adam steps: N ranks on batch B/N each equal one process on batch B --------------
B = 12
model = make_model(seed=100 + rank)
model.register_buffer("counter", tinyoptim.tensor([float(rank)]))
ddp = DistributedDataParallel(model)
assert ddp.module is model
assert same_on_every_rank(model), "construction must broadcast rank 0's parameters"
assert model.counter.tolist() == [0.0], "and its buffers"
keys = list(model.state_dict())
assert keys and not any(k.startswith("module.") for k in keys)
assert list(ddp.state_dict()) == ["module." + k for k in keys]
reference = make_model(seed=0)
reference.register_buffer("counter", tinyoptim.zeros(1))
reference.load_state_dict(ddp.module.state_dict())
opt = tinyoptim.optim.Adam(ddp.parameters(), lr=1e-2)
reference_opt = tinyoptim.optim.Adam(reference.parameters(), lr=1e-2)
shard = list(DistributedSampler(B, shuffle=False))
assert len(shard) == B // world
for x, y in batches(20, B):
    opt.zero_grad()
    loss_fn(ddp(x[shard]), y[shard]).backward()
    opt.step()
    reference_opt.zero_grad()
    loss_fn(reference(x), y).backward()
    reference_opt.step()
error = max_relative_error(model, reference)
assert error <= 1e-12, f"DDP drifted from single-process training: {error:.3g}"
assert same_on_every_rank(model)
flat_grads = [p.grad.data.base for p in model.parameters()]
assert all(g is flat_grads[0] for g in flat_grads), "grads should be views of one buffer"

# -- no_sync: two accumulated micro-batches equal one step on the larger batch ------------
b = 2
model = make_model(seed=200 + rank)
ddp = DistributedDataParallel(model, bucket_cap_mb=0.001)  # several buckets
reference = make_model(seed=0)
reference.load_state_dict(model.state_dict())
opt = tinyoptim.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
reference_opt = tinyoptim.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
for x, y in batches(3, 2 * world * b, seed=11):
    rows = [slice((i * world + rank) * b, (i * world + rank + 1) * b) for i in range(2)]
    opt.zero_grad()
    with ddp.no_sync():
        (loss_fn(ddp(x[rows[0]]), y[rows[0]]) / 2).backward()
    local = [None] * world
    dist.all_gather_object(local, next(model.parameters()).grad.numpy().tobytes())
    assert len(set(local)) == world, "no_sync must leave gradients unreduced"
    (loss_fn(ddp(x[rows[1]]), y[rows[1]]) / 2).backward()
    opt.step()
    reference_opt.zero_grad()
    loss_fn(reference(x), y).backward()
    reference_opt.step()
error = max_relative_error(model, reference)
assert error <= 1e-12, f"no_sync accumulation differs from the larger batch: {error:.3g}"
assert same_on_every_rank(model)

dist.destroy_process_group()
if rank == 0:
    print("ddp ok")
