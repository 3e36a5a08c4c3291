"""Wall time of `cnncalc summarize` against a bare Python start, measured side by side.

    python benchmarks/startup.py [--runs 20]

Each round runs the baseline and every command once, in turn, so that the noise of a
shared machine hits all of them alike; the medians and their ratios are printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "summarize vgg16 (table)": [sys.executable, "-m", "cnncalc", "summarize", "vgg16"],
    "summarize vgg16 (json)": [sys.executable, "-m", "cnncalc", "summarize", "vgg16", "-f", "json"],
    "summarize --dsl (VGG-16)": [
        sys.executable,
        "-m",
        "cnncalc",
        "summarize",
        "--dsl",
        "224x224x3 | 2x conv3-64 | maxpool | 2x conv3-128 | maxpool | 3x conv3-256 | maxpool | "
        "3x conv3-512 | maxpool | 3x conv3-512 | maxpool | fc-4096 | fc-4096 | fc-1000 | softmax",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    print(f"{'command':28} {'median ms':>10} {'x python start':>15}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:28} {median * 1000:10.1f} {median / base:15.2f}")


if __name__ == "__main__":
    main()
