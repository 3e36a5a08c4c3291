"""`compare` with and without `--plot`, at 50 and 500 networks, side by side, as whole processes.

    python benchmarks/bench_compare_plot.py [--runs 3] [--sizes 50 500]

The label placement once asked every label placed so far about each candidate spot, and grew
the plot one step per try: 500 networks took minutes. Printed are the median wall time of
`compare` alone and of `compare --plot`, and their ratio, per size. The specs are small
(two convolutions and a dense layer) with seeded random sizes, so that their points spread
over several decades of parameters and MACs as a class's networks do.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

from startup import child_env, run_once  # benchmarks/startup.py: the same way to time a process


def write_specs(folder: Path, count: int, seed: int = 7) -> list[str]:
    """`count` small specs with seeded random sizes; their paths."""
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        size = rng.choice([8, 16, 28, 32, 56, 64, 112, 224])
        first, second, units = rng.randint(1, 512), rng.randint(1, 512), rng.randint(2, 4096)
        kernel = rng.choice([1, 3, 5])
        path = folder / f"net{i:03d}.yaml"
        path.write_text(
            f"name: net{i:03d}\ninput: {size}x{size}x3\nlayers:\n"
            f"  - {{kind: conv, filters: {first}, kernel: {kernel}, padding: same}}\n"
            f"  - {{kind: conv, filters: {second}, kernel: 3, padding: same}}\n"
            f"  - {{kind: global_avg_pool}}\n  - {{kind: dense, units: {units}}}\n"
        )
        paths.append(str(path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    args = parser.parse_args()
    env = child_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"{'networks':>8} {'compare s':>10} {'--plot s':>10} {'ratio':>7}")
        for size in args.sizes:
            folder = root / str(size)
            folder.mkdir()
            specs = write_specs(folder, size)
            base = [sys.executable, "-m", "cnncalc", "compare", *specs]
            plain, plotted = [], []
            for run in range(args.runs):
                plain.append(run_once(base, env)[0])
                plotted.append(run_once([*base, "--plot", str(root / f"{size}-{run}.svg")], env)[0])
            a, b = statistics.median(plain), statistics.median(plotted)
            print(f"{size:>8} {a:>10.2f} {b:>10.2f} {b / a:>7.1f}")


if __name__ == "__main__":
    main()
