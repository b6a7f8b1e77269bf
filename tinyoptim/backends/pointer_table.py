"""Where a compiled kernel's operands lie: a table of addresses, one row per block.

A bucket's parameters are separate arrays; rather than call a compiled kernel once per
array, the optimizer hands it one ``PointerTable``: for every block of at most ``BLOCK``
elements of every piece, the address at which each operand's block starts, and the
block's length. The kernel walks the rows (``kernels_cpu.py``), and worker threads can
share them out whatever the pieces' sizes. Building a table costs a few microseconds per
array, so the optimizers build it once and reuse it while the arrays stay the same.
"""

from __future__ import annotations

import numpy

BLOCK = 1 << 14  # elements per row: about 64 KiB per operand in float32


class PointerTable:
    """The operands of a kernel over many pieces, as rows of addresses.

    ``pieces`` is a list of tuples ``(theta, grad, *states)`` of 1-d contiguous arrays of
    one dtype. The table keeps them alive, so its addresses stay valid while it exists.
    """

    def __init__(self, pieces: list):
        like = pieces[0][0]
        itemsize = like.itemsize
        pieces = [piece for piece in pieces if piece[0].size]
        for piece in pieces:
            for a in piece:
                if a.dtype != like.dtype or a.ndim != 1 or a.strides[0] != itemsize:
                    raise ValueError(
                        "a pointer table needs 1-d contiguous arrays of one dtype, got "
                        f"{a.dtype} with shape {a.shape} and strides {a.strides}"
                    )
        operands = len(pieces[0]) if pieces else 0
        starts = numpy.array([a.ctypes.data for piece in pieces for a in piece], numpy.int64)
        sizes = numpy.array([piece[0].size for piece in pieces], numpy.int64)
        blocks = (sizes + BLOCK - 1) // BLOCK  # rows per piece
        piece = numpy.repeat(numpy.arange(len(pieces)), blocks)
        offset = numpy.arange(len(piece)) - numpy.repeat(numpy.cumsum(blocks) - blocks, blocks)
        offset *= BLOCK  # where each row starts in its piece, in elements
        self.rows = numpy.empty((len(piece), operands + 1), numpy.int64)
        first = starts.reshape(len(pieces), operands)[piece]  # each row's piece's operands
        self.rows[:, :-1] = first + offset[:, None] * itemsize
        self.rows[:, -1] = numpy.minimum(BLOCK, sizes[piece] - offset)
        self.pieces = pieces
        self.like = like[:0]  # tells the kernel the dtype
        self.size = int(sizes.sum())
