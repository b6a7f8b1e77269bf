"""``gradcheck``: compare backward with central finite differences.

For a function f of tensors, each input element x_i is nudged by ±eps and
(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) is compared with what backward gives, for a
random upstream gradient (an all-ones one hides some bugs). Use float64: in float32 the
differences drown in rounding, so gradcheck warns.
"""

from __future__ import annotations

import warnings

from .engine import grad as autograd_grad
from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Backward and finite differences disagree."""


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """True when the analytical gradient of ``fn`` matches finite differences."""
    from ..backends import random as host_random

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    for t in wrt:
        if t.dtype.name != "float64":
            warnings.warn(
                f"Input #{inputs.index(t)} requires gradient and is not a double precision "
                "floating point. This check will likely fail if all the inputs are not of "
                "double precision floating point. ",
                stacklevel=2,
            )
    out = fn(*inputs)
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    outputs = [o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
    state = host_random.get_rng_state()
    host_random.manual_seed(seed)
    upstream = [
        Tensor._make(o.backend.from_host(host_random.normal(o.shape, o.dtype)), o.device)
        for o in outputs
    ]
    host_random.set_rng_state(state)
    analytical = autograd_grad(outputs, wrt, upstream, allow_unused=True)

    def weighted_sum() -> float:
        res = fn(*inputs)
        res = res if isinstance(res, (tuple, list)) else (res,)
        res = [r for r in res if isinstance(r, Tensor) and r.dtype.is_floating_point]
        return sum(float((r.detach() * u).sum().item()) for r, u in zip(res, upstream))

    with no_grad():
        for t, g in zip(wrt, analytical):
            host = t.detach().numpy().copy() if t.device.type == "cpu" else t.detach().numpy()
            numeric = host.copy()  # host * 0.0 would be a NumPy scalar, not an array, when 0-d
            numeric.fill(0)
            flat, numeric_flat = host.reshape(-1), numeric.reshape(-1)
            for i in range(flat.size):
                original = flat[i]
                flat[i] = original + eps
                t.data[...] = t.backend.from_host(host)
                plus = weighted_sum()
                flat[i] = original - eps
                t.data[...] = t.backend.from_host(host)
                minus = weighted_sum()
                flat[i] = original
                t.data[...] = t.backend.from_host(host)
                numeric_flat[i] = (plus - minus) / (2 * eps)
            dense = 0 * numeric if g is None else _host(g)
            bad = abs(dense - numeric) > atol + rtol * abs(numeric)
            if bad.any():
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for input {inputs.index(t)} of shape {t.shape}:\n"
                    f"numerical:{numeric}\nanalytical:{dense}"
                )
    return True


def _host(g):
    if getattr(g, "is_sparse", False):
        return Tensor._make(g.to_dense(), g.device).numpy()
    return g.numpy()
