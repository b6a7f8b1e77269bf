"""``tinyoptim.utils.data``: data sets, samplers, collation and ``DataLoader``, as
``torch.utils.data``.

* ``dataset``: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``Subset``,
  ``ConcatDataset``, ``ChainDataset``, ``StackDataset``, ``random_split``;
* ``sampler``: ``Sampler``, ``SequentialSampler``, ``RandomSampler``,
  ``SubsetRandomSampler``, ``WeightedRandomSampler``, ``BatchSampler``;
* ``collate``: ``default_collate``, ``default_convert``;
* ``dataloader``: ``DataLoader``;
* ``worker``: the loader's worker threads (``num_workers > 0``), ``get_worker_info``,
  ``WorkerInfo``;
* ``distributed``: ``DistributedSampler``, one rank's shard of the indices.

Random draws (shuffling, ``random_split``, the weighted and random samplers) come from
tinyoptim's one generator, so ``tinyoptim.manual_seed`` makes them reproducible;
``generator=`` arguments accept only None, as tinyoptim has no ``Generator`` objects.
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
