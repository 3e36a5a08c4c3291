"""What splitting a memory-bound pass over threads gains, by size (a script, never a timed test).

    python benchmarks/bench_split.py [--threads 2] [--repeats 200] [--json]

For arrays of 0.2 to 12 MiB of float32, times a copy through ReLU (the batch norm's step
after its fold into the convolution) on the calling thread and split over `--threads`
threads by `cnncalc.numeric.parallel` (its size threshold set to zero), and the cost of
a handoff alone: a split whose parts do nothing. Best and median of `--repeats` each, in
microseconds. `parallel.MIN_BYTES` should sit where the split starts to win.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
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


def measure(threads: int, repeats: int) -> list[dict[str, Any]]:
    import numpy as np

    from cnncalc.numeric import parallel

    parallel.MIN_BYTES = 0
    rows = []
    for mib in SIZES_MIB:
        x = np.random.default_rng(0).standard_normal(int(mib * 2**20) // 4, dtype=np.float32)
        out = np.empty_like(x)

        def relu(target: Any, source: Any) -> None:
            np.maximum(source, 0, out=target)

        os.environ[parallel.THREADS_ENV] = "1"
        one = timings(lambda: parallel.split_apply(relu, out, x), repeats)  # noqa: B023
        os.environ[parallel.THREADS_ENV] = str(threads)
        split = timings(lambda: parallel.split_apply(relu, out, x), repeats)  # noqa: B023
        handoff = timings(lambda: parallel.split_range(lambda a, b: None, threads, 0), repeats)
        rows.append({"mib": mib, "one_us": one, "split_us": split, "handoff_us": handoff})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
