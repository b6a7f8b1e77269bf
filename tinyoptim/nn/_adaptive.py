r"""Adaptive pooling (re-exported by ``nn.functional``): each output cell pools the input
window [\lfloor i H / o \rfloor, \lceil (i + 1) H / o \rceil) of every pooled dim, torch's
rule, so windows overlap when o does not divide H.

Average pooling is separable: the mean of a rectangle is the mean over its rows of the
row means, so each pooled dim takes one pass, a loop over its O(o) windows (one reshape
when o divides the size). Max pooling finds each window's first maximum in row-major
order (torch's index) without grad, then gathers the values at those indices, so the
gradient goes to that element alone, as in torch.
"""

from __future__ import annotations

from ..autograd.functional import stack
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor


def _window(i: int, size: int, out: int) -> tuple[int, int]:
    """(start, end) of output cell ``i`` of ``out`` over an input dim of ``size``."""
    return (i * size) // out, -((-(i + 1) * size) // out)


def _sizes(output_size, input_hw: tuple, name: str) -> tuple:
    """``output_size`` as a tuple of ints, one per pooled dim (None keeps the input's)."""
    n = len(input_hw)
    if isinstance(output_size, int):
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) != n:
        raise RuntimeError(f"{name}: output_size must be {n}")
    sizes = tuple(s if o is None else int(o) for o, s in zip(output_size, input_hw))
    if any(o < 0 for o in sizes):
        raise RuntimeError(
            f"{name}: elements of output_size must be greater than or equal to 0 but received "
            f"{{{', '.join(str(o) for o in sizes)}}}"
        )
    return sizes


def _mean_pool(x: Tensor, dim: int, out: int) -> Tensor:
    """Adaptive mean over the axis ``dim`` (negative) down to ``out`` cells."""
    size = x.shape[dim]
    if size == out:
        return x
    if out and size % out == 0:  # equal, disjoint windows: one reshape
        return x.unflatten(dim, (out, size // out)).mean(dim)
    cells = []
    for i in range(out):
        start, end = _window(i, size, out)
        cells.append(x.narrow(dim, start, end - start).mean(dim))
    return stack(cells, dim=dim)


def _check_nd(input: Tensor, spatial: int, name: str, colon: str = "") -> None:
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{name}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got{colon} "
            f"{list(input.shape)}"
        )


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean of each adaptive window of the last two dims, for (N, C, H, W) or (C, H, W)."""
    _check_nd(input, 2, "adaptive_avg_pool2d")
    oh, ow = _sizes(output_size, tuple(input.shape[-2:]), "adaptive_avg_pool2d")
    return _mean_pool(_mean_pool(input, -2, oh), -1, ow)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """The mean of each adaptive window of the last dim, for (N, C, L) or (C, L)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for adaptive_avg_pool1d)"
        )
    (out,) = _sizes(output_size, tuple(input.shape[-1:]), "adaptive_avg_pool1d")
    return _mean_pool(input, -1, out)


def _max_indices(x: Tensor, oh: int, ow: int) -> Tensor:
    """int64 (..., oh, ow): the row-major index into the (H, W) plane of each window's first
    maximum."""
    height, width = x.shape[-2:]
    lead = tuple(x.shape[:-2])
    rows = []
    with no_grad():
        for i in range(oh):
            hs, he = _window(i, height, oh)
            band = x.narrow(-2, hs, he - hs)
            cells = []
            for j in range(ow):
                ws, we = _window(j, width, ow)
                at = band.narrow(-1, ws, we - ws).reshape(lead + (-1,)).argmax(-1)
                cells.append((hs + at // (we - ws)) * width + ws + at % (we - ws))
            rows.append(stack(cells, dim=-1))
        return stack(rows, dim=-2)


def _max_pool(input: Tensor, oh: int, ow: int, return_indices: bool):
    indices = _max_indices(input, oh, ow)
    flat = indices.flatten(-2)
    values = input.flatten(-2).gather(-1, flat).unflatten(-1, (oh, ow))
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each adaptive window of the last two dims; with ``return_indices``
    also its int64 row-major index into the input's (H, W) plane."""
    _check_nd(input, 2, "adaptive_max_pool2d", ":")
    oh, ow = _sizes(output_size, tuple(input.shape[-2:]), "adaptive_max_pool2d")
    return _max_pool(input, oh, ow, return_indices)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``(values, indices)`` of ``adaptive_max_pool2d``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each adaptive window of the last dim (and its index)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {list(input.shape)}"
        )
    (out,) = _sizes(output_size, tuple(input.shape[-1:]), "adaptive_max_pool1d")
    result = _max_pool(input.unsqueeze(-2), 1, out, True)
    values, indices = result[0].squeeze(-2), result[1].squeeze(-2)
    return (values, indices) if return_indices else values
