"""Whole-process time of cnncalc commands against a bare Python start, measured side by side.

    python benchmarks/startup.py [--runs 20]

Each round runs the baseline and every command once, in turn, so that the noise of a
shared machine hits all of them alike; the medians of wall time and of CPU time (user +
system, which a busy machine disturbs less) are printed with their ratios to
`python -c pass` and the target each command is held to (issue 9: summarize at most
12x, --help and --version at most 8x).

Bytecode is written and a warm-up round is run first, so that the figures are those of
an installed package (compiled .pyc files), whatever PYTHONDONTWRITEBYTECODE says.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VGG16_DSL = (
    "224x224x3 | 2x conv3-64 | maxpool | 2x conv3-128 | maxpool | 3x conv3-256 | maxpool | "
    "3x conv3-512 | maxpool | 3x conv3-512 | maxpool | fc-4096 | fc-4096 | fc-1000 | softmax"
)
CLI = [sys.executable, "-m", "cnncalc"]

#: name -> (command, most times `python -c pass` it may take; None: no target)
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "python -c pass": ([sys.executable, "-c", "pass"], None),
    "import cnncalc": ([sys.executable, "-c", "import cnncalc"], None),
    "library: load + analyze vgg16": (
        [sys.executable, "-c", "import cnncalc; cnncalc.analyze(cnncalc.load_spec('vgg16'))"],
        None,
    ),
    "cnncalc --version": ([*CLI, "--version"], 8),
    "cnncalc --help": ([*CLI, "--help"], 8),
    "summarize vgg16 (table)": ([*CLI, "summarize", "vgg16"], 12),
    "summarize vgg16 (json)": ([*CLI, "summarize", "vgg16", "-f", "json"], 12),
    "summarize --dsl (VGG-16)": ([*CLI, "summarize", "--dsl", VGG16_DSL], 12),
}


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("COLUMNS", "200")
    return env


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = child_env()
    for cmd, _ in COMMANDS.values():  # warm-up: compiles and caches the bytecode
        run_once(cmd, env)
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, (cmd, _) in COMMANDS.items():
            w, c = run_once(cmd, env)
            wall[name].append(w)
            cpu[name].append(c)
    base_wall = statistics.median(wall["python -c pass"])
    base_cpu = statistics.median(cpu["python -c pass"])
    print(f"{'command':32} {'wall ms':>8} {'x pass':>7} {'cpu ms':>8} {'x pass':>7} {'target':>7}")
    for name, (_, target) in COMMANDS.items():
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        verdict = "" if target is None else f"{'<=' if w / base_wall <= target else '> '}{target:g}x"
        print(f"{name:32} {w * 1000:8.1f} {w / base_wall:7.2f} {c * 1000:8.1f} {c / base_cpu:7.2f} {verdict:>7}")


if __name__ == "__main__":
    main()
