"""Grading a class folder against an assignment, at 100 and 1,000 sheets, as whole processes.

    python benchmarks/bench_grade.py [--runs 3] [--sizes 100 1000] [--baseline DIR] [--no-tty]

The sheets are the CSV sheets of examples/class/ (right ones and ones with the common
mistakes), copied round-robin under new names, so that every verdict and mistake diagnosis
is exercised. The assignment is `cnncalc assign lenet5` (every row, the default columns).
Printed are the median wall time and child CPU time of `grade hw.yaml FOLDER` and of
`grade lenet5 FOLDER` (no assignment), side by side in one run, per size, and the time per
sheet. `--baseline DIR` times another source tree of cnncalc (`git archive REV | tar -x -C
DIR`) grading against its own `assign`, interleaved with this one, and prints the ratio: on a
loaded machine the ratio holds where the seconds do not. By default the runs have a terminal
on stderr (a pseudo-terminal), so that the progress bar is drawn as a teacher sees it; `--no-tty`
pipes stderr instead. The goal of issue 22 is 1,000 sheets against an assignment in at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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


def _drain(fd: int) -> None:
    """Read a pseudo-terminal until its child closes it (the progress bar must never block)."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def timed(cmd: list[str], env: dict[str, str], tty: bool) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one run; grade exits 1 when a sheet has wrong answers,
    which is expected."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if tty:
        master, slave = pty.openpty()
        reader = threading.Thread(target=_drain, args=(master,))
        reader.start()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=slave, env=env, cwd=ROOT, check=False)
        os.close(slave)
        reader.join()
        os.close(master)
        error = ""
    else:
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT, check=False)
        error = done.stderr.decode(errors="replace")
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {error}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tree_env(tree: Path) -> dict[str, str]:
    """The child environment with `tree`'s cnncalc first on the path."""
    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *(p for p in env["PYTHONPATH"].split(os.pathsep) if p)])
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--baseline", type=Path, default=None, help="another source tree of cnncalc to time")
    parser.add_argument("--no-tty", action="store_true", help="pipe stderr: no progress bar")
    args = parser.parse_args()
    trees = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        envs = {name: tree_env(tree) for name, tree in trees.items()}
        for name, env in envs.items():
            hw = root / f"hw-{name}.yaml"
            subprocess.run([*CLI, "assign", "lenet5", "-o", str(hw)], check=True, env=env, cwd=ROOT)
        print(f"{'sheets':>7}  {'run':<22}  {'wall s':>7}  {'ms/sheet':>8}  {'CPU s':>6}")
        for count in args.sizes:
            folder = class_folder(root, count)
            runs = {f"{name}, assignment": (name, [*CLI, "grade", str(root / f"hw-{name}.yaml"), str(folder)])
                    for name in trees}  # fmt: skip
            runs["this, by network name"] = ("this", [*CLI, "grade", "lenet5", str(folder)])
            times: dict[str, list[tuple[float, float]]] = {label: [] for label in runs}
            for _ in range(args.runs):  # interleaved, so that the machine's noise hits every run alike
                for label, (name, cmd) in runs.items():
                    times[label].append(timed([*cmd, "--format", "json"], envs[name], not args.no_tty))
            medians = {
                label: (statistics.median(w for w, _ in found), statistics.median(c for _, c in found))
                for label, found in times.items()
            }
            for label, (wall, cpu) in medians.items():
                print(f"{count:>7}  {label:<22}  {wall:>7.2f}  {1000 * wall / count:>8.2f}  {cpu:>6.2f}")
            if "baseline, assignment" in medians:
                (w1, c1), (w0, c0) = medians["this, assignment"], medians["baseline, assignment"]
                print(f"{count:>7}  {'this / baseline':<22}  {w1 / w0:>7.2f}  {'':>8}  {c1 / c0:>6.2f}")


if __name__ == "__main__":
    main()
