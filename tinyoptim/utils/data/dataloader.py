"""``DataLoader``, as ``torch.utils.data``: batches out of a data set, optionally loaded
ahead by worker threads.

A map-style data set is read through a sampler: ``SequentialSampler``, or
``RandomSampler`` with ``shuffle=True``, grouped by a ``BatchSampler`` of ``batch_size``;
the samples of a batch are fetched (by ``dataset.__getitems__`` when it has one) and
``collate_fn`` (``default_collate``) makes the batch. ``batch_size=None`` turns batching
off: each sample goes through ``default_convert``. An ``IterableDataset`` is read in
order, ``batch_size`` samples at a time. Contradicting options are refused with torch's
messages, and ``len(loader)`` follows torch's rules: the length of the (batch) sampler;
for an iterable data set ``len(dataset) / batch_size``, rounded up (down with
``drop_last``).

``num_workers > 0`` loads batches ahead on that many worker *threads*, not processes (see
``worker``: tinyoptim's arrays are NumPy/CuPy ones and NumPy releases the GIL in its
work); ``prefetch_factor``, ``persistent_workers``, ``timeout``, ``worker_init_fn`` and
``in_order`` act as in torch, and ``get_worker_info()`` is None on the calling thread.
``multiprocessing_context`` is checked as torch checks it, then unused (there are no
processes). ``pin_memory`` (and ``pin_memory_device``) have no effect: nothing is pinned
on the CPU, and batches are made on the device their tensors live on.
"""

from __future__ import annotations

import functools
import itertools
import math
import multiprocessing
import warnings

from ...autograd import factories
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _check_generator
from .worker import _WorkerPool

__all__ = ["DataLoader"]

_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _Fetcher:
    """One sampler item (an index, a list of them, or None for a stream) to collated data."""

    def __init__(self, dataset, iterable: bool, auto_collation: bool, collate_fn, drop_last):
        self.dataset, self.iterable, self.auto_collation = dataset, iterable, auto_collation
        self.collate_fn, self.drop_last, self.ended = collate_fn, drop_last, False
        self.dataset_iter = iter(dataset) if iterable else None

    def fetch(self, index):
        if self.iterable:
            if self.ended:
                raise StopIteration
            if not self.auto_collation:
                return self.collate_fn(next(self.dataset_iter))
            data = list(itertools.islice(self.dataset_iter, len(index)))
            self.ended = len(data) < len(index)
            if not data or (self.drop_last and self.ended):
                raise StopIteration
            return self.collate_fn(data)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if getattr(self.dataset, "__getitems__", None):
            return self.collate_fn(self.dataset.__getitems__(index))
        return self.collate_fn([self.dataset[i] for i in index])


class DataLoader:
    """Iterate over ``dataset`` in batches, by the rules of this module's docstring.

    The arguments, their defaults and their checks are torch's:

    * ``batch_size`` (``None``: no batching), ``shuffle``, ``sampler``, ``batch_sampler``,
      ``drop_last`` and ``collate_fn`` choose the batches, as in torch;
    * ``num_workers``: how many worker *threads* load batches ahead (0: ``next()`` loads
      each batch itself). Threads, not processes, because tinyoptim's arrays are NumPy
      (or CuPy) arrays and NumPy releases the GIL while it indexes, converts and stacks
      them, so the workers overlap the training step without pickling the data set or
      shipping batches between processes; a pure-Python ``__getitem__`` gains less;
    * ``prefetch_factor`` (2 with workers), ``persistent_workers``, ``timeout``,
      ``worker_init_fn`` and ``in_order`` as in torch; ``multiprocessing_context`` is
      validated and unused;
    * ``pin_memory``/``pin_memory_device``: no effect (no pinned memory on the CPU);
    * ``generator``: must be None; tinyoptim's one generator, seeded by
      ``tinyoptim.manual_seed``, does the shuffling.

    >>> [b.tolist() for b in DataLoader(range(5), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    _initialized = False

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        _check_generator(generator)
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn, self.in_order = timeout, worker_init_fn, in_order
        self.multiprocessing_context = multiprocessing_context

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:  # a stream takes no sampler options
            options = {"shuffle": shuffle, "sampler": sampler, "batch_sampler": batch_sampler}
            for name, value in options.items():
                if (value not in {False, None}) if name == "shuffle" else value is not None:
                    raise ValueError(
                        "DataLoader with IterableDataset: expected unspecified "
                        f"{name} option, but got {name}={value}"
                    )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive "
                    "with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching "
                "and is mutually exclusive with drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = itertools.repeat(None)  # a stream ignores its indices
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last, self.generator = batch_size, drop_last, generator
        self.sampler, self.batch_sampler = sampler, batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn, self.persistent_workers = collate_fn, persistent_workers
        self._IterableDataset_len_called = self._iterator = None
        self._initialized = True

    @property
    def multiprocessing_context(self):
        """Checked as torch checks it; the workers are threads, so it is not used."""
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None and self.num_workers == 0:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={self.num_workers}"
            )
        if isinstance(context, str):
            methods = multiprocessing.get_all_start_methods()
            if context not in methods:
                raise ValueError(
                    "multiprocessing_context option should specify a valid start method in "
                    f"{methods!r}, but got multiprocessing_context={context!r}"
                )
            context = multiprocessing.get_context(context)
        if context is not None and not isinstance(context, multiprocessing.context.BaseContext):
            raise TypeError(
                "multiprocessing_context option should be a valid context object or a string "
                f"specifying the start method, but got multiprocessing_context={context}"
            )
        self._multiprocessing_context = context

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in _FIXED:
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _ThreadDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _ThreadDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self) -> int:
        if not self._iterable:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is None:
            return length
        return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)


class _SingleProcessDataLoaderIter:
    """``num_workers=0``: ``next()`` fetches each batch on the calling thread."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset, self._iterable = loader.dataset, loader._iterable
        self._index_sampler, self._num_workers = loader._index_sampler, loader.num_workers
        self._make_fetcher = functools.partial(
            _Fetcher,
            iterable=loader._iterable,
            auto_collation=loader._auto_collation,
            collate_fn=loader.collate_fn,
            drop_last=loader.drop_last,
        )
        # One draw per iterator whatever num_workers is, as torch: the shuffle that follows
        # is then the same with and without workers.
        self._base_seed = int(factories.randint(0, 2**63 - 1, (1,), device="cpu").item())
        self._reset(loader)
        if self._num_workers == 0:
            if loader.timeout != 0:
                raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
            self._fetcher = self._make_fetcher(self._dataset)

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded, self._len_called = 0, loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if self._iterable and self._len_called is not None and self._num_yielded > self._len_called:
            warnings.warn(
                f"Length of IterableDataset {self._dataset} was reported to be "
                f"{self._len_called}(when accessing len(dataloader)), but {self._num_yielded} "
                "samples have been fetched. ",
                stacklevel=2,
            )
        return data

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


class _ThreadDataLoaderIter(_SingleProcessDataLoaderIter):
    """``num_workers > 0``: batches loaded ahead by a ``worker._WorkerPool`` of threads."""

    def __init__(self, loader: DataLoader) -> None:
        self._pool = None
        super().__init__(loader)
        self._pool = _WorkerPool(loader, self._make_fetcher, self._sampler_iter, self._base_seed)

    def _reset(self, loader: DataLoader) -> None:
        super()._reset(loader)
        if self._pool is not None:
            self._pool.start_pass(self._sampler_iter)

    def _next_data(self):
        return self._pool.next_data()
