"""The terminal table (rich): right-aligned exact numbers, totals and warnings under it."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.render.formats import summary_lines
from cnncalc.render.human import format_bytes, format_count, format_field, format_kind, format_shape, format_share
from cnncalc.report import Report


def render_table(report: Report, console: Console, receptive_field: bool = True) -> None:
    """Print the per-layer table, the totals, the warnings and the conventions footer."""
    t = report.totals
    u = report.conventions.units
    table = Table(
        title=f"{report.name}  (input {format_shape(report.shown(report.input_shape))} {report.layout.upper()}, "
        f"{report.dtype}, batch {report.batch})",
        box=box.SIMPLE_HEAD,
        show_footer=True,
        title_justify="left",
    )
    table.add_column("#", justify="right", footer="")
    table.add_column("Layer", footer="Total")
    table.add_column("Kind", overflow="fold")
    table.add_column("Output shape", justify="right")
    if receptive_field:
        table.add_column("RF", justify="right")
    table.add_column("Activations", justify="right", footer=format_count(t.activation_elements))
    table.add_column("Memory", justify="right", footer=format_bytes(t.activation_bytes, u))
    table.add_column("Params", justify="right", footer=format_count(t.params))
    table.add_column("% params", justify="right")
    table.add_column("MACs", justify="right", footer=format_count(t.macs))
    table.add_column("% MACs", justify="right")
    table.add_column("FLOPs", justify="right", footer=format_count(t.flops))
    for i, r in enumerate(report.rows):
        field = [format_field(r.receptive_field)] if receptive_field else []
        table.add_row(
            str(r.index),
            r.name,
            format_kind(r, report.rows[i - 1] if i else None),
            format_shape(report.shown(r.output_shape)),
            *field,
            format_count(r.activation_elements) if not r.inplace else "in place",
            format_bytes(r.activation_bytes, u),
            format_count(r.params),
            format_share(r.params, t.params),
            format_count(r.macs),
            format_share(r.macs, t.macs),
            format_count(r.flops),
        )
    console.print(table)
    for line in summary_lines(report):
        console.print(Text(line), soft_wrap=True)
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    console.print(Text(report.conventions.footer(), style="dim"), soft_wrap=True)
