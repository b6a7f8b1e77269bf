"""Several processes training one model: process groups, collectives and ZeRO.

Start N processes with ``mpiexec -n N python train.py``; each calls
``init_process_group("mpi")`` (CPU tensors, through mpi4py) or
``init_process_group("nccl")`` (one GPU per rank, through ``cupyx.distributed``).
Neither library is imported until then. The names and semantics are torch's
``torch.distributed``; ``nn.parallel.DistributedDataParallel`` and
``distributed.optim.ZeroRedundancyOptimizer`` build on them.
"""

from . import optim
from .collectives import (
    all_gather,
    all_gather_object,
    all_reduce,
    broadcast,
    broadcast_object_list,
    gather_object,
    reduce_scatter,
)
from .process_group import (
    ReduceOp,
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_initialized,
)

__all__ = [
    "ReduceOp",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "gather_object",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_initialized",
    "optim",
    "reduce_scatter",
]
