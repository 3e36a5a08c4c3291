"""Time and peak memory of every refusal in the hostile corpus (tests/hostile/hostile_corpus.py).

Each case runs as its own process (`python -m cnncalc ...`), so its wall time and peak resident
memory are the whole cost a CI job or a grading run would pay. The goal is every refusal within
2 s and 200 MB; a bare `cnncalc --version` run is printed first as the floor.

    python benchmarks/bench_hostile.py            # every case
    python benchmarks/bench_hostile.py sheet/     # cases whose id starts with sheet/
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

from hostile_corpus import all_cases  # noqa: E402

MAX_SECONDS = 2.0
MAX_MB = 200.0
#: a runaway case is stopped here, and reported as over the goal
KILL_SECONDS = 30
KILL_BYTES = 4 << 30


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (KILL_BYTES, KILL_BYTES))


def measure(argv: list[str], cwd: Path) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of one `python -m cnncalc` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=limit_memory,
    )
    deadline = start + KILL_SECONDS
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024


def main() -> int:
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    with tempfile.TemporaryDirectory() as tmp:
        code, seconds, mb = measure(["--version"], Path(tmp))
        print(f"floor: cnncalc --version  {seconds:6.3f} s  {mb:6.1f} MB")
    print(f"{'case':<45} {'exit':>4} {'want':>4} {'seconds':>8} {'MB':>7}  verdict")
    over = 0
    worst_s, worst_mb = 0.0, 0.0
    cases = [(case_id, case) for case_id, case in all_cases() if case_id.startswith(prefix)]
    for case_id, case in cases:
        if any("\0" in arg for arg in case.argv):
            print(f"{case_id:<45} skipped: a process argument cannot hold a NUL (the test runs it in-process)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            try:
                code, seconds, mb = measure(case.prepare(root), root)
            except OSError as e:  # an argument over the system's limit (128 KiB): the test runs it in-process
                print(f"{case_id:<45} skipped: {e.strerror}")
                continue
        ok = seconds <= MAX_SECONDS and mb <= MAX_MB and code == case.exit_code
        over += not ok
        worst_s, worst_mb = max(worst_s, seconds), max(worst_mb, mb)
        verdict = "ok" if ok else "OVER" if code == case.exit_code else "WRONG EXIT"
        print(f"{case_id:<45} {code:>4} {case.exit_code:>4} {seconds:8.3f} {mb:7.1f}  {verdict}")
    print(f"{len(cases)} cases; worst {worst_s:.3f} s, {worst_mb:.1f} MB; {over} over {MAX_SECONDS} s / {MAX_MB} MB")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
