"""``DistributedSampler``: which sample indices each rank takes, epoch after epoch.

Each of N ranks takes every N-th index of one shared order, so the ranks' shards are
disjoint and together cover the data set. With ``shuffle=True`` the order is a fresh
permutation per epoch, the same on every rank: it depends only on ``seed + epoch``
(call ``set_epoch`` at the start of each epoch). When the length does not divide by N,
the order is padded by repeating its start, or cut with ``drop_last=True``, as torch does.
The permutation comes from Python's ``random.Random(seed + epoch)``, so its numbers differ
from torch's generator; the partitioning rules are torch's.
"""

from __future__ import annotations

import math
import random

from ...distributed import process_group
from .sampler import Sampler


class DistributedSampler(Sampler[int]):
    """Indices of rank ``rank``'s shard of a data set (or of ``range(n)`` for an int ``n``).

    >>> list(DistributedSampler(10, num_replicas=3, rank=0, shuffle=False))
    [0, 3, 6, 9]
    >>> list(DistributedSampler(10, num_replicas=3, rank=2, shuffle=False))
    [2, 5, 8, 1]
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None:
            num_replicas = process_group.get_world_size()
        if rank is None:
            rank = process_group.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        length = self._length()
        if drop_last and length % num_replicas != 0:
            self.num_samples = math.ceil((length - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(length / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        indices = list(range(self._length()))
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(indices)
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if indices and padding > 0:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch`` from now on (the same on every rank)."""
        self.epoch = epoch

    def _length(self) -> int:
        return self.dataset if isinstance(self.dataset, int) else len(self.dataset)
