r"""The CUDA C++ text of the fused optimizer updates, one element's update per optimizer.

Each optimizer's update of one element is written once, below, as the body of a templated
``__device__`` function over that element's parameter, gradient and state values::

    namespace tinyoptim {
    template <typename T>
    __device__ void sgd_plain_update(T& theta, const T grad, const bool maximize,
                                     const T weight_decay, const T minus_lr)

``kernels_cuda.py`` launches it two ways: as a CuPy ``ElementwiseKernel`` over one flat
piece, and as a multi-tensor kernel that reads a table of device pointers, so that a bucket
of many small tensors costs one launch. Its operands and scalars, in order, are those of
the numba kernel of the same name in ``kernels_cpu.py``, and so is the arithmetic,
operation for operation: the same IEEE operations on the same operands, in the same order,
with nothing fused (compiled with ``--fmad=false``), so both round alike.

This module is text and NumPy only: it never imports CuPy, so that the tests compile these
same functions with a host C++ compiler on machines without a GPU.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy

BLOCK = 256  # threads per block of a multi-tensor launch
CHUNK = 4096  # elements per block: a large piece is shared among several blocks
# NVRTC rounds float division and sqrt correctly by default; fused multiply-adds are
# switched off so that every product is rounded before it is added, as on the CPU.
OPTIONS = ("--fmad=false", "--prec-div=true", "--prec-sqrt=true")


@dataclass(frozen=True)
class Update:
    """One optimizer's update of one element: its state operands, scalars and math."""

    name: str
    states: tuple[str, ...]
    scalars: tuple[tuple[str, str], ...]  # (C type, name); the type is "bool" or "T"
    body: str

    @property
    def arrays(self) -> tuple[str, ...]:
        return ("theta", "grad", *self.states)

    @property
    def function(self) -> str:
        return f"tinyoptim::{self.name}_update"

    def call(self, index: str) -> str:
        """The C++ call of the update on element ``index`` of operands named as in ``arrays``."""
        args = [f"{a}[{index}]" for a in self.arrays] + [name for _, name in self.scalars]
        return f"{self.function}<T>({', '.join(args)})"

    def definition(self) -> str:
        params = ["T& theta", "const T grad"]
        params += [f"T& {s}" for s in self.states]
        params += [f"const {kind} {name}" for kind, name in self.scalars]
        head = f"template <typename T>\n__device__ void {self.name}_update(\n    "
        return head + ",\n    ".join(params) + ") {\n" + textwrap.indent(self.body, "    ") + "}\n"


def _update(name: str, states: str, scalars: str, *body: str) -> Update:
    kinds = tuple(tuple(s.split()) for s in scalars.split(","))
    text = "".join(textwrap.dedent(part).lstrip("\n") for part in body)
    return Update(name, tuple(states.split()), kinds, text)


# sqrt and fabs of the element's own precision, named so that they hide every other
# overload; torch's CPU lerp (optim/_ops.lerp_), whose formula switches at |weight| = 0.5;
# numpy.maximum of two scalars, where a NaN in either wins.
PRELUDE = """\
__device__ inline float sqrt(const float x) { return ::sqrtf(x); }
__device__ inline double sqrt(const double x) { return ::sqrt(x); }
__device__ inline float fabs(const float x) { return ::fabsf(x); }
__device__ inline double fabs(const double x) { return ::fabs(x); }

template <typename T>
__device__ T lerp(const T start, const T end, const T weight, const T one_minus_weight) {
    if (fabs(weight) < T(0.5)) {
        return start + weight * (end - start);
    }
    return end - (end - start) * one_minus_weight;
}

template <typename T>
__device__ T maximum(const T a, const T b) {
    return (a != a || a >= b) ? a : b;
}
"""

