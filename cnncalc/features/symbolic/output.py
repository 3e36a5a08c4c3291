"""Symbolic summaries: shapes and counts as expressions in the input's size symbols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cnncalc.features.symbolic.analysis import SymbolicReport
from cnncalc.features.symbolic.polynomials import Expr
from cnncalc.features.symbolic.sums import NOT_POLYNOMIAL, PEAK_NOTE, Sums
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import envelope, json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Text, Writers, joined_lines
from cnncalc.render.table import render_grid


def _shape(report: SymbolicReport, shape: tuple[Expr, ...]) -> str:
    parts = [str(e) for e in report.shown(shape)]
    return " x ".join(f"({p})" if " " in p else p for p in parts)


def _cell(e: Expr) -> Cell:
    return int(e.constant()) if e.is_constant() and e.constant().denominator == 1 else str(e)


def input_text(report: SymbolicReport) -> str:
    """The input's shape as the summary's title shows it: `H x W x 3`."""
    return _shape(report, report.rows[0].output_shape)


def symbolic_grid(report: SymbolicReport) -> Grid:
    columns = [numeric("#"), text("Layer"), text("Kind"), text("Output shape"), numeric("Params"), text("MACs")]
    rows: list[list[Cell]] = []
    for i, row in enumerate(report.rows):
        params = row.counts["weights"] + row.counts["biases"] + row.counts["non_trainable_params"]
        rows.append([i, row.name, row.kind, _shape(report, row.output_shape), _cell(params), _cell(row.counts["macs"])])
    names = ", ".join(report.symbols)
    title = (
        f"{report.name}  (input {_shape(report, report.rows[0].output_shape)}, symbols {names}, batch {report.batch})"
    )
    return Grid(columns, rows, None, title)


def symbolic_lines(report: SymbolicReport) -> list[str]:
    t = report.totals
    names = " and ".join(report.symbols)
    lines = [
        f"Params: {t['params']}",
        f"MACs: {t['macs']}",
        f"FLOPs: {t['flops']}",
        f"Activation memory, sum over layers (bytes): {t['activation_bytes']}",
    ]
    if report.period is not None:
        p = report.polynomial
        lines += [
            f"When {names} are multiples of {report.period} (every floor exact):",
            f"  params = {p['params']}",
            f"  MACs = {p['macs']}",
            f"  FLOPs = {p['flops']}",
            f"  activation bytes = {p['activation_bytes']}",
        ]
    else:
        lines.append("No period up to 4096 makes every floor exact: the expressions keep their floors.")
    side = report.smallest
    if report.condition is not None:
        lines.append(f"Valid when {report.condition}.")
    lines.append(f"Valid for inputs of at least {side}x{side} (the smallest square input the network accepts).")
    if report.floors:
        lines.append("Floors that drop pixels unless their numerator is a multiple of the divisor (first layer):")
        lines += [f"  {name}: {f}" for name, f in report.floors]
    return lines


def table_lines(report: SymbolicReport, width: int | None) -> list[str]:
    return [*render_grid(symbolic_grid(report), width), *(terminal(line) for line in symbolic_lines(report))]


def to_json(report: SymbolicReport) -> dict[str, Any]:
    """Expressions as text in the arithmetic of cnncalc.core.algebra (+ - * /, floor())."""
    return envelope(
        {
            "name": report.name,
            "symbols": list(report.symbols),
            "batch": report.batch,
            "layers": [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "output_shape": [str(e) for e in report.shown(r.output_shape)],
                    **{k: str(v) for k, v in r.counts.items()},
                }
                for r in report.rows
            ],
            "totals": {k: str(v) for k, v in report.totals.items()},
            "period": report.period,
            "polynomial": {k: str(v) for k, v in report.polynomial.items()},
            "smallest_input": report.smallest,
            "condition": report.condition,
            "floors": [{"layer": name, "floor": str(f)} for name, f in report.floors],
        }
    )


def sums_lines(title: str, sums: Sums, symbols: Sequence[str], after: Sequence[str] = ()) -> list[str]:
    """Figures that are sums over tensors, as polynomials valid at multiples of the period."""
    names = " and ".join(symbols)
    lines = [f"{title}, when {names} are multiples of {sums.period} (and at least {sums.smallest}):"]
    for name, poly in sums.figures.items():
        lines.append(f"  {name} = {poly if poly is not None else NOT_POLYNOMIAL}")
    lines += [f"  {line}" for line in after]
    lines += [f"Note: {note}" for note in sums.notes]
    return [terminal(line) for line in lines]


def sums_json(sums: Sums) -> dict[str, Any]:
    """The figures as text (null: not a polynomial), with the sizes they hold at."""
    return {
        "period": sums.period,
        "smallest_input": sums.smallest,
        "figures": {name: None if poly is None else str(poly) for name, poly in sums.figures.items()},
        "notes": list(sums.notes),
    }


@dataclass(frozen=True)
class SymbolicView:
    """What a summary with symbolic sizes prints: the expressions and, as asked, the tools'
    totals (`presets`: their names and sums) or the training figures (with their optimizer)."""

    report: SymbolicReport
    presets: tuple[tuple[str, ...], Sums] | None = None
    training: tuple[str, Sums] | None = None


def _symbolic_table(v: SymbolicView, width: int | None) -> Text:
    report, symbols = v.report, v.report.symbols
    if v.presets is not None:
        names, sums = v.presets
        title = f"{report.name}: the totals of {', '.join(names)} (input {input_text(report)}; counts and bytes)"
        return joined_lines(sums_lines(title, sums, symbols))
    lines = table_lines(report, width)
    if v.training is not None:
        optimizer, sums = v.training
        title = f"Training memory (PyTorch, batch {report.batch}, {optimizer}), bytes"
        after = [f"peak: {PEAK_NOTE}; give sizes with --input for it, or use `cnncalc solve --max-memory --training`"]
        lines += ["", *sums_lines(title, replace(sums, notes=()), symbols, after)]
    return joined_lines(lines)


def _symbolic_json(v: SymbolicView, width: int | None) -> Text:
    report = v.report
    if v.presets is not None:
        return json_parts(
            {"name": report.name, "symbols": list(report.symbols), "conventions": sums_json(v.presets[1])}
        )
    document = to_json(report)
    if v.training is not None:
        optimizer, sums = v.training
        document["training"] = {
            "optimizer": optimizer,
            **sums_json(sums),
            "peak_bytes": None,
            "peak_note": PEAK_NOTE,
            "warnings": list(sums.notes),
        }
    return json_parts(document)


#: the formats of a summary with symbolic sizes
WRITERS: Writers[SymbolicView] = Writers({OutputFormat.table: _symbolic_table, OutputFormat.json: _symbolic_json})
