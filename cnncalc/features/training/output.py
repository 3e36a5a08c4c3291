"""`summarize --training` output: what each layer keeps for backward, and the step's memory."""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass
from typing import Any

from cnncalc.core.conventions import Units
from cnncalc.core.report import Report
from cnncalc.features.training.memory import TrainingMemory
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import markdown_cell, terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.human import format_bytes, format_count
from cnncalc.render.summary import table_lines as summary_lines
from cnncalc.render.summary import to_json
from cnncalc.render.summary import to_markdown as summary_markdown
from cnncalc.render.table import render_grid

#: width the kernel's description is wrapped to
WRAP = 100

COLUMNS = [
    text("Layer", "name"),
    text("Kind", "kind"),
    text("Kept for backward", "saved", priority=1),
    numeric("Saved bytes", "saved_bytes"),
]


def training_json(memory: TrainingMemory) -> dict[str, Any]:
    """The `training` object of the summary JSON: exact bytes."""
    return {
        "optimizer": memory.optimizer,
        "layers": [{**asdict(r), "saved": list(r.saved)} for r in memory.rows],
        "saved_bytes": memory.saved_bytes,
        "weight_bytes": memory.weight_bytes,
        "gradient_bytes": memory.gradient_bytes,
        "optimizer_bytes": memory.optimizer_bytes,
        "forward_peak_bytes": memory.forward_peak_bytes,
        "backward_peak_bytes": memory.backward_peak_bytes,
        "step_peak_bytes": memory.step_peak_bytes,
        "peak_bytes": memory.peak_bytes,
        "peak_at": memory.peak_at,
        "peak_terms": [{"name": t.name, "bytes": t.nbytes} for t in memory.peak_terms],
        "peak_kernel": memory.peak_work,
        "device": memory.device,
        "threads": memory.threads if memory.device == "cpu" else None,
        "estimate": memory.estimate,
        "workspace_margin_bytes": memory.workspace_margin_bytes,
    }


def training_grid(memory: TrainingMemory) -> Grid:
    rows: list[list[Cell]] = [[r.name, r.kind, ", ".join(r.saved) or "nothing", r.saved_bytes] for r in memory.rows]
    where = (
        f"cpu, {memory.threads} thread{'' if memory.threads == 1 else 's'}" if memory.device == "cpu" else memory.device
    )
    title = f"Training memory (PyTorch, {where}, batch {memory.batch}, {memory.optimizer})"
    return Grid(COLUMNS, rows, ["Total", "", "", memory.saved_bytes], title)


def training_lines(memory: TrainingMemory, units: Units) -> list[str]:
    """The step's memory as sentences."""

    def b(n: int) -> str:
        return f"{format_count(n)} B ({format_bytes(n, units)})"

    kind = (
        "an estimate for CUDA (allocator rounding, a cuDNN workspace margin; docs/training.md)"
        if memory.estimate
        else "a model of PyTorch's CPU allocations (docs/training.md)"
    )
    lines = [
        f"Saved for backward (unique storages): {b(memory.saved_bytes)}",
        f"Weights and buffers: {b(memory.weight_bytes)}; gradients: {b(memory.gradient_bytes)}; "
        f"optimizer state ({memory.optimizer}): {b(memory.optimizer_bytes)}",
        f"Peak: {b(memory.peak_bytes)}, {kind}",
        f"  forward {format_bytes(memory.forward_peak_bytes, units)}, "
        f"backward {format_bytes(memory.backward_peak_bytes, units)}, "
        f"optimizer step {format_bytes(memory.step_peak_bytes, units)}; at the peak ({memory.peak_at}):",
    ]
    lines += [f"  {t.name}: {b(t.nbytes)}" for t in memory.peak_terms]
    if memory.peak_work:
        lines += textwrap.wrap(f"  the kernel: {memory.peak_work}", WRAP, subsequent_indent="    ")
    return lines


def table_lines(memory: TrainingMemory, width: int | None, units: Units) -> list[str]:
    return ["", *render_grid(training_grid(memory), width), *(terminal(line) for line in training_lines(memory, units))]


def to_csv(memory: TrainingMemory) -> str:
    return columns.to_csv(training_grid(memory))


def to_markdown(memory: TrainingMemory, units: Units) -> str:
    lines = ["", f"### {markdown_cell(training_grid(memory).title)}", "", *columns.to_markdown(training_grid(memory))]
    lines += ["", *(f"- {markdown_cell(line)}" for line in training_lines(memory, units)), ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class TrainingView:
    """What `summarize --training` prints: the summary, and what training keeps."""

    report: Report
    memory: TrainingMemory
    receptive_field: bool = True


def _training_table(v: TrainingView, width: int | None) -> str:
    units = v.report.conventions.units
    summary = summary_lines(v.report, width, receptive_field=v.receptive_field)
    return joined_lines(summary + table_lines(v.memory, width, units))


#: `summarize --training`'s formats; CSV holds the training rows only (one table per file)
WRITERS: Writers[TrainingView] = Writers(
    {
        OutputFormat.table: _training_table,
        OutputFormat.json: lambda v, width: json_parts({**to_json(v.report), "training": training_json(v.memory)}),
        OutputFormat.csv: lambda v, width: to_csv(v.memory),
        OutputFormat.markdown: lambda v, width: (
            summary_markdown(v.report) + to_markdown(v.memory, v.report.conventions.units) + "\n"
        ),
    }
)
