"""Samplers, as ``torch.utils.data``: which indices a ``DataLoader`` reads, in which order.

A sampler is any iterable of dataset indices (``BatchSampler``: of lists of indices) with,
ideally, a ``__len__``. The argument checks and their messages are torch's.

Randomness. tinyoptim has no ``Generator`` objects: every random draw comes from the one
process-wide generator that ``tinyoptim.manual_seed`` seeds (``tinyoptim.randperm``,
``tinyoptim.randint``, ``tinyoptim.rand`` on the CPU), so ``generator=`` accepts ``None``
only and any other value is refused with a ``TypeError`` (silently ignoring a generator
would break the reproducibility its caller asked for). Torch's ``RandomSampler`` draws one
seed from the global generator per epoch and shuffles with a private generator; here the
permutation is drawn from the global generator itself when iteration starts. Either way
the order is fixed by the seed and by the draws made before it; the numbers differ from
torch's, which uses another generator.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator
from typing import Generic, TypeVar

from ...autograd import factories
from ...autograd.tensor import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


def _check_generator(generator) -> None:
    """Refuse a ``generator=`` other than None: tinyoptim draws from its one generator."""
    if generator is not None:
        raise TypeError(
            "tinyoptim has no Generator objects: generator= must be None, and random draws "
            "come from tinyoptim's one generator (seed it with tinyoptim.manual_seed); got "
            f"generator={generator!r}"
        )


class Sampler(Generic[T_co]):
    """Base class of samplers: ``__iter__`` yields indices (or lists of them); ``__len__``
    is optional but needed for ``len(DataLoader)``."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, always in that order.

    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices in a random order: a permutation of the data set (``replacement=False``;
    ``num_samples`` larger than the data chains several permutations), or ``num_samples``
    independent uniform draws (``replacement=True``, drawn 32 at a time as in torch)."""

    def __init__(
        self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )
        _check_generator(generator)

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields: ``len(data_source)`` unless given."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from factories.randint(0, n, (32,), device="cpu").tolist()
            yield from factories.randint(0, n, (self.num_samples % 32,), device="cpu").tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from factories.randperm(n, device="cpu").tolist()
            yield from factories.randperm(n, device="cpu").tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a fresh random order each pass (without replacement)."""

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator
        _check_generator(generator)

    def __iter__(self) -> Iterator[int]:
        for i in factories.randperm(len(self.indices), device="cpu").tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices of ``0 .. len(weights) - 1``, index ``i`` drawn with
    probability proportional to ``weights[i]`` (the weights need not sum to one).

    With replacement each index is an inverse-CDF draw (one uniform number, searched in the
    cumulative weights). Without replacement the draw is successive sampling, as
    ``torch.multinomial``'s: every index gets the key ``E_i / w_i`` with ``E_i`` an
    exponential draw, and the ``num_samples`` smallest keys win, smallest first. The
    distribution checks and their messages are ``torch.multinomial``'s.
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        if isinstance(weights, Tensor):
            weights_tensor = weights.detach().double()
        else:
            weights_tensor = factories.tensor(weights, dtype="float64")
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                "weights should be a 1d sequence but given "
                f"weights have shape {tuple(weights_tensor.shape)}"
            )
        _check_generator(generator)
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        weights = self.weights.tolist()
        _check_distribution(weights, self.num_samples, self.replacement)
        if self.replacement:
            cumulative = list(itertools.accumulate(weights))
            last = max(i for i, w in enumerate(weights) if w > 0)
            draws = factories.rand(self.num_samples, dtype="float64", device="cpu").tolist()
            total = cumulative[-1]
            yield from (min(bisect.bisect_right(cumulative, u * total), last) for u in draws)
        else:
            draws = factories.rand(len(weights), dtype="float64", device="cpu").tolist()
            keys = [
                -math.log(u) / w if w > 0 and u > 0 else math.inf for u, w in zip(draws, weights)
            ]
            yield from sorted(range(len(weights)), key=keys.__getitem__)[: self.num_samples]

    def __len__(self) -> int:
        return self.num_samples


def _check_distribution(weights: list, num_samples: int, replacement: bool) -> None:
    """``torch.multinomial``'s checks on a 1-d weight vector, in its order."""
    if not replacement and num_samples > len(weights):
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if not weights:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation "
            "has no identity."
        )
    for w in weights:
        if not w >= 0:  # NaN too, as torch reports it
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        if math.isinf(w):
            raise RuntimeError(
                "invalid multinomial distribution "
                "(encountering probability entry = infinity or NaN)"
            )
    if sum(weights) <= 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


class BatchSampler(Sampler[list]):
    """Lists of ``batch_size`` consecutive indices from ``sampler`` (any iterable); the last,
    shorter list is kept unless ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            yield from (list(batch) for batch in zip(*[sampler_iter] * self.batch_size))
        else:
            batch = list(itertools.islice(sampler_iter, self.batch_size))
            while batch:
                yield batch
                batch = list(itertools.islice(sampler_iter, self.batch_size))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
