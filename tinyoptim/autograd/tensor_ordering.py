"""Methods of ``Tensor`` that order or accumulate along a dimension: ``sort``, ``argsort``,
``topk``, ``cumsum``, ``cumprod``, ``prod``, ``flip`` and ``roll``.

Each checks its arguments with torch's wording and applies an op of
``autograd/ops/ordering.py``, where the math is. ``sort`` and ``topk`` return torch's
``(values, indices)`` named pair; the indices are int64 and get no gradient.
"""

from __future__ import annotations

import functools
import operator

from ..backends import as_dtype
from . import grad_mode
from .ops import ordering
from .ops._util import normalize_dims
from .tensor_structure import _dim_of_sized

_SORT_FORMS = (
    " * (*, bool stable, int dim = -1, bool descending = False)\n"
    " * (int dim = -1, bool descending = False)\n"
)
_PROD_FORMS = (
    " * (*, tinyoptim.dtype dtype = None)\n"
    " * (int dim, bool keepdim = False, *, tinyoptim.dtype dtype = None)\n"
)


class OrderingOps:
    """Ordering and cumulative op methods of ``Tensor``, which inherits them (no state)."""

    __slots__ = ()

    # -- sorting --------------------------------------------------------------------------

    def sort(self, dim=-1, descending=False, *, stable=None):
        """The values sorted along ``dim`` and the indices they came from. The sort is
        always stable, NaN counting as largest, as torch's CPU sort."""
        _check_overload("sort", dim, _SORT_FORMS)
        order = ordering.sort_order(self.backend.xp, self.data, dim, descending)
        values = ordering.Sort.apply(self, order, dim=dim, stable=stable)
        return _named("sort")(values, _indices(order, self))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The int64 indices that sort the tensor along ``dim`` (stable, NaN largest)."""
        _check_overload("argsort", dim, _SORT_FORMS)
        return _indices(ordering.sort_order(self.backend.xp, self.data, dim, descending), self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest
        (smallest) first; equal values in index order. ``sorted=False`` gives the same
        sorted result (torch leaves that order unspecified)."""
        k, dim = _int("topk", "k", 1, k), _int("topk", "dim", 2, dim)
        order = ordering.topk_order(self.backend.xp, self.data, k, dim, largest)
        return _named("topk")(ordering.Topk.apply(self, order, dim=dim), _indices(order, self))

    # -- cumulative ops and products ---------------------------------------------------------

    def cumsum(self, dim, *, dtype=None):
        return ordering.Cumsum.apply(_cast(self, dtype), dim=_int("cumsum", "dim", 1, dim))

    def cumprod(self, dim, *, dtype=None):
        return ordering.Cumprod.apply(_cast(self, dtype), dim=_int("cumprod", "dim", 1, dim))

    def prod(self, dim=None, keepdim: bool = False, *, dtype=None):
        """The product of all elements, or along ``dim`` (an int: torch takes no tuple)."""
        if (dim is None and keepdim) or not (dim is None or _is_int(dim)):
            given = f"keepdim={type(keepdim).__name__}, " if dim is None else type(dim).__name__
            raise _invalid_combination("prod", given, _PROD_FORMS)
        return ordering.Prod.apply(_cast(self, dtype), dim=dim, keepdim=keepdim)

    # -- reversing and rolling ---------------------------------------------------------------

    def flip(self, *args, dims=None):
        """A copy reversed along each of ``dims`` (``flip(0, 1)`` or ``flip([0, 1])``)."""
        if args and dims is not None:
            raise TypeError("flip() got multiple values for argument 'dims'")
        if not args and dims is None:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        given = dims if dims is not None else args[0] if len(args) == 1 else args
        axes = normalize_dims(_int_tuple("flip", "dims", 1, given), self.ndim) or ()
        return ordering.Flip.apply(self, dims=axes)

    def roll(self, shifts, dims=None):
        """Shift the elements cyclically by ``shifts`` along ``dims`` (each an int or a
        sequence); without ``dims`` over the flattened tensor."""
        shifts = _int_tuple("roll", "shifts", 1, shifts)
        dims = () if dims is None else _int_tuple("roll", "dims", 2, dims)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) == 1:
            return ordering.Roll.apply(self, shifts=shifts, dims=None)
        if len(shifts) != len(dims):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        axes = tuple(_dim_of_sized(d, self.ndim) for d in dims)
        return ordering.Roll.apply(self, shifts=shifts, dims=axes)


@functools.cache
def _named(name: str):
    """torch's ``return_types.<name>`` pair (built once, by tensor_ops' helper)."""
    from .tensor_ops import _return_type

    return _return_type(name)


def _indices(order, like):
    """An int64 backend array as a tensor on ``like``'s device (no gradient)."""
    from .tensor import Tensor

    return Tensor._make(order, like._device)


def _cast(t, dtype):
    """``t`` in ``dtype`` before the op, as torch casts first; an integer result cannot
    carry a gradient, so torch refuses it for a tensor that requires one."""
    if dtype is None:
        return t
    dtype = as_dtype(dtype)
    if t.requires_grad and grad_mode.current.enabled and not dtype.is_floating_point:
        raise RuntimeError(f"Autograd not support dtype: {dtype.scalar_name}")
    return t.to(dtype)


def _is_int(value) -> bool:
    """An int (a NumPy integer too), but not a bool, as torch's argument parser takes."""
    return not isinstance(value, bool) and hasattr(value, "__index__")


def _int(method: str, name: str, position: int, value) -> int:
    if not _is_int(value):
        raise TypeError(
            f"{method}(): argument '{name}' (position {position}) must be int, not "
            f"{type(value).__name__}"
        )
    return operator.index(value)


def _int_tuple(method: str, name: str, position: int, value) -> tuple:
    """An int or a sequence of ints as a tuple, with torch's TypeError otherwise."""
    if _is_int(value):
        return (operator.index(value),)
    if not isinstance(value, (tuple, list)):
        raise TypeError(
            f"{method}(): argument '{name}' (position {position}) must be tuple of ints, not "
            f"{type(value).__name__}"
        )
    for pos, item in enumerate(value):
        if not hasattr(item, "__index__"):
            raise TypeError(
                f"{method}(): argument '{name}' (position {position}) must be tuple of ints, "
                f"but found element of type {type(item).__name__} at pos {pos}"
            )
    return tuple(operator.index(item) for item in value)


def _check_overload(method: str, dim, forms: str) -> None:
    """torch's TypeError when ``dim`` matches none of the method's signatures."""
    if not _is_int(dim):
        raise _invalid_combination(method, type(dim).__name__, forms)


def _invalid_combination(method: str, given: str, forms: str) -> TypeError:
    return TypeError(
        f"{method}() received an invalid combination of arguments - got ({given}), but "
        f"expected one of:\n{forms}"
    )
