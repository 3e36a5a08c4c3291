"""Machine- and paste-friendly renderings: JSON (the stable contract), CSV, Markdown."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from cnncalc.receptive import ReceptiveField
from cnncalc.render.human import (
    format_bytes,
    format_count,
    format_field,
    format_kind,
    format_shape,
    format_share,
    format_si,
)
from cnncalc.report import LayerRow, Report

#: bump on any incompatible change of the JSON layout
JSON_SCHEMA_VERSION = 1


def to_json(report: Report) -> dict[str, Any]:
    """The JSON contract: exact integers, shapes in the report's layout (see README)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "name": report.name,
        "input_shape": list(report.shown(report.input_shape)),
        "layout": report.layout,
        "dtype": report.dtype,
        "dtype_bytes": report.dtype_bytes,
        "batch": report.batch,
        "layers": [_row_json(report, row) for row in report.rows],
        "totals": asdict(report.totals),
        "warnings": list(report.warnings),
        "conventions": {
            "bias": report.conventions.bias,
            "bn_running_stats": report.conventions.bn_running_stats,
            "inplace_activations": report.conventions.inplace_activations,
            "units": report.conventions.units,
            "activation_flops": dict(report.conventions.activation_flops),
            "footer": report.conventions.footer(),
        },
    }


def _row_json(report: Report, row: LayerRow) -> dict[str, Any]:
    return {
        "index": row.index,
        "name": row.name,
        "kind": row.kind,
        "summary": row.summary,
        "input_shape": list(report.shown(row.input_shape)),
        "output_shape": list(report.shown(row.output_shape)),
        "activation_elements": row.activation_elements,
        "activation_bytes": row.activation_bytes,
        "weights": row.weights,
        "biases": row.biases,
        "params": row.params,
        "trainable_params": row.trainable_params,
        "non_trainable_params": row.non_trainable_params,
        "macs": row.macs,
        "flops": row.flops,
        "inplace": row.inplace,
        "block": ".".join(row.block[-1:]),
        "inputs": list(row.inputs),
        "shared_with": row.shared_with,
        "receptive_field": _field_json(row.receptive_field),
    }


def _field_json(field: ReceptiveField | None) -> dict[str, list[int | float]] | None:
    """Per spatial axis; a start of half a pixel is the only non-integer that occurs."""
    if field is None:
        return None
    return {
        "size": list(field.size),
        "jump": list(field.jump),
        "start": [int(u) if u.denominator == 1 else float(u) for u in field.start],
    }


CSV_COLUMNS = [
    "index",
    "name",
    "kind",
    "summary",
    "output_shape",
    "activation_elements",
    "activation_bytes",
    "weights",
    "biases",
    "params",
    "trainable_params",
    "non_trainable_params",
    "macs",
    "flops",
]


def to_csv(report: Report) -> str:
    """One row per layer then a TOTAL row; exact integers, shapes as 28x28x8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        data = _row_json(report, row)
        data["output_shape"] = format_shape(report.shown(row.output_shape))
        writer.writerow([data[c] for c in CSV_COLUMNS])
    t = report.totals
    totals = {"name": "TOTAL", **asdict(t)}
    writer.writerow([totals.get(c, "") for c in CSV_COLUMNS])
    return out.getvalue()


def summary_lines(report: Report) -> list[str]:
    """The totals as sentences, shared by the terminal table and Markdown."""
    t = report.totals
    u = report.conventions.units
    batch = f" (batch {report.batch})" if report.batch != 1 else ""
    return [
        f"Total params: {format_count(t.params)} ({format_si(t.params, u)}); trainable "
        f"{format_count(t.trainable_params)}, non-trainable {format_count(t.non_trainable_params)}",
        f"MACs{batch}: {format_count(t.macs)} ({format_si(t.macs, u)}); FLOPs: {format_count(t.flops)} "
        f"({format_si(t.flops, u)})",
        f"Activation memory, sum over layers: {format_count(t.activation_elements)} elements x "
        f"{report.dtype_bytes} B ({report.dtype}) x batch {report.batch} = {format_count(t.activation_bytes)} B "
        f"({format_bytes(t.activation_bytes, u)})",
        f"Peak live activation memory (inference): {format_count(t.peak_activation_bytes)} B "
        f"({format_bytes(t.peak_activation_bytes, u)})",
        f"Parameter memory: {format_count(t.param_bytes)} B ({format_bytes(t.param_bytes, u)}); "
        f"training estimate (2 x activations + 4 x params): {format_bytes(t.training_bytes, u)}",
    ]


MARKDOWN_HEADER = (
    "| # | Layer | Kind | Output shape | RF | Activations | Memory | Params | % params | MACs | % MACs | FLOPs |",
    "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
)


def to_markdown(report: Report) -> str:
    """A GitHub-flavoured table with the totals and conventions under it."""
    t = report.totals
    u = report.conventions.units
    lines = [f"### {report.name}", "", *MARKDOWN_HEADER]
    for i, r in enumerate(report.rows):
        kind = format_kind(r, report.rows[i - 1] if i else None).replace("|", "/")
        lines.append(
            f"| {r.index} | {r.name} | {kind} | {format_shape(report.shown(r.output_shape))} "
            f"| {format_field(r.receptive_field)} "
            f"| {format_count(r.activation_elements)} | {format_bytes(r.activation_bytes, u)} "
            f"| {format_count(r.params)} | {format_share(r.params, t.params)} | {format_count(r.macs)} "
            f"| {format_share(r.macs, t.macs)} | {format_count(r.flops)} |"
        )
    lines.append(
        f"| | **Total** | | | | {format_count(t.activation_elements)} | {format_bytes(t.activation_bytes, u)} "
        f"| {format_count(t.params)} | | {format_count(t.macs)} | | {format_count(t.flops)} |"
    )
    lines += ["", *(f"- {line}" for line in summary_lines(report))]
    lines += [f"- warning: {w}" for w in report.warnings]
    lines += ["", f"_{report.conventions.footer()}_", ""]
    return "\n".join(lines)
