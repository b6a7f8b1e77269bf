r"""``interpolate`` (re-exported by ``nn.functional``) for 4-d (N, C, H, W) input, modes
"nearest" and "bilinear", with torch's source-index rules:

* nearest: src = \min(\lfloor o · s \rfloor, H - 1), computed in float32 as torch's
  kernel, with s = 1 / ``scale_factor`` when one is given, else H / H_out;
* bilinear: src = s · o with ``align_corners`` (s = (H - 1) / (H_out - 1)), else
  \max(s (o + ½) - ½, 0); it blends rows \lfloor src \rfloor and the next (clamped) with
  weights 1 - λ and λ = src - \lfloor src \rfloor, one dim after the other.

Each dim is an ``index_select`` (and a weighted sum), so the gradient is the transposed
selection, summed where outputs share a source, as torch's.
"""

from __future__ import annotations

import math

from ..autograd import factories
from ..autograd.tensor import Tensor

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _scales_and_size(input: Tensor, size, scale_factor, recompute_scale_factor):
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format."
                )
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        scales = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                    "d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = [math.floor(float(input.shape[2 + d]) * scales[d]) for d in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        scales = None
    return out, scales or [None] * dim


def _scale(in_size: int, out_size: int, scale, dtype, device) -> Tensor:
    """torch's ``compute_scales_value``: 1 / scale when given (> 0), else in / out; a 0-d
    tensor of ``dtype``, so what follows runs in that precision as torch's kernels do."""
    if scale is not None and scale > 0:
        return factories.tensor(1.0 / scale, dtype=dtype, device=device)
    return factories.tensor(float(in_size), dtype=dtype, device=device) / out_size


def _nearest(x: Tensor, dim: int, out_size: int, scale) -> Tensor:
    in_size = x.shape[dim]
    if out_size == in_size:
        return x
    steps = factories.arange(out_size, dtype="float32", device=x.device)
    s = _scale(in_size, out_size, scale, "float32", x.device)
    index = (steps * s).floor().long().clamp_max(in_size - 1)
    return x.index_select(dim, index)


def _linear(x: Tensor, dim: int, out_size: int, scale, align_corners: bool) -> Tensor:
    in_size, dtype = x.shape[dim], x.dtype
    steps = factories.arange(out_size, dtype=dtype, device=x.device)
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        source = steps * s
    else:
        s = _scale(in_size, out_size, scale, dtype, x.device)
        source = ((steps + 0.5) * s - 0.5).clamp_min(0)
    first = source.floor().long().clamp_max(in_size - 1)
    lam = (source - first.to(dtype)).clamp(0, 1)
    second = first + (first < in_size - 1).long()
    shape = (-1,) + (1,) * (-dim - 1)
    lam = lam.reshape(shape)
    return x.index_select(dim, first) * (1 - lam) + x.index_select(dim, second) * lam


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
) -> Tensor:
    """``input`` resized to ``size`` (or by ``scale_factor``) with ``mode``: "nearest" or
    "bilinear" on 4-d input."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    out, scales = _scales_and_size(input, size, scale_factor, recompute_scale_factor)
    if input.ndim == 4 and mode == "nearest":
        return _nearest(_nearest(input, -2, out[0], scales[0]), -1, out[1], scales[1])
    if input.ndim == 4 and mode == "bilinear":
        rows = _linear(input, -2, out[0], scales[0], align_corners)
        return _linear(rows, -1, out[1], scales[1], align_corners)
    if mode == "bilinear" and input.ndim != 4:
        raise NotImplementedError(f"Got {input.ndim}D input, but bilinear mode needs 4D input")
    if mode in ("nearest", "linear", "bicubic", "trilinear", "area", "nearest-exact", "lanczos"):
        raise NotImplementedError(
            f"interpolate: mode {mode!r} on {input.ndim}D input is not supported"
        )
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
        f"modes: {_MODES} (got {mode})"
    )
