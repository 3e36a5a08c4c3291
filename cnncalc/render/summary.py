"""`summarize` output: the terminal table, JSON (the stable contract), CSV and Markdown."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from operator import add
from typing import Any, TypeVar

from cnncalc.core.receptive import ReceptiveField
from cnncalc.core.report import LayerRow, Report
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Column, Grid, numeric, text
from cnncalc.render.envelope import Encoded, envelope, json_parts, one_line
from cnncalc.render.escape import markdown_cell, terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.human import (
    format_bytes,
    format_count,
    format_kind,
    format_shape,
    format_share,
    format_si,
    format_size,
)
from cnncalc.render.table import render_grid, wrap_paragraph

K = TypeVar("K", bound=Hashable)


def to_json(report: Report) -> dict[str, Any]:
    """The JSON contract: exact integers, shapes in the report's layout (docs/json.md)."""
    row_json = _RowJson(report)
    return _document(report, [row_json(row) for row in report.rows])


def json_document(report: Report) -> list[str]:
    """`to_json` as printed (`json_text`), in pieces (`json_parts`), in half the time for a
    long network.

    Each row is written straight to its line of JSON text (`_RowJson.text`) instead of being
    made a dictionary for the encoder to take apart again; a test checks the text is the
    same, row by row and as a whole, on every bundled network and on awkward names.
    """
    row_json = _RowJson(report)
    return json_parts(_document(report, Encoded([row_json.text(row) for row in report.rows])))


