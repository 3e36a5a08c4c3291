"""cnncalc's training peak against PyTorch's profiler: the table of docs/training.md.

    python benchmarks/bench_training_peak.py [--markdown] [--threads 1]

For each case of cnncalc.features.training.profiler.CASES (bundled networks at small
inputs, small convolutions where the kernels' temporaries are most of the peak), prints
cnncalc's modelled peak (`summarize --training`), the peak PyTorch's profiler measures over
one full step after a warm-up step (see cnncalc.features.training.profiler), and the signed
error. The PyTorch version and the thread count head the output. --markdown prints the
table as docs/training.md shows it.
"""

from __future__ import annotations

import argparse
import platform
import sys

from cnncalc.core.walk import analyze
from cnncalc.features.training.memory import training_memory
from cnncalc.features.training.profiler import CASES, measure_step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table of docs/training.md")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch's intra-op threads (default 1)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare with", file=sys.stderr)
        return 2
    cpu = torch.backends.cpu.get_cpu_capability()
    print(f"PyTorch {torch.__version__}, CPU ({platform.machine()}, {cpu}), {args.threads} thread(s), float32")
    if args.markdown:
        print()
        print("| network, input, batch, optimizer | peak at (cnncalc) | cnncalc's peak | profiler | error |")
        print("|---|---|---:|---:|---:|")
    worst_low, worst_high = 0.0, 0.0
    for case in CASES:
        spec = case.spec()
        memory = training_memory(spec, analyze(spec), case.optimizer)
        model = memory.peak_bytes
        measured = measure_step(spec, case.optimizer, threads=args.threads).peak_bytes
        error = 100 * (model - measured) / measured
        worst_low, worst_high = min(worst_low, error), max(worst_high, error)
        if args.markdown:
            label = case.label.replace("|", "\\|")  # a DSL line's bars, inside a table
            print(f"| {label} | {memory.peak_at} | {model:,} B | {measured:,} B | {error:+.2f}% |")
        else:
            print(f"{case.label:<90} {model:>14,} {measured:>14,} {error:+7.2f}%", flush=True)
    print()
    print(f"errors from {worst_low:+.2f}% to {worst_high:+.2f}% (goal: -2% to +10%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
