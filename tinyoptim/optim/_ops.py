"""In-place array helpers that several optimizers share, in torch's rounding order."""

from __future__ import annotations


def lerp_(start, end, weight: float, scratch=None, xp=None) -> None:
    """``start += weight * (end - start)``, in place, as torch's CPU ``lerp_`` rounds it.

    torch evaluates ``start + w (end - start)`` for ``|w| < 0.5`` and
    ``end - (end - start)(1 - w)`` otherwise; both equal ``(1-w) start + w end`` in exact
    arithmetic, not in floating point. ``scratch`` (an array like ``start``) avoids a
    temporary, and with the array namespace ``xp`` each subtraction is one pass.
    """
    weight = start.dtype.type(weight)  # torch rounds w, and 1 - w, in the tensor's precision
    diff = end - start if scratch is None else _subtract(end, start, scratch, xp)
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        _subtract(end, diff, start, xp)


def _subtract(a, b, out, xp):
    if xp is not None:
        return xp.subtract(a, b, out=out)
    out[...] = a
    out -= b
    return out
