"""The ``DataLoader``'s worker threads (``num_workers > 0``) and ``get_worker_info``.

Why threads and not processes: tinyoptim's arrays are NumPy (or CuPy) arrays, and NumPy
releases the GIL in its loops and copies, so a thread that indexes, converts and stacks
arrays runs alongside the training step; and threads skip what processes cost (pickling
the data set into every worker, sending each batch back through shared memory, the
``if __name__ == "__main__"`` guard). The price: a ``__getitem__`` busy in pure-Python
code holds the GIL, so threads speed it up less than processes would.

``_WorkerPool`` keeps the bookkeeping of torch's ``_MultiProcessingDataLoaderIter``, with
queues between threads. Each worker thread gets a shallow copy of the data set
(``copy.copy``, so ``worker_init_fn`` may reconfigure its copy as in torch, while the
arrays stay shared), sets its ``WorkerInfo``, calls ``worker_init_fn(worker_id)``, then
turns sampler items into batches. Up to ``prefetch_factor * num_workers`` items are in
flight, handed out round-robin; with ``in_order=True`` the batches come back in sampler
order, so they equal those of ``num_workers=0``; with ``in_order=False`` in the order
they are ready. A worker of an ``IterableDataset`` retires when its stream ends; the pass
ends when all have. A worker's exception is raised again by the caller's ``next()``, and
``timeout > 0`` bounds the wait for a batch (``RuntimeError`` when exceeded).

The sampler runs on the calling thread, so shuffling stays reproducible. The workers
share tinyoptim's one random generator with it, though: random draws inside
``__getitem__`` interleave with the caller's in no fixed order. Seed a private generator
from ``get_worker_info().seed`` (``base_seed + id``; ``base_seed`` is drawn from
tinyoptim's generator each time an iterator over the loader is made, with or without
workers, as in torch) for reproducible augmentation.
"""

from __future__ import annotations

import copy
import itertools
import queue
import threading
from dataclasses import dataclass

__all__ = ["WorkerInfo", "get_worker_info"]

_local = threading.local()
_RESUME = "resume"  # persistent workers, new pass: rebuild the fetcher and acknowledge


@dataclass(frozen=True)
class WorkerInfo:
    """A worker thread's id (``0 .. num_workers - 1``), the number of workers, its seed and
    its copy of the data set; ``rng`` is always None here, ``worker_method`` "thread"."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "thread"


def get_worker_info() -> WorkerInfo | None:
    """This worker thread's ``WorkerInfo``; None outside the loader's worker threads."""
    return getattr(_local, "info", None)


class _IterableEnd:
    """A worker's iterable data set is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Failure:
    """An exception raised in a worker, raised again by the caller's ``next()``."""

    def __init__(self, error: BaseException, worker_id: int) -> None:
        self.error, self.worker_id = error, worker_id

    def reraise(self):
        if hasattr(self.error, "add_note"):  # Python 3.11+
            self.error.add_note(f"(raised in DataLoader worker thread {self.worker_id})")
        raise self.error


def _worker_loop(make_fetcher, tasks, results, done, init_fn, info: WorkerInfo) -> None:
    """A worker thread: ``(task index, sampler item)`` in, ``(task index, data)`` out. A
    failing ``worker_init_fn`` fails every task of its worker."""
    _local.info = info
    failure = fetcher = None
    try:
        if init_fn is not None:
            init_fn(info.id)
        fetcher = make_fetcher(info.dataset)
    except BaseException as error:  # handed to the caller's next()
        failure = _Failure(error, info.id)
    ended = False
    while (task := tasks.get()) is not None:
        if task is _RESUME:
            results.put((_RESUME, None))
            ended = False
            fetcher = make_fetcher(info.dataset) if failure is None else None
            continue
        if done.is_set() or ended:
            continue  # stopping, or the stream is over: skip what is still queued
        idx, index = task
        try:
            data = failure if failure is not None else fetcher.fetch(index)
        except StopIteration as stop:
            ended = fetcher.iterable
            data = _IterableEnd(info.id) if ended else _Failure(stop, info.id)
        except BaseException as error:
            data = _Failure(error, info.id)
        results.put((idx, data))
        del data, index, task