# The first lines of every update: maximize, then L2 weight decay folded into the gradient.
_GRAD = """
    T g = maximize ? -grad : grad;
    if (weight_decay != T(0)) {
        g = g + theta * weight_decay;
    }
"""
# Adam, NAdam and RAdam may decay the parameter instead (decoupled, as AdamW does).
_GRAD_OR_DECAY = """
    T g = maximize ? -grad : grad;
    if (weight_decay != T(0)) {
        if (decoupled) {
            theta *= decay_factor;
        } else {
            g = g + theta * weight_decay;
        }
    }
"""
# The moments of the Adam family: m by lerp, v by multiply and add.
_MOMENTS = """
    m = lerp(m, g, weight, one_minus_weight);
    v = v * beta2 + (g * one_minus_beta2) * g;
"""

UPDATES = {
    u.name: u
    for u in [
        _update(
            "sgd_plain",
            "",
            "bool maximize, T weight_decay, T minus_lr",
            _GRAD,
            "theta += g * minus_lr;\n",
        ),
        _update(
            "adam",
            "m v v_max",
            "bool maximize, T weight_decay, T decay_factor, bool decoupled, T weight, "
            "T one_minus_weight, T beta2, T one_minus_beta2, bool amsgrad, "
            "T bias_correction2_sqrt, T eps, T step_size",
            _GRAD_OR_DECAY,
            _MOMENTS,
            """
            T second = v;
            if (amsgrad) {
                second = maximum(v_max, second);
                v_max = second;
            }
            const T denom = sqrt(second) / bias_correction2_sqrt + eps;
            theta += (m / denom) * step_size;
            """,
        ),
        _update(
            "sgd",
            "buf",
            "bool maximize, T weight_decay, T mu, T one_minus_tau, bool nesterov, T momentum, "
            "T minus_lr",
            _GRAD,
            """
            buf = buf * mu + g * one_minus_tau;
            g = nesterov ? g + buf * momentum : buf;
            theta += g * minus_lr;
            """,
        ),
        _update(
            "adadelta",
            "v u",
            "bool maximize, T weight_decay, T rho, T one_minus_rho, T eps, T minus_lr",
            _GRAD,
            """
            v = v * rho + (g * one_minus_rho) * g;
            const T rms = sqrt(v + eps);
            const T delta = sqrt(u + eps) / rms * g;
            u = u * rho + (delta * one_minus_rho) * delta;
            theta += delta * minus_lr;
            """,
        ),
        _update(
            "adagrad",
            "s",
            "bool maximize, T weight_decay, T eps, T minus_clr",
            _GRAD,
            """
            s += g * g;
            theta += (g * minus_clr) / (sqrt(s) + eps);
            """,
        ),
        _update(
            "adamax",
            "m u",
            "bool maximize, T weight_decay, T weight, T one_minus_weight, T beta2, T eps, "
            "T minus_clr",
            _GRAD,
            """
            m = lerp(m, g, weight, one_minus_weight);
            u = maximum(u * beta2, fabs(g) + eps);
            theta += (m * minus_clr) / u;
            """,
        ),
        _update(
            "rmsprop",
            "v buf g_avg",
            "bool maximize, T weight_decay, T alpha, T weight, T one_minus_weight, "
            "bool centered, T eps, bool with_momentum, T momentum, T minus_lr",
            _GRAD,
            """
            v = v * alpha + (g * weight) * g;
            T avg;
            if (centered) {
                g_avg = lerp(g_avg, g, weight, one_minus_weight);
                // v - g_avg^2 rounded once, as torch's fused addcmul (optim/_ops.py)
                avg = sqrt(T((double)v - (double)g_avg * (double)g_avg)) + eps;
            } else {
                avg = sqrt(v) + eps;
            }
            if (with_momentum) {
                buf = buf * momentum + g / avg;
                theta += buf * minus_lr;
            } else {
                theta += (g * minus_lr) / avg;
            }
            """,
        ),
        _update(
            "nadam",
            "m v",
            "bool maximize, T weight_decay, T decay_factor, bool decoupled, T weight, "
            "T one_minus_weight, T beta2, T one_minus_beta2, T bias_correction2, T eps, "
            "T grad_coef, T momentum_coef",
            _GRAD_OR_DECAY,
            _MOMENTS,
            """
            const T denom = sqrt(v / bias_correction2) + eps;
            theta += (g * grad_coef) / denom;
            theta += (m * momentum_coef) / denom;
            """,
        ),
        _update(
            "radam",
            "m v",
            "bool maximize, T weight_decay, T decay_factor, bool decoupled, T weight, "
            "T one_minus_weight, T beta2, T one_minus_beta2, T bias_correction1, T lr, "
            "bool adaptive, T bias_correction2_sqrt, T eps, T rect",
            _GRAD_OR_DECAY,
            _MOMENTS,
            """
            T update = m / bias_correction1 * lr;
            if (adaptive) {
                update = update * (bias_correction2_sqrt / (sqrt(v) + eps)) * rect;
            }
            theta -= update;
            """,
        ),
        _update(
            "rprop",
            "prev step_size",
            "bool maximize, T etaplus, T etaminus, T step_size_min, T step_size_max, T zero, T one",
            """
            T g = maximize ? -grad : grad;
            const T s = g * prev;
            T factor;
            if (s > T(0)) {
                factor = etaplus;
            } else if (s < T(0)) {
                factor = etaminus;
                g = zero;  // forgotten where the sign flipped (an infinite g too)
            } else {  // 0 or NaN (torch's sign of NaN is 0)
                factor = one;
            }
            T size = step_size * factor;
            if (size < step_size_min) {
                size = step_size_min;
            }
            if (size > step_size_max) {
                size = step_size_max;
            }
            step_size = size;
            prev = g;
            T direction;
            if (g > T(0)) {
                direction = one;
            } else if (g < T(0)) {
                direction = -one;
            } else {  // 0 or NaN
                direction = zero;
            }
            theta -= direction * size;
            """,
        ),
        _update(
            "asgd",
            "ax",
            "bool maximize, T weight_decay, T decay_factor, T minus_eta, bool averaging, T mu",
            _GRAD,
            """
            T x = theta * decay_factor;
            x += g * minus_eta;
            theta = x;
            if (averaging) {
                ax += (x - ax) * mu;
            } else {
                ax = x;
            }
            """,
        ),
    ]
}


