"""``SparseGrad``: a row-sparse gradient, as ``nn.Embedding(sparse=True)`` produces.

Only the rows an embedding lookup touched carry a gradient. ``SparseGrad`` keeps them as
``indices`` (1-d integer array of row numbers, maybe repeated) and ``values`` (one row of
gradient per index), plus the dense ``shape``. ``coalesce()`` sums repeated rows. It is
what ``Tensor.grad`` holds for a sparse embedding, and ``grad.is_sparse`` is True.
"""

from __future__ import annotations


class SparseGrad:
    """Row-sparse gradient: ``dense[indices[i]] += values[i]`` for every i."""

    is_sparse = True

    def __init__(self, indices, values, shape, device, coalesced: bool = False):
        self.indices = indices
        self.values = values
        self.shape = tuple(shape)
        self.device = device
        self._coalesced = coalesced

    @property
    def dtype(self):
        from ..backends import as_dtype

        return as_dtype(self.values.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def is_coalesced(self) -> bool:
        return self._coalesced

    def coalesce(self) -> SparseGrad:
        """The same gradient with sorted, unique row indices (repeated rows summed)."""
        if self._coalesced:
            return self
        xp = self.device.backend.xp
        unique, inverse = xp.unique(self.indices, return_inverse=True)
        values = xp.zeros((len(unique),) + self.shape[1:], dtype=self.values.dtype)
        self.device.backend.scatter_add(values, inverse.reshape(-1), self.values)
        return SparseGrad(unique, values, self.shape, self.device, coalesced=True)

    def concat(self, other: SparseGrad) -> SparseGrad:
        """The sum of two row-sparse gradients (rows are concatenated, not yet summed)."""
        xp = self.device.backend.xp
        return SparseGrad(
            xp.concatenate([self.indices, other.indices]),
            xp.concatenate([self.values, other.values]),
            self.shape,
            self.device,
        )

    def add_to(self, dense) -> None:
        """``dense += self``, in place."""
        self.device.backend.scatter_add(dense, self.indices, self.values)

    def to_dense(self):
        """The gradient as a dense backend array."""
        xp = self.device.backend.xp
        dense = xp.zeros(self.shape, dtype=self.values.dtype)
        self.add_to(dense)
        return dense

    def __mul__(self, scalar) -> SparseGrad:
        return SparseGrad(self.indices, self.values * scalar, self.shape, self.device)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return (
            f"SparseGrad(rows={len(self.indices)}, shape={self.shape}, dtype={self.dtype}, "
            f"device='{self.device}')"
        )
