"""The fused CUDA kernels (backends/kernels_cuda.py) against numba's and the reference.

Everywhere a C++ compiler exists, the CUDA text of the element updates is compiled for the
host by g++, without contraction, in a small harness that applies it element by element,
and also runs the multi-tensor kernels block by block and thread by thread over a pointer
table laid out as on the GPU. Its results must equal numba's kernels (kernels_cpu.py) bit
for bit, for every flag combination, and the optimizers' reference path for Adam and SGD.
With a GPU, the CuPy kernels themselves are checked the same way.
"""

from __future__ import annotations

import inspect
import itertools
import shutil
import subprocess
import sys

import numpy
import pytest

import tinyoptim
from tinyoptim.backends.kernels_cuda_source import (
    BLOCK,
    CHUNK,
    UPDATES,
    device_source,
    layout,
    over_source,
)

DTYPES = [numpy.float32, numpy.float64]
N = 9000
CUTS = [0, 0, 1, 1 + BLOCK, 1 + BLOCK + CHUNK, N]  # pieces of 0, 1, BLOCK, CHUNK and 2 blocks
NONNEGATIVE = {"v", "v_max", "u", "s", "step_size"}
CHOICES = {  # every combination of these (and of the flags) is run
    "weight_decay": (0.0, 0.01),
    "weight": (0.1, 0.6),  # both formulas of lerp
    "mu": (0.0, 0.9),
    "momentum": (0.0, 0.9),
}
VALUES = {
    "decay_factor": 0.999,
    "beta2": 0.999,
    "bias_correction1": 0.1,
    "bias_correction2": 0.2,
    "bias_correction2_sqrt": 0.3,
    "eps": 1e-8,
    "step_size": -0.01,
    "lr": 0.01,
    "minus_lr": -0.01,
    "minus_clr": -0.01,
    "minus_eta": -0.01,
    "one_minus_tau": 0.9,
    "rho": 0.9,
    "one_minus_rho": 0.1,
    "alpha": 0.99,
    "grad_coef": -0.001,
    "momentum_coef": -0.009,
    "rect": 0.7,
    "etaplus": 1.2,
    "etaminus": 0.5,
    "step_size_min": 1e-6,
    "step_size_max": 50.0,
    "zero": 0.0,
    "one": 1.0,
}


# -- the host harness -------------------------------------------------------------------

HEADER = """\
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string>
#include <vector>
#define __device__
#define __global__
struct Dim3 { unsigned int x; };
static Dim3 blockIdx, threadIdx, blockDim;
"""

READER = """
template <typename X>
static void take(FILE* f, X* out, long long n) {
    if (n > 0 && fread(out, sizeof(X), (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "short input\\n");
        exit(3);
    }
}

template <typename T>
struct Input {
    long long mode, pieces, operands, chunk, blocks;
    std::vector<long long> sizes, block_start;
    std::vector<int> block_piece;
    std::vector<unsigned char> flags;
    std::vector<T> floats;
    std::vector<std::vector<T>> data;  // operand k of piece p at p * operands + k

    explicit Input(FILE* f) {
        long long head[7];
        take(f, head, 7);
        mode = head[0], pieces = head[1], operands = head[2], chunk = head[5], blocks = head[6];
        sizes.resize(pieces), take(f, sizes.data(), pieces);
        block_piece.resize(blocks), take(f, block_piece.data(), blocks);
        block_start.resize(blocks), take(f, block_start.data(), blocks);
        flags.resize(head[3]), take(f, flags.data(), head[3]);
        floats.resize(head[4]), take(f, floats.data(), head[4]);
        for (long long p = 0; p < pieces; ++p) {
            for (long long k = 0; k < operands; ++k) {
                data.emplace_back(sizes[p]);
                take(f, data.back().data(), sizes[p]);
            }
        }
    }

    std::vector<unsigned long long> table() {  // one row of addresses per operand
        std::vector<unsigned long long> rows(operands * pieces);
        for (long long p = 0; p < pieces; ++p) {
            for (long long k = 0; k < operands; ++k) {
                rows[k * pieces + p] = reinterpret_cast<uintptr_t>(data[p * operands + k].data());
            }
        }
        return rows;
    }
};

template <typename T, typename Kernel>
static void launch(const Input<T>& in, Kernel kernel) {  // a GPU launch, one thread at a time
    blockDim.x = BLOCK;
    for (long long b = 0; b < in.blocks; ++b) {
        blockIdx.x = (unsigned int)b;
        for (unsigned int t = 0; t < BLOCK; ++t) {
            threadIdx.x = t;
            kernel();
        }
    }
}
"""