class _WorkerPool:
    """``num_workers`` threads loading the items of one sampler iterator per pass.

    The threads hold no reference to the pool, so dropping the pool (the loader's
    iterator) stops them even in the middle of a pass.
    """

    def __init__(self, loader, make_fetcher, sampler_iter, base_seed: int) -> None:
        self._shutdown, self._task_queues = True, []
        self._results, self._done = queue.Queue(), threading.Event()
        self._num_workers, self._timeout = loader.num_workers, loader.timeout
        self._prefetch_factor, self._in_order = loader.prefetch_factor, loader.in_order
        self._persistent = loader.persistent_workers
        if self._prefetch_factor <= 0:
            raise AssertionError(
                "prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter"
            )
        for worker_id in range(self._num_workers):
            dataset = _own_copy(loader.dataset)
            info = WorkerInfo(worker_id, self._num_workers, base_seed + worker_id, dataset)
            tasks = queue.Queue()
            args = (make_fetcher, tasks, self._results, self._done, loader.worker_init_fn, info)
            name = f"DataLoader-worker-{worker_id}"
            threading.Thread(target=_worker_loop, args=args, name=name, daemon=True).start()
            self._task_queues.append(tasks)
        self._shutdown = False
        self.start_pass(sampler_iter, first=True)

    def start_pass(self, sampler_iter, first: bool = False) -> None:
        """Begin a pass over ``sampler_iter`` (after a first one: persistent workers)."""
        self._sampler_iter = sampler_iter
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}  # task index -> (worker,) while loading, (worker, data) once back
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:  # drain what is left of the last pass, then resume
            for tasks in self._task_queues:
                tasks.put(_RESUME)
            acks = self._num_workers
            while acks:
                acks -= self._get_data()[0] is _RESUME
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _get_data(self):
        try:
            return self._results.get(timeout=self._timeout if self._timeout > 0 else None)
        except queue.Empty:
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None

    def next_data(self):
        """The next batch (``StopIteration`` at the end of the pass)."""
        while True:
            while self._rcvd_idx < self._send_idx:  # skip tasks of workers whose stream ended
                info = self._task_info.get(self._rcvd_idx)
                if info and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self.shutdown()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # it arrived earlier, out of order
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            idx, data = self._get_data()
            if isinstance(data, _IterableEnd):
                self._workers_status[data.worker_id] = False
                if not self._persistent:
                    self._task_queues[data.worker_id].put(None)
                self._try_put_index()
            elif idx == self._rcvd_idx or not self._in_order:
                self._rcvd_idx += idx == self._rcvd_idx
                return self._process_data(data, self._task_info.pop(idx)[0])
            else:
                self._task_info[idx] += (data,)

    def _try_put_index(self) -> None:
        """Send the sampler's next item to the next running worker (with ``in_order=False``:
        the next one below its share of the prefetch budget)."""
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        share = self._prefetch_factor * self._num_workers // max(sum(self._workers_status), 1)
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id] and (
                self._in_order or self._workers_num_tasks[worker_id] < share
            ):
                break
        else:
            return
        self._task_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, _Failure):
            data.reraise()
        return data

    def shutdown(self) -> None:
        """Stop the workers: they skip the work still queued and exit."""
        if not self._shutdown:
            self._shutdown = True
            self._done.set()
            for tasks in self._task_queues:
                tasks.put(None)

    def __del__(self) -> None:
        self.shutdown()


def _own_copy(dataset):
    """A worker's shallow copy of the data set (the data set itself if it cannot be copied)."""
    try:
        return copy.copy(dataset)
    except Exception:
        return dataset
