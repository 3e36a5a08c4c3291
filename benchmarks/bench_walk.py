"""Summarizing long chains: 100, 1,000 and 10,000 layers side by side, as whole processes.

    python benchmarks/bench_walk.py [--runs 5] [--sizes 100 1000 10000]

Every step from the text to the output must be linear in the number of layers (issue 9:
a 10,000-layer chain at most 2x the whole-process time of a 100-layer one). Each round
runs every size and format once, in turn, so that a busy machine disturbs all alike;
printed are medians of wall and CPU time, the best (least disturbed) run, and the median
of each round's own ratio, each against the 100-layer chain, for
`summarize -f json`, `summarize` (table) and the library alone (load + graph + analyze +
JSON, in a fresh process).

The chain alternates `conv 3x3 same` and `relu` on a 32x32x8 input, so that every layer
is validated, shaped, counted and given a receptive field.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from startup import child_env, run_once  # benchmarks/startup.py: the same way to time a process

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = (
    "import sys, cnncalc\n"
    "from cnncalc.render.summary import to_json\n"
    "to_json(cnncalc.analyze(cnncalc.load_spec(sys.argv[1])))\n"
)


def chain(n: int) -> str:
    """A spec of `n` layers: conv and relu, alternating."""
    lines = [f"name: chain{n}", "input: 32x32x8", "layers:"]
    for i in range(n):
        lines.append("  - {kind: conv, filters: 8, kernel: 3, padding: same}" if i % 2 == 0 else "  - {kind: relu}")
    return "\n".join(lines) + "\n"


def commands(spec: Path) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "cnncalc", "summarize", str(spec)]
    return {
        "json": [*cli, "-f", "json"],
        "table": cli,
        "library": [sys.executable, "-c", LIBRARY, str(spec)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    args = parser.parse_args()
    env = child_env()
    with tempfile.TemporaryDirectory() as tmp:
        specs = {n: Path(tmp) / f"chain{n}.yaml" for n in args.sizes}
        for n, path in specs.items():
            path.write_text(chain(n), encoding="utf-8")
        plan = {(n, fmt): cmd for n, path in specs.items() for fmt, cmd in commands(path).items()}
        for cmd in plan.values():  # warm-up: bytecode compiled and cached
            run_once(cmd, env)
        wall: dict[tuple[int, str], list[float]] = {key: [] for key in plan}
        cpu: dict[tuple[int, str], list[float]] = {key: [] for key in plan}
        for _ in range(args.runs):
            for key, cmd in plan.items():
                w, c = run_once(cmd, env)
                wall[key].append(w)
                cpu[key].append(c)
    smallest = min(args.sizes)
    x = f"x {smallest}"
    print(f"{'format':8} {'layers':>7} {'wall ms':>9} {x:>8} {'cpu ms':>9} {x:>8} {'best ms':>9} {x:>8} {'paired':>8}")
    for fmt in ("json", "table", "library"):
        base_w = statistics.median(wall[(smallest, fmt)])
        base_c = statistics.median(cpu[(smallest, fmt)])
        base_b = min(wall[(smallest, fmt)])
        for n in args.sizes:
            w, c, b = statistics.median(wall[(n, fmt)]), statistics.median(cpu[(n, fmt)]), min(wall[(n, fmt)])
            # each round's own ratio (the sizes ran back to back), then their median
            paired = statistics.median(a / z for a, z in zip(wall[(n, fmt)], wall[(smallest, fmt)], strict=True))
            print(
                f"{fmt:8} {n:7,} {w * 1000:9.1f} {w / base_w:8.2f} {c * 1000:9.1f} {c / base_c:8.2f}"
                f" {b * 1000:9.1f} {b / base_b:8.2f} {paired:8.2f}"
            )
    print(
        "wall, cpu: medians over the rounds; best: the least disturbed run of each; paired: the median of each"
        " round's own ratio"
    )


if __name__ == "__main__":
    main()
