"""Matrix products of the numeric core: counted, and accumulated in place where BLAS allows.

Every weighted sum a kernel computes goes through `MacCounter`, which counts the
multiply-accumulates from the operands of each product it runs; that count is what
`verify` compares with the symbolic MACs.

`MacCounter.matmul_add` computes C += A B. NumPy's matmul always overwrites its output,
so summing partial products through it costs a temporary and one more pass over C per
product. Where the OpenBLAS that NumPy ships (numpy.libs/libscipy_openblas*) is found,
this module calls its cblas_?gemm through ctypes with beta = 1 and BLAS accumulates
into C directly. Anywhere else (a NumPy built on another BLAS, another platform, a
library without the symbols) the ctypes path is never taken and C += A @ B is used.

Environment switch: ``CNNCALC_NO_BLAS=1`` (or ``true``, ``yes``, ``on``) turns the ctypes
path off: no library is looked up or loaded, and every product is plain NumPy. Results
agree either way (to rounding); only speed differs. The variable is read at each
product, so it can be set before or after import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

#: the environment variable that turns the ctypes BLAS path off
NO_BLAS_ENV = "CNNCALC_NO_BLAS"

_TRUE = frozenset({"1", "true", "yes", "on"})


def disabled() -> bool:
    """Whether CNNCALC_NO_BLAS asks for plain NumPy products."""
    return os.environ.get(NO_BLAS_ENV, "").strip().lower() in _TRUE


@dataclass
class MacCounter:
    """Counts multiply-accumulates from the shapes of the matrix products executed.

    Every product of an (m, k) by a (k, n) matrix is m*k*n MACs, times its batch of
    stacked matrices; kernels do all their weighted sums through `matmul`, so the count
    is what the machine multiplied, whatever the layer's formula says.
    """

    macs: int = 0

    def matmul(self, a: Array, b: Array, out: Array | None = None) -> Array:
        """a @ b for operands of two or more axes, counted."""
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError("MacCounter.matmul takes matrices (2 or more axes)")
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        self.macs += prod(batch) * a.shape[-2] * a.shape[-1] * b.shape[-1]
        result: Array = np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
        return result

    def matmul_add(self, a: Array, b: Array, c: Array) -> None:
        """c += a @ b for matrices, counted; BLAS accumulates into c when it can (no temporary)."""
        if a.ndim != 2 or b.ndim != 2 or c.shape != (a.shape[0], b.shape[1]) or a.shape[1] != b.shape[0]:
            raise ValueError(f"MacCounter.matmul_add: {a.shape} @ {b.shape} into {c.shape}")
        self.macs += a.shape[0] * a.shape[1] * b.shape[1]
        if not gemm_accumulate(a, b, c):
            c += np.matmul(a, b)


class _Cblas:
    """cblas_sgemm / cblas_dgemm of the OpenBLAS NumPy ships, looked up once, on first use."""

    loaded = False
    functions: ClassVar[dict[str, Any]] = {}

    @classmethod
    def get(cls, dtype: np.dtype[Any]) -> Any:
        """The gemm function for float32 ('f') or float64 ('d'), or None where there is none."""
        if not cls.loaded:
            cls.loaded = True
            cls.functions = _load(numpy_libs())
        return cls.functions.get(dtype.char)


def numpy_libs() -> Path:
    """The folder where a NumPy wheel keeps its bundled libraries (absent in other builds)."""
    return Path(np.__file__).resolve().parent.parent / "numpy.libs"


def _load(folder: Path) -> dict[str, Any]:
    """gemm functions by dtype char from folder/libscipy_openblas*, or {} when none is found.

    Only the library bundled with the running NumPy is tried (the one NumPy itself
    calls); a system library of another build could differ in its integer width. A
    file that does not load, or lacks both symbol spellings, is skipped.
    """
    try:
        import ctypes
    except ImportError:  # a Python built without ctypes
        return {}
    if not folder.is_dir():
        return {}
    for path in sorted(folder.glob("libscipy_openblas*.so*")):
        try:
            library = ctypes.CDLL(str(path))
        except OSError:
            continue
        functions: dict[str, Any] = {}
        for char, name in (("f", "sgemm"), ("d", "dgemm")):
            for symbol, integer in (
                (f"scipy_cblas_{name}64_", ctypes.c_int64),
                (f"scipy_cblas_{name}", ctypes.c_int),
            ):
                function = getattr(library, symbol, None)
                if function is None:
                    continue
                real = ctypes.c_float if char == "f" else ctypes.c_double
                pointer = ctypes.c_void_p
                function.restype = None
                function.argtypes = [ctypes.c_int] * 3 + [integer] * 3 + [real, pointer, integer]
                function.argtypes += [pointer, integer, real, pointer, integer]
                functions[char] = function
                break
        if functions:
            return functions
    return {}


def available() -> bool:
    """Whether the ctypes path would be taken for float32 products (switch and library both allow)."""
    return not disabled() and _Cblas.get(np.dtype(np.float32)) is not None


def _leading(m: Array, size: int) -> int | None:
    """The row step (in elements) BLAS reads matrix m with, or None where BLAS cannot address m.

    BLAS needs unit column stride and a positive row step no shorter than a row. The
    stride of an axis of length 1 is never followed, and NumPy may leave any value
    there, so it is not checked; the step given for a single row is the row's length.
    """
    rows, columns = (int(n) for n in m.shape)
    if rows == 0 or columns == 0 or (columns > 1 and m.strides[1] != size):
        return None
    if rows == 1:
        return columns
    step, rest = divmod(int(m.strides[0]), size)
    return step if rest == 0 and step >= columns else None


def gemm_accumulate(a: Array, b: Array, c: Array) -> bool:
    """c += a @ b by one BLAS call; False (and nothing done) when the call is not safe or not allowed.

    Allowed only when the switch is off, the library was found, all three are float32 or
    all float64 matrices BLAS can address, c is writeable and c shares no memory with a
    or b (BLAS, unlike NumPy, would read what it has already written).
    """
    dtype = c.dtype
    if a.dtype != dtype or b.dtype != dtype or dtype.char not in "fd" or disabled():
        return False
    size = dtype.itemsize
    lda, ldb, ldc = (_leading(m, size) for m in (a, b, c))
    if lda is None or ldb is None or ldc is None or not c.flags.writeable:
        return False
    if np.may_share_memory(c, a) or np.may_share_memory(c, b):
        return False
    function = _Cblas.get(dtype)
    if function is None:
        return False
    row_major, no_trans = 101, 111
    (m_, k_), n_ = a.shape, b.shape[1]
    function(
        row_major,
        no_trans,
        no_trans,
        m_,
        n_,
        k_,
        1.0,
        a.ctypes.data,
        lda,
        b.ctypes.data,
        ldb,
        1.0,
        c.ctypes.data,
        ldc,
    )
    return True
