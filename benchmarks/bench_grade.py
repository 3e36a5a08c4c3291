"""Grading a class folder against an assignment, at 100 and 1,000 sheets, as whole processes.

    python benchmarks/bench_grade.py [--runs 3] [--sizes 100 1000]

The sheets are the CSV sheets of examples/class/ (right ones and ones with the common
mistakes), copied round-robin under new names, so that every verdict and mistake diagnosis
is exercised. The assignment is `cnncalc assign lenet5` (every row, the default columns).
Printed are the median wall time of `grade hw.yaml FOLDER` and of `grade lenet5 FOLDER`
(no assignment), side by side in one run, per size, and the time per sheet. The goal of
issue 22 is 1,000 sheets against an assignment in at most 10 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from startup import child_env  # benchmarks/startup.py: the same environment for a child process

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "cnncalc"]
SHEETS = sorted((ROOT / "examples" / "class").glob("*.csv"))


def class_folder(root: Path, count: int) -> Path:
    """A folder of `count` sheets copied round-robin from examples/class/*.csv."""
    folder = root / f"class-{count}"
    folder.mkdir()
    for i in range(count):
        shutil.copyfile(SHEETS[i % len(SHEETS)], folder / f"student{i:04d}.csv")
    return folder


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; grade exits 1 when a sheet has wrong answers, which is expected."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    env = child_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        assignment = root / "hw.yaml"
        subprocess.run([*CLI, "assign", "lenet5", "-o", str(assignment)], check=True, env=env, cwd=ROOT)
        print(f"{'sheets':>7}  {'assignment s':>12}  {'ms/sheet':>8}  {'network s':>9}  {'ms/sheet':>8}")
        for count in args.sizes:
            folder = class_folder(root, count)
            with_hw = [*CLI, "grade", str(assignment), str(folder), "--format", "json"]
            by_name = [*CLI, "grade", "lenet5", str(folder), "--format", "json"]
            hw_times, name_times = [], []
            for _ in range(args.runs):  # interleaved, so that the machine's noise hits both alike
                hw_times.append(timed(with_hw, env))
                name_times.append(timed(by_name, env))
            hw, name = statistics.median(hw_times), statistics.median(name_times)
            print(f"{count:>7}  {hw:>12.2f}  {1000 * hw / count:>8.2f}  {name:>9.2f}  {1000 * name / count:>8.2f}")


if __name__ == "__main__":
    main()
