"""Math methods of ``Tensor``, as torch's: binary pointwise functions (``atan2``,
``hypot``, ``fmod``, ``copysign``, ``logaddexp``, ``xlogy``, ``float_power``), special
functions (``erfc``, ``erfinv``, ``lgamma``, ``digamma``, ``logit``, ``sinc``, ``i0``...),
their in-place forms, and reductions (``nansum``, ``nanmean``, ``count_nonzero``,
``aminmax``, ``median``, ``nanmedian``, ``kthvalue``, ``mode``, ``logcumsumexp``).

Each differentiable method applies one op of ``ops/pointwise_more.py`` or
``ops/reduce_more.py``, or composes ops the graph already knows, so its gradient is theirs.
"""

from __future__ import annotations

from collections import namedtuple

from ..backends import as_dtype
from . import function, inplace
from .function import labelled
from .ops import pointwise as pw
from .ops import pointwise_more as pm
from .ops import reduce_more as rm
from .ops._util import normalize_dim
from .ops.reduce import _axes


def _return_type(name: str, fields=("values", "indices")):
    """A named tuple printed as torch's ``torch.return_types.<name>``."""

    def __repr__(self) -> str:
        inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"tinyoptim.return_types.{name}(\n{inner})"

    base = namedtuple(name, list(fields))
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


Aminmax = _return_type("aminmax", ("min", "max"))
Median, Nanmedian = _return_type("median"), _return_type("nanmedian")
Kthvalue, Mode = _return_type("kthvalue"), _return_type("mode")


def _tensor_only(name: str, other):
    """``other``, which torch's ``name`` takes only as a tensor."""
    if not isinstance(other, function.Tensor):
        raise TypeError(
            f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}"
        )
    return other


def _operand(other):
    from .tensor_ops import _operand as operand  # tensor_ops imports this module

    return operand(other, None)