def device_source(updates) -> str:
    """The prelude and the ``__device__`` update functions of ``updates``, in namespace
    ``tinyoptim``."""
    definitions = "".join("\n" + u.definition() for u in updates)
    return "namespace tinyoptim {\n\n" + PRELUDE + definitions + "\n}  // namespace tinyoptim\n"


def over_source(update: Update) -> str:
    """The multi-tensor kernel ``tinyoptim_<name>_over<T>``: block ``b`` updates elements
    ``block_start[b]`` up to ``block_start[b] + chunk`` of piece ``block_piece[b]``, whose
    operand ``k`` starts at address ``table[k * pieces + piece]``."""
    pointers = "".join(
        f"    {'const ' if a == 'grad' else ''}T* const {a} = "
        f"reinterpret_cast<{'const ' if a == 'grad' else ''}T*>(table[{k}LL * pieces + piece]);\n"
        for k, a in enumerate(update.arrays)
    )
    scalars = "".join(f",\n    const {kind} {name}" for kind, name in update.scalars)
    return f"""\
template <typename T>
__global__ void tinyoptim_{update.name}_over(
    const unsigned long long* table, const long long* sizes, const int* block_piece,
    const long long* block_start, const int pieces, const long long chunk{scalars}) {{
    const int piece = block_piece[blockIdx.x];
    const long long start = block_start[blockIdx.x];
    const long long end = start + chunk < sizes[piece] ? start + chunk : sizes[piece];
{pointers}    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {{
        {update.call("i")};
    }}
}}
"""


def layout(sizes, chunk: int = CHUNK):
    """``(block_piece, block_start)`` of a multi-tensor launch over pieces of ``sizes``
    elements: the piece each block updates, and the element it starts at. An empty piece
    gets no block."""
    sizes = numpy.asarray(sizes, dtype=numpy.int64)
    counts = -(-sizes // chunk)
    block_piece = numpy.repeat(numpy.arange(len(sizes), dtype=numpy.int32), counts)
    first = numpy.cumsum(counts) - counts  # each piece's first block
    block_start = (numpy.arange(len(block_piece), dtype=numpy.int64) - first[block_piece]) * chunk
    return block_piece, block_start
