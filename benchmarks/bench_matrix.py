"""Time and memory of reading the matrices of `cnncalc conv` / `cnncalc pool` at and past their limits.

    python benchmarks/bench_matrix.py

Each case is a text just past one limit (refused) or the costliest text each limit still
allows (parsed: values that differ, so no cache helps). Prints the wall time of
`parse_volume` (best of three) and the peak of Python allocations during it (tracemalloc),
besides the text's own size. A script, never a timed test: the figures depend on the machine.
"""

from __future__ import annotations

import contextlib
import random
import time
import tracemalloc
from collections.abc import Callable

from cnncalc.errors import CnncalcError
from cnncalc.features.worked import matrix
from cnncalc.features.worked.matrix import MAX_LINE_CHARS, MAX_TEXT_CHARS, MAX_VALUE_CHARS, MAX_VALUES, parse_volume


def distinct_decimals(count: int, per_line: int) -> str:
    rng = random.Random(0)
    values = [f"{rng.randrange(10**5)}.{rng.randrange(10**3):03d}" for _ in range(count)]
    return "\n".join(" ".join(values[i : i + per_line]) for i in range(0, count, per_line))


CASES: list[tuple[str, Callable[[], str]]] = [
    ("2 MB of '1 ' (the issue's case)", lambda: "1 " * 1_000_000),
    ("text one char over", lambda: "1\n" * (MAX_TEXT_CHARS // 2) + "1"),
    ("line one char over", lambda: "1 " * (MAX_LINE_CHARS // 2) + "1"),
    ("value one char over", lambda: "1 " * 1000 + "9" * (MAX_VALUE_CHARS + 1)),
    ("values one over", lambda: "1\n" * MAX_VALUES + "1"),
    ("1 MB of NUL", lambda: "\0" * MAX_TEXT_CHARS),
    ("1 MB of spaces in lines", lambda: (" " * 999 + "\n") * (MAX_TEXT_CHARS // 1000)),
    ("allowed: MAX_VALUES distinct decimals", lambda: distinct_decimals(MAX_VALUES, 100)),
    ("allowed: MAX_VALUES ones", lambda: ("1 " * 99 + "1\n") * (MAX_VALUES // 100)),
]


def measure(text: str) -> tuple[float, int, str]:
    best = float("inf")
    outcome = ""
    for _ in range(3):
        matrix._value.cache_clear()
        start = time.perf_counter()
        try:
            volume = parse_volume(text)
            outcome = f"parsed {len(volume)}x{len(volume[0])}x{len(volume[0][0])}"
        except CnncalcError as e:
            outcome = "refused: " + e.diagnostics[0].message[:60]
        best = min(best, time.perf_counter() - start)
    matrix._value.cache_clear()
    tracemalloc.start()
    with contextlib.suppress(CnncalcError):
        parse_volume(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, outcome


def main() -> None:
    print(f"{'case':40} {'text MB':>8} {'seconds':>8} {'peak MB':>8}  outcome")
    for label, make in CASES:
        text = make()
        seconds, peak, outcome = measure(text)
        print(f"{label:40} {len(text) / 1e6:8.2f} {seconds:8.3f} {peak / 1e6:8.1f}  {outcome}")


if __name__ == "__main__":
    main()