class MathOps:
    """Math methods of ``Tensor``, which inherits them (no state of its own)."""

    __slots__ = ()

    # -- binary pointwise -----------------------------------------------------------------

    def atan2(self, other):
        return pm.Atan2.apply(self, _tensor_only("atan2", other))

    arctan2 = atan2

    def hypot(self, other):
        return pm.Hypot.apply(self, _tensor_only("hypot", other))

    def logaddexp(self, other):
        return pm.Logaddexp.apply(self, _tensor_only("logaddexp", other))

    def fmod(self, other):
        return pm.Fmod.apply(self, _operand(other))

    def copysign(self, other):
        return pm.Copysign.apply(self, _operand(other))

    def xlogy(self, other):
        return pm.Xlogy.apply(self, _operand(other))

    def float_power(self, exponent):
        """``self ** exponent`` computed in float64 (a float64 result, as torch's)."""
        exponent = _operand(exponent)
        if isinstance(exponent, function.Tensor):
            exponent = exponent.double()
        return self.double() ** exponent

    # -- unary pointwise ------------------------------------------------------------------

    def sgn(self):
        return labelled(self.sign(), "SgnBackward0")

    def signbit(self):
        return function.Tensor._make(self.backend.xp.signbit(self.data), self._device)

    def erfc(self):
        return pm.Erfc.apply(self)

    def erfinv(self):
        return pm.Erfinv.apply(self)

    def lgamma(self):
        return pm.Lgamma.apply(self)

    def digamma(self):
        return pm.Digamma.apply(self)

    def logit(self, eps=None):
        return pm.Logit.apply(self, eps=eps)

    def sinc(self):
        return pm.Sinc.apply(self)

    def deg2rad(self):
        return pm.Deg2rad.apply(self)

    def rad2deg(self):
        return pm.Rad2deg.apply(self)

    def i0(self):
        return pm.I0.apply(self)

    # -- in place -------------------------------------------------------------------------

    def atan2_(self, other):
        return inplace.apply(self, pm.Atan2, _tensor_only("atan2_", other))

    arctan2_ = atan2_

    def hypot_(self, other):
        return inplace.apply(self, pm.Hypot, _tensor_only("hypot_", other))

    def fmod_(self, other):
        return inplace.apply(self, pm.Fmod, other)

    def copysign_(self, other):
        return inplace.apply(self, pm.Copysign, other)

    def xlogy_(self, other):
        return inplace.apply(self, pm.Xlogy, other)

    def sgn_(self):
        return inplace.apply(self, pw.Sign)

    def erfc_(self):
        return inplace.apply(self, pm.Erfc)

    def erfinv_(self):
        return inplace.apply(self, pm.Erfinv)

    def lgamma_(self):
        return inplace.apply(self, pm.Lgamma)

    def digamma_(self):
        return inplace.apply(self, pm.Digamma)

    def logit_(self, eps=None):
        return inplace.apply(self, pm.Logit, eps=eps)

    def sinc_(self):
        return inplace.apply(self, pm.Sinc)

    def deg2rad_(self):
        return inplace.apply(self, pm.Deg2rad)

    def rad2deg_(self):
        return inplace.apply(self, pm.Rad2deg)

    def i0_(self):
        return inplace.apply(self, pm.I0)

    # -- reductions -----------------------------------------------------------------------

    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self.to(dtype)  # torch casts first
        return rm.Nansum.apply(source, dim=dim, keepdim=keepdim)

    def nanmean(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self.to(dtype)
        if source.dtype.name not in ("float16", "float32", "float64", "bfloat16"):
            raise RuntimeError(
                "nanmean(): expected input to have floating point or complex dtype but got "
                + as_dtype(source.data.dtype).scalar_name
            )
        count = (~source.isnan()).sum(dim, keepdim)
        return source.nansum(dim, keepdim) / count

    def count_nonzero(self, dim=None):
        counts = (self.data != 0).sum(axis=_axes(dim, self.ndim))
        return function.Tensor._make(self.backend.ensure_array(counts), self._device)

    def aminmax(self, *, dim=None, keepdim: bool = False):
        low, high = self.amin(dim, keepdim), self.amax(dim, keepdim)
        return Aminmax(labelled(low, "AminmaxBackward0"), labelled(high, "AminmaxBackward0"))

    def median(self, dim=None, keepdim: bool = False):
        """The lower of the two middle values (NaN if any is NaN), or with ``dim`` the
        (values, indices) along it."""
        return _median(self, dim, keepdim, False)

    def nanmedian(self, dim=None, keepdim: bool = False):
        """``median`` of the values that are not NaN."""
        return _median(self, dim, keepdim, True)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The k-th smallest value (1-based) along ``dim`` and its index."""
        axis = normalize_dim(dim, self.ndim)
        rm.check_kth(k, self.shape[axis] if self.ndim else 1, axis)
        xp = self.backend.xp

        def ranks(data, axis):
            shape = [1 if i == axis else n for i, n in enumerate(data.shape)]
            return xp.full(shape, k - 1, dtype="int64")

        return Kthvalue(*_pick(self, axis, keepdim, ranks, "KthvalueBackward0"))

    def mode(self, dim: int = -1, keepdim: bool = False):
        """The most frequent value along ``dim`` (the smallest of equally frequent ones)
        and its last index."""
        axis = normalize_dim(dim, self.ndim)
        xp = self.backend.xp
        return Mode(*_pick(self, axis, keepdim, None, "ModeBackward0", lambda a, ax: xp))

    def logcumsumexp(self, dim: int):
        return rm.Logcumsumexp.apply(self, dim=dim)


def _median(t, dim, keepdim: bool, ignore_nan: bool):
    xp = t.backend.xp
    name = "Nanmedian" if ignore_nan else "Median"
    if dim is None:
        flat = t.data.reshape(-1)
        if flat.size == 0:
            raise IndexError(f"{name.lower()}() input tensor cannot be empty")
        rank = rm.median_ranks(xp, flat, 0, ignore_nan)
        value, _ = rm.rank_along(xp, flat, 0, rank)
        return labelled(rm.EvenlyAt.apply(t, value.reshape(())), f"{name}Backward0")
    axis = normalize_dim(dim, t.ndim)

    def ranks(data, axis):
        return rm.median_ranks(xp, data, axis, ignore_nan)

    found = _pick(t, axis, keepdim, ranks, f"{name}Backward1")
    return (Nanmedian if ignore_nan else Median)(*found)


def _pick(t, axis: int, keepdim: bool, ranks, label: str, mode=None):
    """(values, indices): the element of rank ``ranks(data, axis)`` (or the mode) of each
    slice along ``axis``, its gradient going to that element."""
    xp = t.backend.xp
    if t.ndim == 0:  # torch: the element itself, at index 0
        return labelled(t.clone(), label), function.Tensor._make(
            xp.zeros((), dtype="int64"), t._device
        )
    if t.shape[axis] == 0:
        raise IndexError(
            f"{label[:-9].lower()}(): Expected reduction dim {axis} to have non-zero size."
        )
    if mode is not None:
        _, indices = rm.mode_along(xp, t.data, axis)
    else:
        _, indices = rm.rank_along(xp, t.data, axis, ranks(t.data, axis))
    values = labelled(rm.Pick.apply(t, indices, dim=axis, keepdim=keepdim), label)
    indices = indices if keepdim else indices.squeeze(axis=axis)
    return values, function.Tensor._make(indices, t._device)
