"""cnncalc's training peak against PyTorch's profiler: the table of docs/training.md.

    python benchmarks/bench_training_peak.py [--markdown] [--threads 1,2]

For each case of tests/torch_profiler.py's CASES (bundled networks at small
inputs, small convolutions where the kernels' temporaries are most of the peak) and each
intra-op thread count (one, and two by default: with more than one, PyTorch sends 1x1
convolutions to oneDNN and oneDNN's weight gradients take a scratch buffer), prints
cnncalc's modelled peak (`summarize --training --threads N`), the peak PyTorch's profiler
measures over one full step after a warm-up step at N threads (see tests/torch_profiler.py:
PyTorch is an oracle of the tests, never a part of cnncalc), and the signed error, the thread
counts side by side.
The PyTorch version and the CPU head the output. --markdown prints the table as
docs/training.md shows it.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from cnncalc.core.walk import analyze
from cnncalc.features.training.memory import training_memory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the oracle lives with the tests
from torch_profiler import CASES, measure_step


def thread_counts(text: str) -> list[int]:
    """`1,2` -> [1, 2]: the intra-op thread counts to compare at."""
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected thread counts of at least 1, e.g. 1,2")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table of docs/training.md")
    parser.add_argument(
        "--threads", type=thread_counts, default=[1, 2], help="PyTorch's intra-op thread counts (default 1,2)"
    )
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare with", file=sys.stderr)
        return 2
    cpu = torch.backends.cpu.get_cpu_capability()
    counts = ", ".join(map(str, args.threads))
    print(f"PyTorch {torch.__version__}, CPU ({platform.machine()}, {cpu}), intra-op threads {counts}, float32")
    if args.markdown:
        print()
        print("| network, input, batch, optimizer | threads | peak at (cnncalc) | cnncalc's peak | profiler | error |")
        print("|---|---:|---|---:|---:|---:|")
    worst = dict.fromkeys(args.threads, (0.0, 0.0))
    for case in CASES:
        spec = case.spec()
        for threads in args.threads:
            memory = training_memory(spec, analyze(spec), case.optimizer, threads=threads)
            model = memory.peak_bytes
            measured = measure_step(spec, case.optimizer, threads=threads).peak_bytes
            error = 100 * (model - measured) / measured
            low, high = worst[threads]
            worst[threads] = (min(low, error), max(high, error))
            if args.markdown:
                label = case.label.replace("|", "\\|")  # a DSL line's bars, inside a table
                print(f"| {label} | {threads} | {memory.peak_at} | {model:,} B | {measured:,} B | {error:+.2f}% |")
            else:
                print(f"{case.label:<90} {threads:>2} {model:>14,} {measured:>14,} {error:+7.2f}%", flush=True)
    print()
    for threads, (low, high) in worst.items():
        print(f"{threads} thread(s): errors from {low:+.2f}% to {high:+.2f}% (goal: -2% to +10%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
