"""`verify`: every symbolic number of a report checked against a run on real arrays.

The symbolic analysis (cnncalc.core.walk) and the numeric run (cnncalc.numeric.executor)
share only the spec and its graph; this module puts their numbers side by side, layer by
layer: output shape, parameter count, MACs and activation bytes, then the peak of live
activation memory. Before anything is allocated, the memory the run needs is predicted
and compared with a budget, so that a too large network is refused with a suggestion
instead of being killed by the kernel's out-of-memory killer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cnncalc.core.conventions import Conventions
from cnncalc.core.report import LayerRow, Report
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError, Diagnostic
from cnncalc.layers.registry import state_per_channel
from cnncalc.numeric.executor import Execution, LayerMeasure, Progress, compute_dtype, execute
from cnncalc.numeric.workspace import DEFAULT_WORKSPACE
from cnncalc.spec.model import Layout, Spec
from cnncalc.units import parse_size

#: share of the memory available that verify allows itself by default
DEFAULT_MEMORY_SHARE = 0.75


class MemoryBudgetError(CnncalcError):
    """The run would need more memory than allowed: a check that failed (exit 1), not bad input."""

    exit_code = 1


@dataclass(frozen=True)
class Check:
    """One number (or shape) as the report states it and as the run measured it."""

    what: str  # shape, params, macs, memory, peak
    symbolic: int | tuple[int, ...]
    measured: int | tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.symbolic == self.measured


@dataclass(frozen=True)
class LayerResult:
    """One layer's checks: each symbolic number beside the one measured in NumPy."""

    index: int
    name: str
    kind: str
    checks: tuple[Check, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of one verification, with what is needed to print it."""

    report: Report
    execution: Execution
    layers: tuple[LayerResult, ...]
    peak: Check
    predicted_bytes: int
    limit_bytes: int
    workspace: int

    @property
    def ok(self) -> bool:
        return self.peak.ok and all(layer.ok for layer in self.layers)

    def mismatches(self) -> list[str]:
        """One line per number that differs, naming the layer and both values."""
        lines = [
            f"layer '{layer.name}' ({layer.kind}): {c.what} symbolic {_show(c.symbolic)}, measured {_show(c.measured)}"
            for layer in self.layers
            for c in layer.checks
            if not c.ok
        ]
        if not self.peak.ok:
            lines.append(
                f"peak activation memory: symbolic {_show(self.peak.symbolic)} bytes, "
                f"measured {_show(self.peak.measured)} bytes"
            )
        return lines


def _show(value: int | tuple[int, ...]) -> str:
    return "x".join(map(str, value)) if isinstance(value, tuple) else f"{value:,}"


def verify(
    spec: Spec,
    conventions: Conventions | None = None,
    seed: int = 0,
    workspace: int = DEFAULT_WORKSPACE,
    max_memory: int | None = None,
    progress: Progress | None = None,
    layout: Layout | None = None,
) -> VerifyResult:
    """Analyze `spec`, run it on seeded random arrays, and compare every number.

    Raises MemoryBudgetError before allocating anything when the predicted memory
    exceeds `max_memory` (default: a safe share of the memory available now). Shapes
    are compared and shown in `layout` (default: the spec's).
    """
    c = conventions or Conventions()
    report = analyze(spec, c, layout)
    predicted = predict_memory(report, workspace)
    limit = max_memory if max_memory is not None else default_memory_limit()
    if predicted > limit:
        raise MemoryBudgetError(
            [
                Diagnostic(
                    f"verify of '{spec.name}' needs about {_human(predicted)} "
                    f"(batch {spec.batch}, input {'x'.join(map(str, spec.input.shape))}), "
                    f"more than the {_human(limit)} allowed",
                    hint="verify a smaller run: --batch 1, or a smaller --input (e.g. --input 64x64x3); "
                    "or raise --max-memory if the machine has the room",
                )
            ]
        )
    execution = execute(spec, seed, workspace, inplace=c.inplace_activations, progress=progress)
    layers = tuple(
        _compare_layer(row, measure, report, c) for row, measure in zip(report.rows, execution.layers, strict=True)
    )
    peak = Check("peak", report.totals.peak_activation_bytes, execution.peak_bytes)
    return VerifyResult(report, execution, layers, peak, predicted, limit, workspace)


def _compare_layer(row: LayerRow, m: LayerMeasure, report: Report, c: Conventions) -> LayerResult:
    if row.name != m.name:  # both walk build_graph's order; a difference is a bug, not a mismatch
        raise AssertionError(f"row {row.index} is '{row.name}' in the report but '{m.name}' in the run")
    params = (
        m.elements.get("weight", 0)
        + m.elements.get("shift", 0)
        + (m.elements.get("bias", 0) if c.bias else 0)
        + (m.elements.get("state", 0) if c.bn_running_stats else 0)
    )
    checks = (
        Check("shape", (report.batch, *report.shown(row.output_shape)), (m.batch, *report.shown(m.shape))),
        Check("params", row.params, params),
        Check("macs", row.macs, m.macs),
        Check("memory", row.activation_bytes, m.new_bytes),
    )
    return LayerResult(row.index, row.name, row.kind, checks, m.seconds)


def predict_memory(report: Report, workspace: int) -> int:
    """Bytes a verify run of `report`'s network allocates at most, from the symbolic numbers.

    Weights (batch-norm running statistics included, counted or not) + the peak of live
    activations + two of the largest activation (a kernel's padded input copy and its
    temporaries) + the workspace bound, all in the type the run computes in. A bound to
    refuse a run too large, not a number that is checked.
    """
    itemsize = compute_dtype(report.dtype).itemsize
    weights = sum(r.weights + r.biases for r in report.rows)
    if not report.conventions.bn_running_stats:
        weights += sum(state_per_channel(r.kind) * r.output_shape[0] for r in report.rows if not r.shared_with)
    largest = max(r.activation_bytes for r in report.rows) // report.dtype_bytes
    peak = report.totals.peak_activation_bytes // report.dtype_bytes
    return (weights + peak + 2 * largest) * itemsize + workspace


def default_memory_limit() -> int:
    """A safe share of the memory available now (MemAvailable, else free pages)."""
    return int(available_memory() * DEFAULT_MEMORY_SHARE)


def available_memory() -> int:
    """Bytes of memory the system can give without swapping: /proc/meminfo's MemAvailable."""
    meminfo = Path("/proc/meminfo")
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30  # no way to ask: assume a small machine


def _human(n: int) -> str:
    """Bytes in SI units with one decimal, as the summaries print memory."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


__all__ = [
    "DEFAULT_MEMORY_SHARE",
    "Check",
    "LayerResult",
    "MemoryBudgetError",
    "VerifyResult",
    "available_memory",
    "default_memory_limit",
    "parse_size",
    "predict_memory",
    "verify",
]
