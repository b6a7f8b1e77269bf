"""DistributedSampler: torch's partitioning rules, and an order fixed by seed and epoch."""

from __future__ import annotations

import pytest

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