MAIN = """
template <typename T>
static int run(const std::string& name, FILE* f, FILE* out) {
    Input<T> in(f);
DISPATCH    if (!found) {
        return 2;
    }
    for (const std::vector<T>& operand : in.data) {
        fwrite(operand.data(), sizeof(T), operand.size(), out);
    }
    return 0;
}

int main(int argc, char** argv) {  // harness NAME f|d INPUT OUTPUT
    if (argc != 5) {
        return 1;
    }
    FILE* in = fopen(argv[3], "rb");
    FILE* out = fopen(argv[4], "wb");
    int rc = argv[2][0] == 'f' ? run<float>(argv[1], in, out) : run<double>(argv[1], in, out);
    fclose(in);
    fclose(out);
    return rc;
}
"""


def _runner(update) -> str:
    """``run_<name><T>(in)``: mode 0 calls the update on every element of every piece;
    mode 1 runs the multi-tensor kernel over the pieces' pointer table."""
    flags = [name for kind, name in update.scalars if kind == "bool"]
    floats = [name for kind, name in update.scalars if kind == "T"]
    scalars = "".join(f"    const bool {n} = in.flags[{k}] != 0;\n" for k, n in enumerate(flags))
    scalars += "".join(f"    const T {n} = in.floats[{k}];\n" for k, n in enumerate(floats))
    count = len(update.arrays)
    operands = "".join(
        f"        T* const {a} = in.data[p * {count} + {k}].data();\n"
        for k, a in enumerate(update.arrays)
    )
    args = ", ".join(name for _, name in update.scalars)
    return f"""
template <typename T>
static void run_{update.name}(Input<T>& in) {{
{scalars}    if (in.mode == 0) {{
        for (long long p = 0; p < in.pieces; ++p) {{
{operands}            for (long long i = 0; i < in.sizes[p]; ++i) {{
                {update.call("i")};
            }}
        }}
        return;
    }}
    const std::vector<unsigned long long> table = in.table();
    launch(in, [&]() {{
        tinyoptim_{update.name}_over<T>(table.data(), in.sizes.data(), in.block_piece.data(),
            in.block_start.data(), (int)in.pieces, in.chunk, {args});
    }});
}}
"""


def harness_source() -> str:
    updates = list(UPDATES.values())
    dispatch = "    bool found = false;\n" + "".join(
        f'    if (name == "{u.name}") {{\n        run_{u.name}<T>(in), found = true;\n    }}\n'
        for u in updates
    )
    return (
        HEADER
        + f"static const unsigned int BLOCK = {BLOCK};\n"
        + device_source(updates)
        + "".join("\n" + over_source(u) for u in updates)
        + READER
        + "".join(_runner(u) for u in updates)
        + MAIN.replace("DISPATCH", dispatch)
    )