def _document(report: Report, layers: list[Any]) -> dict[str, Any]:
    return envelope(
        {
            "name": report.name,
            "input_shape": list(report.shown(report.input_shape)),
            "layout": report.layout,
            "dtype": report.dtype,
            "dtype_bytes": report.dtype_bytes,
            "batch": report.batch,
            "layers": layers,
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
    )


#: a row's exact counts, in the order of its JSON object and of the CSV columns
COUNT_KEYS = (
    "activation_elements",
    "activation_bytes",
    "weights",
    "biases",
    "params",
    "trainable_params",
    "non_trainable_params",
    "macs",
    "flops",
)
#: the keys of a row's JSON object, in order; `_RowJson.text` fills in the values
ROW_KEYS = (
    *("index", "name", "kind", "summary", "input_shape", "output_shape"),
    *COUNT_KEYS,
    *("inplace", "block", "inputs", "shared_with", "receptive_field"),
)
_ROW_TEXT = "{" + ", ".join(f'"{key}": %s' for key in ROW_KEYS) + "}"
_JSON_BOOL = ("false", "true")


class _RowJson:
    """One row's JSON object. A deep network repeats shapes and passes fields through
    activations unchanged, so each distinct shape and field is converted once per report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.shapes: dict[tuple[int, ...], tuple[int, ...]] = {}
        self.starts: dict[tuple[int, ...], tuple[int | float, ...]] = {}
        self.texts: dict[Hashable, str] = {}  # a string, shape or field -> its JSON text

    def shape(self, shape: tuple[int, ...]) -> list[int]:
        shown = self.shapes.get(shape)
        if shown is None:
            shown = self.shapes[shape] = self.report.shown(shape)
        return list(shown)

    def field(self, field: ReceptiveField | None) -> dict[str, list[int | float]] | None:
        """Per spatial axis; a start of half a pixel is the only non-integer that occurs."""
        if field is None:
            return None
        start = self.starts.get(field.twice_start)
        if start is None:
            start = self.starts[field.twice_start] = tuple(
                twice // 2 if twice % 2 == 0 else twice / 2 for twice in field.twice_start
            )
        return {"size": list(field.size), "jump": list(field.jump), "start": list(start)}

    def __call__(self, row: LayerRow) -> dict[str, Any]:
        return {
            "index": row.index,
            "name": row.name,
            "kind": row.kind,
            "summary": row.summary,
            "input_shape": self.shape(row.input_shape),
            "output_shape": self.shape(row.output_shape),
            "activation_elements": row.activation_elements,
            "activation_bytes": row.activation_bytes,
            "weights": row.weights,
            "biases": row.biases,
            "params": row.trainable_params + row.non_trainable_params,
            "trainable_params": row.trainable_params,
            "non_trainable_params": row.non_trainable_params,
            "macs": row.macs,
            "flops": row.flops,
            "inplace": row.inplace,
            "block": ".".join(row.block[-1:]),
            "inputs": list(row.inputs),
            "shared_with": row.shared_with,
            "receptive_field": self.field(row.receptive_field),
        }

    def text(self, row: LayerRow) -> str:
        """`self(row)` as one line of JSON text, as the encoder writes it (see `json_document`).

        Counts are written by %; names, shapes and fields through a cache, since a deep
        network repeats them (an input is the name of an earlier row).
        """
        t = self.texts
        inputs = row.inputs
        return _ROW_TEXT % (
            row.index,
            t.get(row.name) or self._text(row.name, row.name),
            t.get(row.kind) or self._text(row.kind, row.kind),
            t.get(row.summary) or self._text(row.summary, row.summary),
            t.get(row.input_shape) or self._text(row.input_shape, self.shape(row.input_shape)),
            t.get(row.output_shape) or self._text(row.output_shape, self.shape(row.output_shape)),
            row.activation_elements,
            row.activation_bytes,
            row.weights,
            row.biases,
            row.trainable_params + row.non_trainable_params,
            row.trainable_params,
            row.non_trainable_params,
            row.macs,
            row.flops,
            _JSON_BOOL[row.inplace],
            one_line(".".join(row.block[-1:])),
            "[" + ", ".join([t.get(name) or self._text(name, name) for name in inputs]) + "]" if inputs else "[]",
            "null" if row.shared_with is None else one_line(row.shared_with),
            t.get(row.receptive_field) or self._text(row.receptive_field, self.field(row.receptive_field)),
        )

    def _text(self, key: Hashable, value: Any) -> str:
        text = self.texts[key] = one_line(value)
        return text


#: the CSV columns: exact integers, one row per layer and a TOTAL row
CSV_COLUMNS = [
    numeric("index"),
    text("name"),
    text("kind"),
    text("summary"),
    text("output_shape"),
    *(numeric(key) for key in COUNT_KEYS),
]


def to_csv(report: Report) -> str:
    """One row per layer then a TOTAL row; exact integers, shapes as 28x28x8."""
    keys = [c.csv_key for c in CSV_COLUMNS]
    rows: list[list[Cell]] = []
    row_json = _RowJson(report)
    for row in report.rows:
        data = row_json(row)
        data["output_shape"] = format_shape(report.shown(row.output_shape))
        rows.append([data[k] for k in keys])
    totals: dict[str, Cell] = {"name": "TOTAL", **asdict(report.totals)}
    return columns.to_csv(Grid(CSV_COLUMNS, rows, [totals.get(k, "") for k in keys]))


def summary_lines(report: Report) -> list[str]:
    """The totals as sentences, shared by the terminal table and Markdown."""
    t = report.totals
    u = report.conventions.units
    batch = f" (batch {report.batch})" if report.batch != 1 else ""
    frozen = any(r.trainable_params < r.weights + r.biases for r in report.rows)
    rule = "2 x activations + 4 x trainable params + frozen params" if frozen else "2 x activations + 4 x params"
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
        f"training estimate ({rule}): {format_bytes(t.training_bytes, u)}",
    ]


def table_columns(receptive_field: bool = True) -> list[Column]:
    """The columns of the summary table (terminal and Markdown); optional ones go first when narrow."""
    return [
        numeric("#"),
        text("Layer"),
        text("Kind"),
        numeric("Output shape"),
        *([numeric("RF", priority=3, footnote="RF (receptive field)")] if receptive_field else []),
        numeric("Activations", priority=1),
        numeric("Memory", priority=4),
        numeric("Params"),
        numeric("% params", priority=5),
        numeric("MACs"),
        numeric("% MACs", priority=5),
        numeric("FLOPs", priority=2),
    ]


def summary_grid(report: Report, receptive_field: bool = True, markdown: bool = False) -> Grid:
    """The per-layer table with its Total row, as the terminal and Markdown show it.

    Built column by column: a long network repeats its shapes, sizes and shares, so each
    distinct one is written once and the column filled by a lookup in C (`_each`).
    """
    t = report.totals
    u = report.conventions.units
    rows = report.rows
    by_field = zip(*rows, strict=True) if rows else [()] * len(LayerRow._fields)
    field = dict(zip(LayerRow._fields, by_field, strict=True))  # each field's column
    params = list(map(add, field["trainable_params"], field["non_trainable_params"]))
    macs = field["macs"]
    kinds = [format_kind(row, previous) for row, previous in zip(rows, (None, *rows), strict=False)]
    sizes = [f.size if f else () for f in field["receptive_field"]]
    activations = [
        n if not inplace else "in place"
        for n, inplace in zip(field["activation_elements"], field["inplace"], strict=True)
    ]
    columns: list[Sequence[Cell]] = [
        field["index"],
        field["name"],
        kinds,
        _each(lambda shape: format_shape(report.shown(shape)), field["output_shape"]),
        *([_each(format_size, sizes)] if receptive_field else []),
        activations,
        _each(lambda n: format_bytes(n, u), field["activation_bytes"]),
        params,
        _each(lambda n: format_share(n, t.params), params),
        macs,
        _each(lambda n: format_share(n, t.macs), macs),
        field["flops"],
    ]
    total = "Total"
    footer: list[Cell] = ["", total, "", "", *([""] if receptive_field else [])]
    footer += [t.activation_elements, format_bytes(t.activation_bytes, u), t.params, "", t.macs, "", t.flops]
    title = (
        f"{report.name}  (input {format_shape(report.shown(report.input_shape))} {report.layout.upper()}, "
        f"{report.dtype}, batch {report.batch})"
    )
    table = list(map(list, zip(*columns, strict=True))) if rows else []
    return Grid(table_columns(receptive_field), table, footer, "" if markdown else title)


def _each(function: Callable[[K], str], values: Sequence[K]) -> list[str]:
    """`function` of each value, computed once per distinct value."""
    known = {value: function(value) for value in set(values)}
    return list(map(known.__getitem__, values))


def table_lines(report: Report, width: int | None, receptive_field: bool = True) -> list[str]:
    """The terminal output of `summarize`: the fitted table, the totals, warnings, conventions."""
    lines = render_grid(summary_grid(report, receptive_field), width)
    prose = [*summary_lines(report), *(f"warning: {w}" for w in report.warnings), report.conventions.footer()]
    return lines + [part for line in prose for part in wrap_paragraph(terminal(line), width)]


def to_markdown(report: Report) -> str:
    """A GitHub-flavoured table with the totals and conventions under it."""
    lines = [f"### {markdown_cell(report.name)}", "", *columns.to_markdown(summary_grid(report, markdown=True))]
    lines += ["", *(f"- {markdown_cell(line)}" for line in summary_lines(report))]
    lines += [f"- warning: {markdown_cell(w)}" for w in report.warnings]
    lines += ["", f"_{report.conventions.footer()}_", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class SummaryView:
    """What `summarize` prints: the report, and whether the table shows receptive fields."""

    report: Report
    receptive_field: bool = True


#: `summarize`'s formats
WRITERS: Writers[SummaryView] = Writers(
    {
        OutputFormat.table: lambda v, width: joined_lines(table_lines(v.report, width, v.receptive_field)),
        OutputFormat.json: lambda v, width: json_document(v.report),
        OutputFormat.csv: lambda v, width: to_csv(v.report),
        OutputFormat.markdown: lambda v, width: to_markdown(v.report) + "\n",
    }
)
