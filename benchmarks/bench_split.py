"""Would splitting verify's memory-bound passes over threads pay? By size (a script, never a test).

    python benchmarks/bench_split.py [--threads 2] [--repeats 200] [--json]

NumPy releases the GIL in its ufuncs and copies, so a pass over a large array can be cut
into parts run side by side on a pool of threads started once. For arrays of 0.2 to 12 MiB
of float32 this times a copy through ReLU (what a batch norm folded into its convolution
does in `verify`) on the calling thread, the same pass cut into `--threads` parts (the
calling thread takes one, the pool the others), and a handoff alone (parts that do
nothing: what waking the pool and waiting for it costs). Best and median of `--repeats`,
in microseconds. docs/performance.md ("The round of 2026-12-07") has the figures, and why
the split is not in the kernels.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SIZES_MIB = (0.19, 0.77, 1.5, 3.06, 6.1, 12.25)


def timings(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(best, median) of `repeats` calls of fn, in microseconds."""
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return min(times) * 1e6, statistics.median(times) * 1e6


def split(pool: ThreadPoolExecutor, parts: int, task: Callable[[int], object]) -> None:
    """task(0) .. task(parts - 1): the first on this thread, the others on the pool."""
    futures = [pool.submit(task, p) for p in range(1, parts)]
    task(0)
    for future in futures:
        future.result()


def measure(threads: int, repeats: int) -> list[dict[str, Any]]:
    import numpy as np

    pool = ThreadPoolExecutor(max_workers=max(1, threads - 1))
    rows = []
    for mib in SIZES_MIB:
        x = np.random.default_rng(0).standard_normal(int(mib * 2**20) // 4, dtype=np.float32)
        out = np.empty_like(x)
        # parts cut on 4 KiB boundaries, as a kernel would (no two threads on one cache line)
        cuts = [min(x.size, (x.size * p // threads) // 1024 * 1024) for p in range(threads)] + [x.size]

        def part(p: int, x: Any = x, out: Any = out, cuts: list[int] = cuts) -> None:
            np.maximum(x[cuts[p] : cuts[p + 1]], 0, out=out[cuts[p] : cuts[p + 1]])

        def whole(x: Any = x, out: Any = out) -> None:
            np.maximum(x, 0, out=out)

        def parted_pass(part: Callable[[int], None] = part) -> None:
            split(pool, threads, part)

        one = timings(whole, repeats)
        parted = timings(parted_pass, repeats)
        handoff = timings(lambda: split(pool, threads, lambda p: None), repeats)
        rows.append({"mib": mib, "one_us": one, "split_us": parted, "handoff_us": handoff})
    pool.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.threads, args.repeats)
    if args.json:
        print(json.dumps({"threads": args.threads, "rows": rows}, indent=2))
        return
    print(f"copy through ReLU, float32; {args.threads} threads; best / median of {args.repeats}, us")
    print(f"{'MiB':>6} {'one thread':>14} {'split':>14} {'handoff':>12} {'split/one':>10}")
    for r in rows:
        (b1, m1), (b2, m2), (bh, mh) = r["one_us"], r["split_us"], r["handoff_us"]
        print(f"{r['mib']:6.2f} {b1:6.0f} / {m1:5.0f} {b2:6.0f} / {m2:5.0f} {bh:5.0f} / {mh:4.0f} {m2 / m1:10.2f}")


if __name__ == "__main__":
    main()
