"""``tinyoptim.utils.data``: DistributedSampler (torch's partitioning rules, an order fixed
by seed and epoch), then datasets, samplers, collation and DataLoader against torch 2.13."""

from __future__ import annotations

import collections
import gc
import inspect
import math
import threading
import time
import warnings

import numpy as np
import pytest

import tinyoptim
from tests.torch_ref import torch
from tinyoptim.utils import data
from tinyoptim.utils.data import DistributedSampler


def shards(n, replicas, **kwargs):
    return [list(DistributedSampler(n, replicas, rank, **kwargs)) for rank in range(replicas)]


def test_unshuffled_shards_interleave_and_pad_by_repeating_the_start():
    assert shards(10, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert shards(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_drop_last_cuts_instead_of_padding():
    assert shards(10, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(10, 3, 0, drop_last=True)) == 3


@pytest.mark.parametrize("n, replicas", [(12, 3), (17, 4), (5, 2)])
def test_shuffled_shards_cover_the_data_and_depend_only_on_seed_and_epoch(n, replicas):
    first = shards(n, replicas, seed=3)
    assert sorted(set(sum(first, []))) == list(range(n))
    assert all(len(s) == len(first[0]) for s in first)
    assert first == shards(n, replicas, seed=3)
    sampler = DistributedSampler(n, replicas, 0, seed=3)
    sampler.set_epoch(1)
    again = DistributedSampler(n, replicas, 0, seed=3)
    again.set_epoch(1)
    assert list(sampler) == list(again)
    epochs = []
    for epoch in range(5):
        sampler.set_epoch(epoch)
        epochs.append(list(sampler))
    assert epochs[0] == first[0] and len({tuple(e) for e in epochs}) > 1


def test_takes_a_dataset_with_len():
    assert list(DistributedSampler(["a", "b", "c"], 2, 1, shuffle=False)) == [1, 0]


def test_invalid_rank():
    with pytest.raises(
        ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"
    ):
        DistributedSampler(10, 3, 3)


def test_needs_a_process_group_for_default_replicas():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(10)


# --- datasets, samplers, collation and DataLoader -------------------------------------
#
# Compared with torch 2.13 live (when it is importable) wherever the result does not
# depend on the random generator; the random parts are checked for their invariants.


needs_torch = pytest.mark.skipif(torch is None, reason="torch 2.13 is not installed")
Point = collections.namedtuple("Point", "x y")


def both():
    """(tinyoptim's, torch's) ``utils.data`` and tensor factory."""
    return [(data, tinyoptim.tensor), (torch.utils.data, torch.tensor)]


def plain(x):
    """A structure of plain Python values: tensors as (dtype name, shape, values)."""
    if isinstance(x, (tinyoptim.Tensor, *([torch.Tensor] if torch else []))):
        return ("tensor", str(x.dtype).rpartition(".")[2], tuple(x.shape), x.tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, *map(plain, x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: plain(v) for k, v in x.items()})
    return x


def outcome(fn):
    """``plain(fn())``, or the exception's type name and message."""
    try:
        return plain(fn())
    except Exception as error:  # noqa: BLE001 - the error is the result
        return type(error).__name__, str(error)


def stream_class(lib):
    """An ``IterableDataset`` subclass of ``lib``, named Stream in either library."""

    class Stream(lib.IterableDataset):
        """range(start, stop), split between workers when ``split``; ``len`` if ``length``."""

        def __init__(self, start, stop, split=False, length=None):
            self.start, self.stop, self.split, self.length = start, stop, split, length

        def __iter__(self):
            info = lib.get_worker_info()
            if not self.split or info is None:
                return iter(range(self.start, self.stop))
            per = math.ceil((self.stop - self.start) / info.num_workers)
            first = self.start + info.id * per
            return iter(range(first, min(first + per, self.stop)))

        def __len__(self):
            if self.length is None:
                raise TypeError(f"object of type '{type(self).__name__}' has no len()")
            return self.length

    return Stream


Stream = stream_class(data)
STREAMS = {data: Stream, **({torch.utils.data: stream_class(torch.utils.data)} if torch else {})}


def stream(lib, *args, **kwargs):
    return STREAMS[lib](*args, **kwargs)


SIGNATURES = [
    "DataLoader",
    "RandomSampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "ChainDataset",
    "StackDataset",
    "random_split",
    "default_collate",
    "default_convert",
    "get_worker_info",
]


@needs_torch
@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_are_torchs(name):
    def params(fn):
        return [
            (p.name, p.kind, "generator" if p.name == "generator" else p.default)
            for p in inspect.signature(fn).parameters.values()
        ]

    assert params(getattr(data, name)) == params(getattr(torch.utils.data, name))
    assert set(SIGNATURES) <= set(data.__all__)


def collate_cases(lib, tensor):
    return [
        [0, 1, 2],
        [1.5, 2.0],
        [True, False],
        [1, 2.5],
        [True, 2],
        ["a", "b"],
        [b"a", b"b"],
        [np.float32(1), np.float32(2)],
        [np.float64(1), np.float32(2)],
        [np.int32(3), np.int32(4)],
        [np.bool_(True), np.bool_(False)],
        [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
        [np.arange(3), np.arange(3, 6)],
        [np.array(1.5), np.array(2.5)],
        [tensor([1.0, 2.0]), tensor([3.0, 4.0])],
        [tensor(1), tensor(2)],
        [tensor([[1, 2]]), tensor([[3, 4]])],
        [(1, "a", 2.5), (2, "b", 3.5)],
        [[1, 2], [3, 4]],
        [{"x": 1, "y": [1.5, np.float32(2)]}, {"x": 2, "y": [2.5, np.float32(3)]}],
        [Point(1, 2.0), Point(3, 4.0)],
        [range(2), range(2)],
        [(tensor([1.0]), 0), (tensor([2.0]), 1)],
        # refused, with torch's messages
        [[1, 2], [3]],
        [None, None],
        [object()],
        [np.array(["a"]), np.array(["b"])],
        [np.arange(2), np.arange(3)],
        [tensor([1.0]), tensor([1.0, 2.0])],
    ]


@needs_torch
@pytest.mark.parametrize("case", range(len(collate_cases(data, tinyoptim.tensor))))
def test_default_collate_matches_torch(case):
    ours, theirs = (
        outcome(lambda lib=lib, t=t: lib.default_collate(collate_cases(lib, t)[case]))
        for lib, t in both()
    )
    assert ours == theirs


def convert_cases(lib, tensor):
    return [
        np.arange(3),
        np.float64(1.5),
        np.int32(2),
        (np.arange(2), 3),
        [np.int64(1), "a"],
        {"a": np.ones(2, np.float32), "b": 1.5},
        Point(np.int64(1), 2.0),
        np.array(["a", "b"]),
        "ab",
        tensor([1, 2]),
        7,
    ]


@needs_torch
@pytest.mark.parametrize("case", range(len(convert_cases(data, tinyoptim.tensor))))
def test_default_convert_matches_torch(case):
    ours, theirs = (
        outcome(lambda lib=lib, t=t: lib.default_convert(convert_cases(lib, t)[case]))
        for lib, t in both()
    )
    if case == 7:  # an array of strings is returned as it is
        assert ours.tolist() == theirs.tolist()
    else:
        assert ours == theirs


def loader_cases(lib, tensor):
    x = tensor([[float(i), -float(i)] for i in range(10)])
    y = tensor(list(range(10)))
    pairs = lib.TensorDataset(x, y)
    return [
        lambda: list(lib.DataLoader(range(10))),
        lambda: list(lib.DataLoader(range(10), batch_size=3)),
        lambda: list(lib.DataLoader(range(10), batch_size=3, drop_last=True)),
        lambda: list(lib.DataLoader(range(10), batch_size=None)),
        lambda: list(lib.DataLoader(pairs, batch_size=4)),
        lambda: list(lib.DataLoader(pairs, batch_size=None)),
        lambda: list(lib.DataLoader(pairs, batch_sampler=[[3, 1], [0], [9, 8, 7]])),
        lambda: list(lib.DataLoader(pairs, sampler=[5, 2, 2, 7], batch_size=3)),
        lambda: list(lib.DataLoader(lib.Subset(pairs, [9, 0, 4]), batch_size=2)),
        lambda: list(lib.DataLoader(pairs + pairs, batch_size=8, drop_last=True)),
        lambda: list(lib.DataLoader(["a", "b", "c"], batch_size=2)),
        lambda: list(lib.DataLoader([{"v": i, "w": [i, 0.5]} for i in range(5)], batch_size=2)),
        lambda: list(lib.DataLoader(range(7), batch_size=3, collate_fn=lambda b: sum(b))),
        lambda: list(lib.DataLoader(stream(lib, 0, 7), batch_size=3)),
        lambda: list(lib.DataLoader(stream(lib, 0, 7), batch_size=3, drop_last=True)),
        lambda: list(lib.DataLoader(stream(lib, 0, 4), batch_size=None)),
        lambda: list(lib.DataLoader(stream(lib, 0, 2) + stream(lib, 5, 7), batch_size=3)),
        lambda: list(lib.DataLoader(range(9), sampler=lib.SequentialSampler(range(9)))),
        lambda: [len(s) for s in lib.random_split(range(10), [3, 7])],
        lambda: [len(s) for s in lib.random_split(range(10), [0.3, 0.3, 0.4])],
        lambda: [len(s) for s in lib.random_split(range(10), [0.33, 0.33, 0.34])],
        lambda: [len(s) for s in lib.random_split(range(11), [0.5, 0.5])],
        lambda: [len(s) for s in lib.random_split(range(3), [0.1, 0.9, 0.0])],
        lambda: [len(s) for s in lib.random_split(range(10), [1, 0.0])],
    ]


@needs_torch
@pytest.mark.parametrize("case", range(len(loader_cases(data, tinyoptim.tensor))))
def test_batches_and_split_lengths_match_torch(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = outcome(loader_cases(data, tinyoptim.tensor)[case])
        theirs = outcome(loader_cases(torch.utils.data, torch.tensor)[case])
    assert ours == theirs
    messages = sorted(str(w.message) for w in caught)
    assert messages[::2] == messages[1::2]  # each warning (an empty split) from both


def length_cases(lib):
    return [
        lambda: len(lib.DataLoader(range(10))),
        lambda: len(lib.DataLoader(range(10), batch_size=3)),
        lambda: len(lib.DataLoader(range(10), batch_size=3, drop_last=True)),
        lambda: len(lib.DataLoader(range(10), batch_size=5, drop_last=True)),
        lambda: len(lib.DataLoader(range(10), batch_size=None)),
        lambda: len(lib.DataLoader(range(10), batch_size=4, shuffle=True)),
        lambda: len(lib.DataLoader(range(10), batch_sampler=[[1], [2, 3]])),
        lambda: len(lib.DataLoader(range(10), sampler=[1, 2, 3], batch_size=2)),
        lambda: len(lib.DataLoader(range(0), batch_size=2)),
        lambda: len(lib.DataLoader(stream(lib, 0, 7, length=7), batch_size=2)),
        lambda: len(lib.DataLoader(stream(lib, 0, 7, length=7), batch_size=2, drop_last=True)),
        lambda: len(lib.DataLoader(stream(lib, 0, 7, length=7), batch_size=None)),
        lambda: len(lib.DataLoader(stream(lib, 0, 7))),
        lambda: len(lib.RandomSampler(range(5), num_samples=12)),
        lambda: len(lib.BatchSampler(range(10), 4, False)),
        lambda: len(lib.BatchSampler(range(10), 4, True)),
        lambda: len(lib.WeightedRandomSampler([1.0, 2.0], 5)),
        lambda: len(lib.SubsetRandomSampler([4, 5, 6])),
        lambda: len(lib.ConcatDataset([range(3), range(4)])),
        lambda: len(lib.ChainDataset([stream(lib, 0, 3, length=3), stream(lib, 0, 2, length=2)])),
        lambda: len(lib.StackDataset(range(3), "abc")),
    ]


@needs_torch
@pytest.mark.parametrize("case", range(len(length_cases(data))))
def test_len_matches_torch(case):
    assert outcome(length_cases(data)[case]) == outcome(length_cases(torch.utils.data)[case])


def error_cases(lib, tensor):
    return [
        lambda: lib.DataLoader(range(3), num_workers=-1),
        lambda: lib.DataLoader(range(3), timeout=-1),
        lambda: lib.DataLoader(range(3), prefetch_factor=2),
        lambda: lib.DataLoader(range(3), num_workers=1, prefetch_factor=-1),
        lambda: lib.DataLoader(range(3), persistent_workers=True),
        lambda: lib.DataLoader(range(3), multiprocessing_context="fork"),
        lambda: lib.DataLoader(range(3), num_workers=1, multiprocessing_context="bogus"),
        lambda: lib.DataLoader(range(3), num_workers=1, multiprocessing_context=3),
        lambda: lib.DataLoader(stream(lib, 0, 3), shuffle=True),
        lambda: lib.DataLoader(stream(lib, 0, 3), sampler=[1]),
        lambda: lib.DataLoader(stream(lib, 0, 3), batch_sampler=[[1]]),
        lambda: lib.DataLoader(range(3), sampler=[1], shuffle=True),
        lambda: lib.DataLoader(range(3), batch_sampler=[[1]], batch_size=2),
        lambda: lib.DataLoader(range(3), batch_sampler=[[1]], shuffle=True),
        lambda: lib.DataLoader(range(3), batch_sampler=[[1]], drop_last=True),
        lambda: lib.DataLoader(range(3), batch_size=None, drop_last=True),
        lambda: lib.DataLoader(range(3), batch_size=0),
        lambda: iter(lib.DataLoader(range(3), timeout=1)),
        lambda: setattr(lib.DataLoader(range(3)), "batch_size", 2),
        lambda: setattr(lib.DataLoader(range(3)), "sampler", None),
        lambda: lib.RandomSampler(range(3), replacement=1),
        lambda: lib.RandomSampler(range(3), num_samples=0),
        lambda: lib.RandomSampler(range(0)),
        lambda: lib.RandomSampler(range(3), num_samples=2.0),
        lambda: lib.WeightedRandomSampler([1.0], 0),
        lambda: lib.WeightedRandomSampler([1.0], True),
        lambda: lib.WeightedRandomSampler([1.0], 1, replacement=1),
        lambda: lib.WeightedRandomSampler([[1.0, 2.0]], 1),
        lambda: lib.WeightedRandomSampler(5, 1),
        lambda: list(lib.WeightedRandomSampler([0.0, 0.0], 2)),
        lambda: list(lib.WeightedRandomSampler([-1.0, 2.0], 2)),
        lambda: list(lib.WeightedRandomSampler([float("inf"), 2.0], 2)),
        lambda: list(lib.WeightedRandomSampler([float("nan"), 2.0], 2)),
        lambda: list(lib.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
        lambda: list(lib.WeightedRandomSampler([], 1)),
        lambda: lib.BatchSampler(range(3), 0, False),
        lambda: lib.BatchSampler(range(3), True, False),
        lambda: lib.BatchSampler(range(3), 2.0, False),
        lambda: lib.BatchSampler(range(3), 2, 1),
        lambda: lib.TensorDataset(tensor([1, 2]), tensor([1, 2, 3])),
        lambda: lib.ConcatDataset([]),
        lambda: lib.ConcatDataset([stream(lib, 0, 1)]),
        lambda: lib.ConcatDataset([range(3)])[-4],
        lambda: lib.ConcatDataset([range(3)])[3],
        lambda: list(lib.ChainDataset([range(3)])),
        lambda: lib.StackDataset(),
        lambda: lib.StackDataset(range(2), "abc"),
        lambda: lib.StackDataset(range(2), a=range(2)),
        lambda: lib.random_split(range(10), [3, 6]),
        lambda: lib.random_split(range(10), [0.5, 0.6]),
        lambda: lib.random_split(range(10), [1.5, -0.5]),
        lambda: lib.Dataset()[0],
        lambda: lib.IterableDataset(),
        lambda: iter(lib.Sampler()),
        lambda: lib.default_collate([]),
    ]


@needs_torch
@pytest.mark.parametrize("case", range(len(error_cases(data, tinyoptim.tensor))))
def test_errors_match_torch(case):
    ours = outcome(error_cases(data, tinyoptim.tensor)[case])
    theirs = outcome(error_cases(torch.utils.data, torch.tensor)[case])
    assert ours == theirs
    assert isinstance(ours, tuple) and ours[0].endswith(("Error", "Exception"))


def test_subset_concat_chain_and_stack():
    ds = data.TensorDataset(tinyoptim.arange(5), tinyoptim.arange(5) * 10)
    assert [int(a) for a, _ in data.Subset(ds, [4, 0])] == [4, 0]
    both_halves = ds + ds
    assert isinstance(both_halves, data.ConcatDataset) and len(both_halves) == 10
    assert both_halves.cumulative_sizes == [5, 10]
    assert int(both_halves[7][1]) == 20 and int(both_halves[-1][0]) == 4
    assert isinstance(Stream(0, 2) + Stream(5, 6), data.ChainDataset)
    assert list(Stream(0, 2) + Stream(5, 6)) == [0, 1, 5]
    assert data.StackDataset(range(3), "abc")[1] == (1, "b")
    assert data.StackDataset(n=range(3), c="abc")[2] == {"n": 2, "c": "c"}


def test_generator_must_be_none():
    for make in [
        lambda g: data.RandomSampler(range(3), generator=g),
        lambda g: data.SubsetRandomSampler([1, 2], generator=g),
        lambda g: data.WeightedRandomSampler([1.0, 2.0], 2, generator=g),
        lambda g: data.random_split(range(4), [2, 2], generator=g),
        lambda g: data.DataLoader(range(4), shuffle=True, generator=g),
    ]:
        make(None)
        with pytest.raises(TypeError, match="tinyoptim has no Generator objects"):
            make(np.random.default_rng(0))


def epoch(loader):
    return [b.tolist() for b in loader]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffled_epochs_are_permutations_reproducible_after_manual_seed(num_workers):
    loader = data.DataLoader(range(23), batch_size=5, shuffle=True, num_workers=num_workers)
    tinyoptim.manual_seed(7)
    first, second = epoch(loader), epoch(loader)
    for e in (first, second):
        assert [len(b) for b in e] == [5, 5, 5, 5, 3]
        assert sorted(sum(e, [])) == list(range(23))
    assert first != second
    tinyoptim.manual_seed(7)
    assert epoch(loader) == first and epoch(loader) == second


def test_threads_give_the_batches_of_num_workers_0():
    x = tinyoptim.randn(37, 3)
    ds = data.TensorDataset(x, tinyoptim.arange(37))
    runs = []
    for kwargs in [
        {},
        {"num_workers": 1},
        {"num_workers": 3},
        {"num_workers": 4, "prefetch_factor": 1},
        {"num_workers": 2, "persistent_workers": True},
    ]:
        tinyoptim.manual_seed(3)
        loader = data.DataLoader(ds, batch_size=8, shuffle=True, **kwargs)
        runs.append([[(a.tolist(), b.tolist()) for a, b in loader] for _ in range(2)])
    assert all(run == runs[0] for run in runs)
    assert runs[0][0] != runs[0][1]


def test_out_of_order_batches_are_the_same_batches():
    loader = data.DataLoader(range(40), batch_size=3, num_workers=3, in_order=False)
    assert sorted(epoch(loader)) == sorted(epoch(data.DataLoader(range(40), batch_size=3)))


def test_iterable_dataset_with_workers_as_torch_documents():
    # torch.utils.data.IterableDataset's docstring: [3, 4, 5, 6] split between two workers
    # comes back [3, 5, 4, 6]; unsplit, every worker yields all of it.
    assert epoch(data.DataLoader(Stream(3, 7, split=True), num_workers=2)) == [[3], [5], [4], [6]]
    assert epoch(data.DataLoader(Stream(3, 7, split=True), num_workers=12)) == [[3], [4], [5], [6]]
    assert epoch(data.DataLoader(Stream(3, 7), num_workers=2)) == [
        [3],
        [3],
        [4],
        [4],
        [5],
        [5],
        [6],
        [6],
    ]
    loader = data.DataLoader(Stream(0, 11, split=True), batch_size=2, num_workers=3)
    assert epoch(loader) == [[0, 1], [4, 5], [8, 9], [2, 3], [6, 7], [10]]
    loader = data.DataLoader(Stream(0, 11, split=True), batch_size=2, num_workers=3, drop_last=True)
    assert epoch(loader) == [[0, 1], [4, 5], [8, 9], [2, 3], [6, 7]]


def test_worker_info_and_worker_init_fn():
    seen = []

    class Probe(data.Dataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            info = data.get_worker_info()
            seen.append((info.id, info.num_workers, info.dataset is self and self is not probe))
            return i

    def init(worker_id):
        info = data.get_worker_info()
        seen.append(("init", worker_id, info.id, info.seed - worker_id, info.worker_method))

    probe = Probe()
    assert data.get_worker_info() is None
    assert epoch(data.DataLoader(probe, batch_size=2, num_workers=3, worker_init_fn=init)) == [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
        [8, 9],
        [10, 11],
    ]
    inits = sorted(s for s in seen if s[0] == "init")
    assert [s[1:3] for s in inits] == [(0, 0), (1, 1), (2, 2)]
    assert len({s[3] for s in inits}) == 1 and {s[4] for s in inits} == {"thread"}
    loads = [s for s in seen if s[0] != "init"]
    assert len(loads) == 12 and {s[1:] for s in loads} == {(3, True)}
    assert {s[0] for s in loads} == {0, 1, 2}
    assert data.get_worker_info() is None


def test_worker_errors_reach_the_caller():
    class Faulty(data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 3:
                raise KeyError(i)
            return i

    loader = data.DataLoader(Faulty(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    with pytest.raises(KeyError):
        next(it)
    assert next(it).tolist() == [4, 5]

    def broken_init(worker_id):
        raise ValueError(f"no worker {worker_id}")

    with pytest.raises(ValueError, match="no worker"):
        list(data.DataLoader(range(4), num_workers=2, worker_init_fn=broken_init))


def test_timeout_and_workers_stopping():
    class Slow(data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(0.3)
            return i

    with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
        iter(data.DataLoader(range(3), num_workers=1, prefetch_factor=0))
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.05 seconds"):
        list(data.DataLoader(Slow(), num_workers=1, timeout=0.05))
    before = set(threading.enumerate())
    loader = data.DataLoader(range(50), num_workers=3)
    it = iter(loader)
    next(it)
    del it  # abandoned mid-pass: its workers exit
    assert epoch(loader) == [[i] for i in range(50)]  # a full pass stops its workers too
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert not set(threading.enumerate()) - before


def test_persistent_workers_keep_their_dataset_copies():
    copies = set()

    def init(worker_id):
        copies.add(id(data.get_worker_info().dataset))

    loader = data.DataLoader(
        Stream(0, 6, split=True), num_workers=2, persistent_workers=True, worker_init_fn=init
    )
    assert epoch(loader) == [[0], [3], [1], [4], [2], [5]]
    it = iter(loader)
    next(it)  # leave this pass unfinished: the next one starts afresh
    assert epoch(loader) == [[0], [3], [1], [4], [2], [5]]
    assert len(copies) == 2


def test_random_samplers():
    tinyoptim.manual_seed(0)
    draws = list(data.RandomSampler(range(5), num_samples=12))
    assert len(draws) == 12 and sorted(draws[:5]) == sorted(draws[5:10]) == list(range(5))
    assert len(set(draws[10:])) == 2
    draws = list(data.RandomSampler(range(4), replacement=True, num_samples=70))
    assert len(draws) == 70 and set(draws) == {0, 1, 2, 3}
    picked = list(data.SubsetRandomSampler([10, 20, 30]))
    assert sorted(picked) == [10, 20, 30]
    tinyoptim.manual_seed(5)
    a = list(data.RandomSampler(range(50)))
    tinyoptim.manual_seed(5)
    assert list(data.RandomSampler(range(50))) == a and a != list(range(50))


def test_weighted_random_sampler():
    tinyoptim.manual_seed(0)
    weights = [1.0, 0.0, 3.0, 6.0]
    draws = list(data.WeightedRandomSampler(weights, 20000))
    counts = [draws.count(i) / len(draws) for i in range(4)]
    assert counts[1] == 0 and np.allclose(counts, [0.1, 0.0, 0.3, 0.6], atol=0.02)
    picks = list(data.WeightedRandomSampler(tinyoptim.tensor(weights), 3, replacement=False))
    assert sorted(picks) == [0, 2, 3]
    firsts = [
        next(iter(data.WeightedRandomSampler([1.0, 9.0], 1, replacement=False)))
        for _ in range(2000)
    ]
    assert 0.87 < firsts.count(1) / 2000 < 0.93
    assert data.WeightedRandomSampler(np.array([1, 2]), 2).weights.dtype == tinyoptim.float64


def test_random_split_is_a_reproducible_partition():
    tinyoptim.manual_seed(1)
    parts = data.random_split(range(30), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [15, 9, 6]
    assert sorted(i for p in parts for i in p) == list(range(30))
    tinyoptim.manual_seed(1)
    assert [list(p) for p in data.random_split(range(30), [15, 9, 6])] == [list(p) for p in parts]


def test_collate_keeps_the_default_device_and_dtypes():
    batch = data.default_collate([np.ones(3, np.float64), np.zeros(3, np.float64)])
    assert batch.dtype == tinyoptim.float64 and batch.device == tinyoptim.get_default_device()
    assert data.default_collate([1.5, 2.5]).dtype == tinyoptim.float64
    assert data.default_collate([1, 2]).dtype == tinyoptim.int64
    assert data.default_collate([True, False]).dtype == tinyoptim.bool
    assert data.default_collate([np.int32(1), np.int32(2)]).dtype == tinyoptim.int32
    assert data.default_collate(["a", "b"]) == ["a", "b"]


def test_loader_with_distributed_sampler():
    sampler = DistributedSampler(10, num_replicas=3, rank=1, shuffle=False)
    loader = data.DataLoader(range(100, 110), batch_size=2, sampler=sampler)
    assert isinstance(sampler, data.Sampler)
    assert epoch(loader) == [[101, 104], [107, 100]] and len(loader) == 2
