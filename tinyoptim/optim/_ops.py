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


def minus_square(v, a, xp, out=None):
    """``v - a * a`` rounded once, as torch's ``addcmul(a, a, value=-1)`` gives it.

    torch's CPU kernel fuses the product into the sum (FMA). For float32 and float16 the
    same single rounding comes from float64, where ``a * a`` is exact; in the array's own
    precision the product would round first, and overflow to inf for |a| beyond 1.8e19 in
    float32 (then inf - inf is NaN where torch gives inf). ``out`` receives the result when
    given; in float64 it is also the only buffer used.
    """
    if v.dtype.itemsize >= 8:
        if out is None:
            return v - a * a
        xp.multiply(a, a, out=out)
        return xp.subtract(v, out, out=out)
    wide = a.astype("float64")
    xp.multiply(wide, wide, out=wide)
    xp.subtract(v, wide, out=wide)
    if out is None:
        return wide.astype(v.dtype)
    out[...] = wide
    return out
