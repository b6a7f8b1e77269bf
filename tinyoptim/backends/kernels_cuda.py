"""Fused optimizer updates on the GPU: each optimizer's update as two CuPy kernels.

The update of one element is written once, in ``kernels_cuda_source.py``, and launched

* by ``kernel(theta, grad, *states, *scalars)``: a CuPy ``ElementwiseKernel`` over one
  piece (1-d arrays of one dtype), with the arguments of the numba kernel of the same name
  in ``kernels_cpu.py``;
* by ``kernel.over(table, scalars)``: one launch over every piece of a ``PointerTable``,
  a device array of the pieces' addresses. A bucket of a hundred small tensors then pays
  one launch's overhead, not a hundred.

Hyperparameters are kernel arguments, not source text, so a scheduler that changes the
learning rate compiles nothing; CuPy compiles each kernel once per dtype and device, on its
first launch, and caches the binary on disk. float32 and float64 are supported.

CuPy compiles every kernel, its own ufuncs included, with ``-ftz=true``: on the GPU,
float32 subnormals (magnitudes below 2**-126) are flushed to zero, where the CPU keeps
them. Apart from that, the results equal the numba kernels' bit for bit, save one case:
AMSGrad's running maximum keeps a NaN, as torch's and NumPy's ``maximum`` do. float64 is
not affected by the flushing.

This module imports CuPy at load time; ``CupyBackend`` imports it on first use.
"""

from __future__ import annotations

import cupy
import numpy

from .kernels_cuda_source import BLOCK, CHUNK, OPTIONS, UPDATES, device_source, layout, over_source

DTYPES = {numpy.dtype(numpy.float32): "float", numpy.dtype(numpy.float64): "double"}


class PointerTable:
    """The pieces of a multi-tensor launch, on the device: one row of addresses per operand.

    ``pieces`` is a list of tuples ``(theta, grad, *states)`` of 1-d contiguous CuPy arrays
    of one dtype on one device, the arrays of a tuple of one size. The table keeps
    references to them, so that their memory stays theirs while it may be launched over.
    Build it once for a bucket and reuse it every step.
    """

    def __init__(self, pieces):
        self.pieces = [tuple(piece) for piece in pieces]
        if not self.pieces:
            raise ValueError("a pointer table needs at least one piece")
        first = self.pieces[0][0]
        self.dtype, self.device, self.operands = first.dtype, first.device.id, len(self.pieces[0])
        for piece in self.pieces:
            _check_piece(piece, self.operands, self.dtype, self.device)
        sizes = [piece[0].size for piece in self.pieces]
        addresses = [[piece[k].data.ptr for piece in self.pieces] for k in range(self.operands)]
        block_piece, block_start = layout(sizes, CHUNK)
        self.blocks = len(block_piece)
        with cupy.cuda.Device(self.device):
            self.addresses = cupy.asarray(numpy.array(addresses, dtype=numpy.uint64))
            self.sizes = cupy.asarray(numpy.array(sizes, dtype=numpy.int64))
            self.block_piece = cupy.asarray(block_piece)
            self.block_start = cupy.asarray(block_start)

    def __len__(self) -> int:
        return len(self.pieces)


