"""Memory-bound passes split over threads: copies, adds, ReLU and pooling on every core.

BLAS runs the matrix products on all its threads; everything else NumPy runs on the
calling thread. NumPy releases the GIL inside its ufuncs and copies, so a large pass
split into contiguous parts, one per thread, runs its parts side by side. Splitting an
element-wise pass changes no value (every element is computed by the same operation), so
results are bit-for-bit those of the unsplit pass.

Why the threshold is high: handing a part to another thread costs more than it seems.
On a 2-core virtual machine (2026-12-07), waking the idle worker and waiting for its part
took 55-75 us (a submit of an empty task, medians), about what one thread takes to copy
and clip 1.5 MiB; only from about 3 MiB of data did the split break even, and at 12 MiB it
saved a third (0.97 -> 0.63 ms). ResNet-50's batch-norm copies, adds and row copies, at
batch 1, are 0.4 to 3 MiB each, and splitting them at 1 MiB made its two-thread forward
slower (75 -> 88 ms), as an earlier attempt had found. So only a pass of MIN_BYTES or more
(reads and writes together) is split; below that it runs on the calling thread. What is
kept of that lesson: threads are started once, on the first split, and reused (never per
call), and parts are whole blocks of ALIGN elements (no two threads write one cache line).
`benchmarks/bench_split.py` measures the handoff and a split pass on another machine.

The thread count is the one BLAS is told to use (OPENBLAS_NUM_THREADS, then
OMP_NUM_THREADS), else the cores this process may run on; ``CNNCALC_THREADS`` overrides
both, and 1 turns splitting off.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy.typing as npt

Array = npt.NDArray[Any]

#: the environment variable that sets the thread count of the split passes (1: no splitting)
THREADS_ENV = "CNNCALC_THREADS"

#: a pass over fewer bytes than this (reads and writes together) runs on the calling thread
MIN_BYTES = 16 * 2**20

#: parts are multiples of this many elements (of the axis split, times what lies behind it)
ALIGN = 1024

#: at most this many threads: memory-bound passes stop gaining before cores run out
MAX_THREADS = 8

Task = Callable[[int, int], None]
"""A part of a pass: its (start, stop) along the axis split."""

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def threads() -> int:
    """How many threads a split pass uses (1 or more), read from the environment at each call."""
    for name in (THREADS_ENV, "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return min(int(value), MAX_THREADS)
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_THREADS))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The module's pool of worker threads (the calling thread is the last part's), made once."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:  # replaced only if the count was raised
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnncalc-split"), workers
        return _pool


def bounds(length: int, parts: int, unit: int = 1) -> list[tuple[int, int]]:
    """`length` cut into at most `parts` consecutive (start, stop) ranges of near-equal size.

    Every cut falls on a multiple of `unit` (the last range takes the remainder); fewer
    ranges come back when `length` holds fewer than `parts` units. Never an empty range,
    and [(0, 0)] for an empty length.
    """
    if length <= 0:
        return [(0, 0)]
    blocks = -(-length // unit)
    parts = max(1, min(parts, blocks))
    cuts = [min(length, (blocks * p // parts) * unit) for p in range(parts + 1)]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def worth_splitting(nbytes: int) -> bool:
    """Whether a pass over `nbytes` (reads and writes together) is split at all (see MIN_BYTES)."""
    return nbytes >= MIN_BYTES


def split_range(task: Task, length: int, nbytes: int, unit: int = 1) -> None:
    """task(start, stop) over parts covering range(length), split over threads if worth it.

    `nbytes` is the traffic of the whole pass (what decides whether it is split), `unit` the
    granularity of a cut (see `bounds`). The calling thread runs the first part and waits for
    the others; an exception in any part is raised here, after every part has finished.
    """
    if not worth_splitting(nbytes):
        task(0, length)
        return
    parts = bounds(length, threads(), unit)
    if len(parts) == 1:
        task(0, length)
        return
    pool = _executor(len(parts) - 1)
    futures = [pool.submit(task, start, stop) for start, stop in parts[1:]]
    try:
        task(*parts[0])
    finally:
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


def split_apply(fn: Callable[..., object], *arrays: Array) -> None:
    """fn(*parts) over matching parts of `arrays` (all of one shape), split over threads if worth it.

    fn must be element-wise (each element of its result depends on the same element of its
    operands only), e.g. `lambda out, x: np.maximum(x, 0, out=out)`. Arrays that are all
    C-contiguous are split in flat blocks of ALIGN elements; otherwise along their first axis.
    """
    nbytes = sum(a.nbytes for a in arrays)
    if not worth_splitting(nbytes):  # the common case, kept cheap: a network calls this for every small pass
        fn(*arrays)
        return
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError(f"split_apply: shapes {[a.shape for a in arrays]} differ")
    if len(shape) == 0:
        fn(*arrays)
        return
    if all(a.flags.c_contiguous for a in arrays):
        views, unit = [a.reshape(-1) for a in arrays], ALIGN
    else:
        views, unit = list(arrays), 1

    def part(start: int, stop: int) -> None:
        fn(*(v[start:stop] for v in views))

    split_range(part, views[0].shape[0], nbytes, unit)