class Harness:
    """The compiled harness: ``run(name, pieces, scalars, mode)`` returns the updated pieces."""

    def __init__(self, executable, folder):
        self.executable, self.folder = executable, folder

    def run(self, name, pieces, scalars, mode):
        update = UPDATES[name]
        dtype = pieces[0][0].dtype
        flags = [x for (kind, _), x in zip(update.scalars, scalars) if kind == "bool"]
        floats = [x for (kind, _), x in zip(update.scalars, scalars) if kind == "T"]
        sizes = [piece[0].size for piece in pieces]
        block_piece, block_start = layout(sizes, CHUNK)
        head = [mode, len(pieces), len(update.arrays), len(flags), len(floats), CHUNK]
        blob = [
            numpy.array(head + [len(block_piece)], numpy.int64),
            numpy.array(sizes, numpy.int64),
            block_piece.astype(numpy.int32),
            block_start.astype(numpy.int64),
            numpy.array(flags, numpy.uint8),
            numpy.array(floats, dtype),
            *(a.astype(dtype) for piece in pieces for a in piece),
        ]
        source, result = self.folder / "in.bin", self.folder / "out.bin"
        source.write_bytes(b"".join(a.tobytes() for a in blob))
        kind = "f" if dtype == numpy.float32 else "d"
        subprocess.run([self.executable, name, kind, source, result], check=True)
        flat = numpy.fromfile(result, dtype)
        out, at = [], 0
        for size in sizes:
            out.append([flat[at + k * size : at + (k + 1) * size] for k in range(len(pieces[0]))])
            at += size * len(pieces[0])
        return out


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("needs g++ to compile the CUDA element functions for the host")
    folder = tmp_path_factory.mktemp("kernels_cuda")
    (folder / "harness.cpp").write_text(harness_source())
    command = ["g++", "-std=c++17", "-O0", "-ffp-contract=off", "-Wall", "-o", "harness"]
    built = subprocess.run(command + ["harness.cpp"], cwd=folder, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return Harness(folder / "harness", folder)


# -- cases ------------------------------------------------------------------------------


def operands(name, dtype, seed=0, nan=True):
    """Random operands for kernel ``name``: zeros in g and prev (rprop's three branches),
    and a few NaNs in g where ``nan``."""
    rng = numpy.random.default_rng(seed)
    arrays = []
    for a in UPDATES[name].arrays:
        x = rng.standard_normal(N)
        if a in NONNEGATIVE:
            x = numpy.abs(x)
        if a == "g_avg":
            x *= 0.1
        if a in ("grad", "prev"):
            x[::17] = 0.0
        if a == "grad" and nan:
            x[5::101] = numpy.nan
        arrays.append(x.astype(dtype))
    return arrays


def scalar_cases(name, dtype):
    """Every combination of the flags and of CHOICES, in the kernel's scalar order."""
    kinds = UPDATES[name].scalars
    options = [
        (False, True) if kind == "bool" else CHOICES.get(n, (VALUES.get(n),)) for kind, n in kinds
    ]
    for combination in itertools.product(*options):
        chosen = dict(zip([n for _, n in kinds], combination))
        if "one_minus_weight" in chosen:
            chosen["one_minus_weight"] = 1 - dtype(chosen["weight"])
        if "one_minus_beta2" in chosen:
            chosen["one_minus_beta2"] = 1 - chosen["beta2"]
        assert None not in chosen.values(), f"{name}: give every scalar a value"
        yield [x if isinstance(x, bool) else dtype(x) for x in chosen.values()]


def numba_result(name, arrays, scalars):
    kernels_cpu = pytest.importorskip("tinyoptim.backends.kernels_cpu")
    arrays = [a.copy() for a in arrays]
    kernels_cpu.KERNELS[name](*arrays, *scalars)
    return arrays


def assert_same_bits(actual, expected, what):
    """Equal bit patterns; any NaN equals any NaN."""
    nan = numpy.isnan(expected)
    assert (numpy.isnan(actual) == nan).all(), f"{what}: NaNs at other places"
    ints = numpy.int32 if expected.dtype == numpy.float32 else numpy.int64
    got, want = actual[~nan].view(ints), expected[~nan].view(ints)
    wrong = numpy.flatnonzero(got != want)
    assert wrong.size == 0, (
        f"{what}: {wrong.size} differ, the first {actual[~nan][wrong[0]]!r} for "
        f"{expected[~nan][wrong[0]]!r}"
    )


def cut(arrays):
    return [tuple(a[i:j] for a in arrays) for i, j in zip(CUTS, CUTS[1:])]


# -- host checks ------------------------------------------------------------------------


def test_every_numba_kernel_has_an_update_with_its_arguments():
    kernels_cpu = pytest.importorskip("tinyoptim.backends.kernels_cpu")
    assert set(UPDATES) == set(kernels_cpu.KERNELS)
    for name, update in UPDATES.items():
        kernel = kernels_cpu.KERNELS[name]
        names = list(inspect.signature(kernel.compiled.py_func).parameters)
        assert names[-len(update.scalars) :] == [n for _, n in update.scalars], name
        assert getattr(kernel, "arrays", len(update.arrays)) == len(update.arrays), name


def test_the_source_module_does_not_import_cupy():
    code = "import sys, tinyoptim.backends.kernels_cuda_source; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_layout_gives_each_block_a_piece_and_a_start():
    block_piece, block_start = layout([0, 5, 2 * CHUNK + 1, CHUNK, 0], CHUNK)
    assert block_piece.tolist() == [1, 2, 2, 2, 3]
    assert block_start.tolist() == [0, 0, CHUNK, 2 * CHUNK, 0]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_host_build_matches_numba_bit_for_bit(harness, name, dtype):
    """Element by element (as the ElementwiseKernel runs) and over a pointer table of
    pieces of mixed sizes (as the multi-tensor kernel runs), for every flag combination.
    No NaN gradients for Adam: numba's kernel keeps the running maximum with Python's
    ``max``, which drops a NaN, where torch's and NumPy's ``maximum`` propagate it."""
    arrays = operands(name, dtype, nan=name != "adam")
    for scalars in scalar_cases(name, dtype):
        expected = numba_result(name, arrays, scalars)
        (whole,) = harness.run(name, [tuple(arrays)], scalars, mode=0)
        pieces = harness.run(name, cut(arrays), scalars, mode=1)
        over = [numpy.concatenate(parts) for parts in zip(*pieces)]
        for operand, got, via_table, want in zip(UPDATES[name].arrays, whole, over, expected):
            assert_same_bits(got, want, f"{name} {operand} {scalars}")
            assert_same_bits(via_table, want, f"{name} {operand} over a table {scalars}")


def test_amsgrad_maximum_keeps_a_nan_as_numpy_does(harness):
    arrays = operands("adam", numpy.float64)
    scalars = next(s for s in scalar_cases("adam", numpy.float64) if s[8])  # amsgrad
    ((theta, _, m, v, v_max),) = harness.run("adam", [tuple(arrays)], scalars, mode=0)
    nan = numpy.isnan(arrays[1])
    assert numpy.isnan(v[nan]).all() and numpy.isnan(v_max[nan]).all()
    assert not numpy.isnan(v_max[~nan]).any()


ADAM_OPTIONS = [
    dict(),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(amsgrad=True, maximize=True),
    dict(betas=(0.3, 0.9)),  # weight 0.7: lerp's second formula
]
SGD_OPTIONS = [
    dict(),
    dict(weight_decay=0.1, maximize=True),
    dict(momentum=0.9),
    dict(momentum=0.9, nesterov=True),
    dict(momentum=0.9, dampening=0.5, weight_decay=0.1, maximize=True),
]


def _param_and_grads(dtype, steps=3, size=500):
    rng = numpy.random.default_rng(1)
    theta = rng.standard_normal(size).astype(dtype)
    grads = [rng.standard_normal(size).astype(dtype) for _ in range(steps)]
    p = tinyoptim.tensor(theta, device="cpu", requires_grad=True)
    return p, theta, grads


def _host(t):
    return numpy.array(t.data, copy=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_host_build_of_adam_matches_the_reference_path(harness, options, dtype):
    """Three steps of ``_single_tensor_adam`` against the element function, fed the
    scalars ``_multi_tensor_adam`` computes."""
    p, theta, grads = _param_and_grads(dtype)
    optimizer = tinyoptim.optim.Adam([p], lr=0.01, foreach=False, **options)
    group = optimizer.param_groups[0]
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    m, v, v_max = (numpy.zeros_like(theta) for _ in range(3))
    for t, g in enumerate(grads, 1):
        p.grad = tinyoptim.tensor(g, device="cpu")
        optimizer.step()
        scalars = (
            group["maximize"],
            wd,
            1 - lr * wd,
            group["decoupled_weight_decay"],
            1 - beta1,
            1 - dtype(1 - beta1),
            beta2,
            1 - beta2,
            group["amsgrad"],
            (1 - beta2**t) ** 0.5,
            eps,
            -(lr / (1 - beta1**t)),
        )
        ((theta, _, m, v, v_max),) = harness.run("adam", [(theta, g, m, v, v_max)], scalars, 0)
    state = optimizer.state[p]
    numpy.testing.assert_array_equal(theta, _host(p))
    numpy.testing.assert_array_equal(m, _host(state["exp_avg"]))
    numpy.testing.assert_array_equal(v, _host(state["exp_avg_sq"]))
    if group["amsgrad"]:
        numpy.testing.assert_array_equal(v_max, _host(state["max_exp_avg_sq"]))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_host_build_of_sgd_matches_the_reference_path(harness, options, dtype):
    """Three steps of ``_single_tensor_sgd`` against the element functions, fed the scalars
    of ``_multi_tensor_sgd`` (a zero buffer with mu = tau = 0 at the first step) or, without
    momentum, of ``_multi_tensor_plain_sgd``."""
    p, theta, grads = _param_and_grads(dtype)
    optimizer = tinyoptim.optim.SGD([p], lr=0.01, foreach=False, **options)
    group = optimizer.param_groups[0]
    lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
    buf = numpy.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        p.grad = tinyoptim.tensor(g, device="cpu")
        optimizer.step()
        if momentum == 0:
            ((theta, _),) = harness.run("sgd_plain", [(theta, g)], (group["maximize"], wd, -lr), 0)
            continue
        mu, tau = (0.0, 0.0) if t == 1 else (momentum, group["dampening"])
        scalars = (group["maximize"], wd, mu, 1 - tau, group["nesterov"], momentum, -lr)
        ((theta, _, buf),) = harness.run("sgd", [(theta, g, buf)], scalars, 0)
    numpy.testing.assert_array_equal(theta, _host(p))
    if momentum != 0:
        numpy.testing.assert_array_equal(buf, _host(optimizer.state[p]["momentum_buffer"]))