class FusedKernel:
    """One optimizer's fused update: ``kernel(theta, grad, *states, *scalars)`` on one piece,
    ``kernel.over(table, scalars)`` on every piece of a ``PointerTable``.

    Scalars come in the numba kernel's order: floats (converted to the arrays' dtype) and
    bools (the flags). Both calls update the arrays in place and return None.
    """

    def __init__(self, update):
        self.update = update
        self.__name__ = update.name
        self._elementwise = cupy.ElementwiseKernel(
            ", ".join(["raw T grad", *(f"{kind} {name}" for kind, name in update.scalars)]),
            ", ".join(f"raw T {a}" for a in update.arrays if a != "grad"),
            update.call("i"),
            name=f"tinyoptim_{update.name}",
            preamble=device_source([update]),
            no_return=True,
            options=OPTIONS,
        )
        over = f"tinyoptim_{update.name}_over"
        self._over_names = {dtype: f"{over}<{ctype}>" for dtype, ctype in DTYPES.items()}
        self._module = cupy.RawModule(
            code=device_source([update]) + "\n" + over_source(update),
            options=OPTIONS,
            name_expressions=list(self._over_names.values()),
        )
        self._over = {}  # dtype -> RawKernel (CuPy loads it on each device it runs on)

    def supports(self, dtype) -> bool:
        """Whether arrays of ``dtype`` can be updated (float32 and float64 can)."""
        return numpy.dtype(dtype) in DTYPES

    def __call__(self, theta, grad, *rest) -> None:
        count = len(self.update.states)
        arrays, scalars = (theta, grad, *rest[:count]), rest[count:]
        dtype = self._check_dtype(theta.dtype)
        for a in arrays:
            if a.dtype != dtype or a.size != theta.size:
                raise ValueError(
                    f"the fused '{self.__name__}' kernel takes operands of one dtype and size; "
                    f"got {[(str(b.dtype), b.size) for b in arrays]}"
                )
        values = self._scalars(scalars, dtype)
        if theta.size == 0:
            return
        with theta.device:
            self._elementwise(grad, *values, theta, *rest[:count], size=theta.size)

    def over(self, table: PointerTable, scalars) -> None:
        """The update on every piece of ``table``, in one launch."""
        if table.operands != len(self.update.arrays):
            raise ValueError(
                f"the fused '{self.__name__}' kernel takes pieces of {len(self.update.arrays)} "
                f"arrays {self.update.arrays}; the table's have {table.operands}"
            )
        dtype = self._check_dtype(table.dtype)
        values = self._scalars(scalars, dtype)
        if table.blocks == 0:
            return
        kernel = self._over.get(dtype)
        if kernel is None:
            kernel = self._over[dtype] = self._module.get_function(self._over_names[dtype])
        geometry = (table.addresses, table.sizes, table.block_piece, table.block_start)
        counts = (numpy.int32(len(table)), numpy.int64(CHUNK))
        with cupy.cuda.Device(table.device):
            kernel((table.blocks,), (BLOCK,), (*geometry, *counts, *values))

    def _check_dtype(self, dtype):
        if dtype not in DTYPES:
            raise TypeError(
                f"the fused '{self.__name__}' kernel updates float32 and float64 arrays, "
                f"not {dtype}; check kernel.supports(dtype) and use the optimizer's array path"
            )
        return dtype

    def _scalars(self, scalars, dtype) -> list:
        kinds = self.update.scalars
        if len(scalars) != len(kinds):
            raise TypeError(
                f"the fused '{self.__name__}' kernel takes {len(kinds)} scalars "
                f"({', '.join(name for _, name in kinds)}), got {len(scalars)}"
            )
        return [
            numpy.bool_(x) if kind == "bool" else dtype.type(x)
            for (kind, _), x in zip(kinds, scalars)
        ]


def _check_piece(piece, operands, dtype, device) -> None:
    if len(piece) != operands:
        raise ValueError(f"every piece needs {operands} arrays, as the first; got {len(piece)}")
    for a in piece:
        if not isinstance(a, cupy.ndarray) or a.ndim != 1 or not a.flags.c_contiguous:
            raise ValueError("a pointer table takes 1-d contiguous CuPy arrays")
        if a.dtype != dtype or a.device.id != device or a.size != piece[0].size:
            raise ValueError(
                f"the arrays of a pointer table share one dtype and device ({dtype}, "
                f"cuda:{device}), and those of a piece one size; got {a.dtype}, "
                f"cuda:{a.device.id}, {a.size} elements where {piece[0].size} were expected"
            )


KERNELS = {name: FusedKernel(update) for name, update in UPDATES.items()}
