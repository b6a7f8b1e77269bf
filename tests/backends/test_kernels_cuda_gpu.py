"""The fused CUDA kernels (backends/kernels_cuda.py) on a GPU: each against numba's
kernel bit for bit, the multi-tensor launch against one launch per piece, and Adam's
fast path on ``cuda`` against its reference path. Without a GPU these skip; the host
build in test_kernels_cuda.py checks the same arithmetic everywhere.
"""

from __future__ import annotations

import itertools

import numpy
import pytest

import tinyoptim
from tests.backends.test_kernels_cuda import (
    ADAM_OPTIONS,
    CHUNK,
    DTYPES,
    UPDATES,
    assert_same_bits,
    cut,
    numba_result,
    operands,
    scalar_cases,
)


@pytest.fixture
def cuda():
    """``(cupy, kernels_cuda)``, imported only where a GPU test runs."""
    cupy = pytest.importorskip("cupy")
    from tinyoptim.backends import kernels_cuda

    return cupy, kernels_cuda


@pytest.mark.requires_cuda
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_cupy_kernels_match_numba_bit_for_bit(cuda, name, dtype):
    """Random normal data: no float32 subnormals, which CuPy's -ftz=true would flush."""
    cupy, kernels_cuda = cuda
    kernel = tinyoptim.device("cuda").backend.kernel(name)
    assert kernel is kernels_cuda.KERNELS[name]
    arrays = operands(name, dtype, nan=name != "adam")
    for scalars in scalar_cases(name, dtype):
        expected = numba_result(name, arrays, scalars)
        whole = [cupy.asarray(a) for a in arrays]
        kernel(*whole, *scalars)
        pieced = [cupy.asarray(a) for a in arrays]
        kernel.over(kernels_cuda.PointerTable(cut(pieced)), scalars)
        for operand, a, b, want in zip(UPDATES[name].arrays, whole, pieced, expected):
            assert_same_bits(cupy.asnumpy(a), want, f"{name} {operand} {scalars}")
            assert_same_bits(cupy.asnumpy(b), want, f"{name} {operand} over a table {scalars}")


@pytest.mark.requires_cuda
def test_over_100_pieces_equals_a_call_per_piece(cuda):
    cupy, kernels_cuda = cuda
    rng = numpy.random.default_rng(2)
    sizes = rng.integers(0, 3 * CHUNK, 100)
    sizes[:3] = (0, 1, CHUNK)
    kernel = kernels_cuda.KERNELS["adam"]
    scalars = next(scalar_cases("adam", numpy.float32))
    one_by_one, together = [], []
    for size in sizes:
        arrays = [rng.standard_normal(size).astype(numpy.float32) for _ in range(5)]
        arrays[3] = numpy.abs(arrays[3])
        one_by_one.append([cupy.asarray(a) for a in arrays])
        together.append([cupy.asarray(a) for a in arrays])
    for piece in one_by_one:
        kernel(*piece, *scalars)
    kernel.over(tinyoptim.device("cuda").backend.pointer_table(together), scalars)
    for a, b in zip(itertools.chain(*one_by_one), itertools.chain(*together)):
        assert_same_bits(cupy.asnumpy(b), cupy.asnumpy(a), "adam over 100 pieces")


@pytest.mark.requires_cuda
def test_a_new_learning_rate_compiles_nothing(cuda, monkeypatch):
    cupy, kernels_cuda = cuda
    backend = tinyoptim.device("cuda").backend
    kernel = backend.kernel("sgd_plain")
    theta, grad = cupy.ones(10, cupy.float32), cupy.ones(10, cupy.float32)
    table = backend.pointer_table([(theta, grad)])
    kernel(theta, grad, False, 0.0, -0.1)
    kernel.over(table, (False, 0.0, -0.1))
    compiled = (len(kernel._elementwise._kernel_memo), dict(kernel._over))

    def refuse(*args, **kwargs):
        raise AssertionError("a new learning rate compiled a kernel")

    monkeypatch.setattr(cupy.cuda.compiler, "_compile_module_with_cache", refuse)
    for lr in (0.2, 0.3):
        assert backend.kernel("sgd_plain") is kernel
        kernel(theta, grad, False, 0.0, -lr)
        kernel.over(table, (False, 0.0, -lr))
    assert (len(kernel._elementwise._kernel_memo), dict(kernel._over)) == compiled


@pytest.mark.requires_cuda
def test_float16_is_refused_before_anything_changes(cuda):
    cupy, kernels_cuda = cuda
    kernel = kernels_cuda.KERNELS["sgd_plain"]
    theta = cupy.ones(4, cupy.float16)
    assert not kernel.supports(numpy.float16) and kernel.supports(numpy.float32)
    with pytest.raises(TypeError, match="float32 and float64"):
        kernel(theta, theta.copy(), False, 0.0, -0.1)
    assert (theta == 1).all()


@pytest.mark.requires_cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_fast_path_on_cuda_equals_the_reference_path(cuda, monkeypatch, options, dtype):
    cupy, kernels_cuda = cuda
    launches = []
    call, over = kernels_cuda.FusedKernel.__call__, kernels_cuda.FusedKernel.over
    monkeypatch.setattr(
        kernels_cuda.FusedKernel, "__call__", lambda s, *a: launches.append(1) or call(s, *a)
    )
    monkeypatch.setattr(
        kernels_cuda.FusedKernel, "over", lambda s, *a: launches.append(1) or over(s, *a)
    )
    rng = numpy.random.default_rng(3)
    shapes = [(40, 30), (30,), (7, 3, 5), (1,)]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(5)]
    results = []
    for foreach in (True, False):
        params = [tinyoptim.tensor(x, device="cuda", requires_grad=True) for x in start]
        optimizer = tinyoptim.optim.Adam(params, lr=0.01, foreach=foreach, **options)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = tinyoptim.tensor(g, device="cuda")
            optimizer.step()
        results.append([cupy.asnumpy(p.data) for p in params])
    assert launches, "the fast path did not use the fused kernels"
    for fast, reference in zip(*results):
        assert_same_bits(fast, reference, f"Adam {options} on cuda")
