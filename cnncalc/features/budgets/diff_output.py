"""`cnncalc diff` output: the totals and the layers that differ, as a table, Markdown or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.core.report import LayerRow
from cnncalc.features.budgets.diff import (
    LAYER_METRICS,
    Diff,
    LayerChange,
    change_label,
    percent_change,
    shown_changes,
    signed,
    summary,
)
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Column, Grid, numeric, text
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import markdown_cell, markdown_code, terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.table import render_grid

TOTAL_COLUMNS = [text("Total"), numeric("Before"), numeric("After"), numeric("Change"), numeric("%")]


def _totals(diff: Diff) -> list[list[Cell]]:
    return [[t.label, t.before, t.after, signed(t.delta), percent_change(t.before, t.after)] for t in diff.totals]


def _layer_columns(markdown: bool) -> list[Column]:
    """Per metric: before, after and the change; memory is the first to go on a narrow terminal."""
    header: list[Column] = [text("Layer"), text("Change"), numeric("Output shape")]
    for metric, title, unit in LAYER_METRICS:
        suffix = f" ({unit})" if unit else ""
        delta = f"\u0394 {title}" if markdown else f"{title} change{suffix}"
        optional = 1 if metric == "activation_bytes" else 0
        note = f"{title} before/after/change"
        header += [
            numeric(f"{title} before{suffix}", priority=optional, footnote=note),
            numeric(f"{title} after{suffix}", priority=optional, footnote=note),
            numeric(delta, priority=optional, footnote=note),
        ]
    return header


def _layer_rows(diff: Diff, changes: list[LayerChange], arrow: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for c in changes:
        cells: list[Cell] = [c.name, change_label(c), _shape_change(diff, c, arrow)]
        for metric, _, _ in LAYER_METRICS:
            cells += [_count(c.old, c.before(metric)), _count(c.new, c.after(metric)), signed(c.delta(metric))]
        rows.append(cells)
    return rows


def diff_lines(diff: Diff, everything: bool, names: tuple[str, str], width: int | None) -> list[str]:
    """The totals table, the counts, then the layers that differ (all with --all)."""
    lines = render_grid(Grid(TOTAL_COLUMNS, _totals(diff), title=f"{names[0]} -> {names[1]}"), width)
    lines.append(terminal(summary(diff)))
    changes = shown_changes(diff, everything)
    if changes:
        lines += ["", *render_grid(Grid(_layer_columns(False), _layer_rows(diff, changes, "->")), width)]
    return lines


def diff_markdown(diff: Diff, everything: bool = False, names: tuple[str, str] | None = None) -> str:
    """GitHub-flavoured Markdown for a pull-request comment: totals, then the layers that differ."""
    old, new = names or (diff.old.name, diff.new.name)
    lines = [f"### cnncalc diff: {markdown_code(old)} \u2192 {markdown_code(new)}", ""]
    lines += columns.to_markdown(Grid([text(""), *TOTAL_COLUMNS[1:]], _totals(diff)))
    changes = shown_changes(diff, everything)
    lines += ["", summary(diff) + ("." if changes else "; no layer differs."), ""]
    if changes:
        rows = _layer_rows(diff, changes, "\u2192")
        for row in rows:
            row[0] = markdown_code(str(row[0]))
        table = columns.to_markdown(Grid(_layer_columns(True), []))
        lines += table + ["| " + " | ".join(_md(i, cell) for i, cell in enumerate(row)) + " |" for row in rows]
        lines.append("")
    lines += [f"_{diff.new.conventions.footer()}_", ""]
    return "\n".join(lines)


def _md(index: int, cell: Cell) -> str:
    """A layer cell: the name is already inline code; the rest escaped as text."""
    return str(cell) if index == 0 else markdown_cell(columns.shown(cell))


def _shape_change(diff: Diff, change: LayerChange, arrow: str) -> str:
    before, after = diff.shape_before(change), diff.shape_after(change)
    if not before or not after or before == after:
        return before or after
    return f"{before} {arrow} {after}"


def _count(row: LayerRow | None, value: int) -> Cell:
    return value if row is not None else ""


def diff_json(diff: Diff, old_source: str, new_source: str) -> dict[str, Any]:
    """The `diff --format json` document: exact ints; every layer of both networks."""
    return {
        "old": {"spec": old_source, "name": diff.old.name},
        "new": {"spec": new_source, "name": diff.new.name},
        "totals": {t.key: {"before": t.before, "after": t.after, "delta": t.delta} for t in diff.totals},
        "counts": {s: diff.count(s) for s in ("added", "removed", "changed", "unchanged")},
        "layers": [_layer_json(diff, c) for c in diff.layers],
    }


def _layer_json(diff: Diff, c: LayerChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": c.name,
        "old_name": c.old.name if c.old else None,
        "status": c.status,
        "kind_before": c.old.kind if c.old else None,
        "kind_after": c.new.kind if c.new else None,
        "output_shape_before": list(diff.old.shown(c.old.output_shape)) if c.old else None,
        "output_shape_after": list(diff.new.shown(c.new.output_shape)) if c.new else None,
    }
    for metric, _, _ in LAYER_METRICS:
        data |= {
            f"{metric}_before": c.before(metric) if c.old else None,
            f"{metric}_after": c.after(metric) if c.new else None,
            f"{metric}_delta": c.delta(metric),
        }
    return data


@dataclass(frozen=True)
class DiffView:
    """What `diff` prints: the diff, its two sources and titles, and whether unchanged layers show."""

    diff: Diff
    sources: tuple[str, str]
    names: tuple[str, str]
    everything: bool


#: `diff`'s formats
WRITERS: Writers[DiffView] = Writers(
    {
        OutputFormat.table: lambda v, width: joined_lines(diff_lines(v.diff, v.everything, v.names, width)),
        OutputFormat.markdown: lambda v, width: diff_markdown(v.diff, v.everything, v.names),
        OutputFormat.json: lambda v, width: json_parts(diff_json(v.diff, *v.sources)),
    }
)


__all__ = ["WRITERS", "DiffView", "diff_json", "diff_lines", "diff_markdown"]
