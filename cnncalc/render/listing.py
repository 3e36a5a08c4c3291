"""`cnncalc list` output: the bundled networks as a table, JSON, CSV or Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnncalc.render import columns
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_text
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.human import format_shape
from cnncalc.render.table import render_grid

if TYPE_CHECKING:
    from cnncalc.layers.base import Shape

COLUMNS = [
    text("Name", "name"),
    numeric("Input", "input_shape"),
    text("Layout", "layout", priority=2),
    numeric("Layers", "layers"),
    numeric("Params", "params"),
    numeric("MACs", "macs"),
    text("Description", "description", priority=1),
]


@dataclass(frozen=True)
class NetworkEntry:
    """One bundled network and its headline numbers."""

    name: str
    description: str
    input_shape: Shape
    layout: str
    layers: int
    params: int
    macs: int

    @classmethod
    def of(cls, name: str) -> NetworkEntry:
        from cnncalc.core.walk import analyze
        from cnncalc.spec import load_spec

        spec = load_spec(name)
        totals = analyze(spec).totals
        return cls(
            name,
            spec.description or "",
            tuple(spec.input.shape),
            spec.input.layout,
            len(spec.layers),
            totals.params,
            totals.macs,
        )

    def cells(self) -> list[Cell]:
        shape = format_shape(self.input_shape)
        return [self.name, shape, self.layout, self.layers, self.params, self.macs, self.description]


def _grid(entries: list[NetworkEntry]) -> Grid:
    return Grid(COLUMNS, [e.cells() for e in entries])


def list_lines(entries: list[NetworkEntry], width: int | None) -> list[str]:
    return render_grid(_grid(entries), width)


def list_markdown(entries: list[NetworkEntry]) -> list[str]:
    return columns.to_markdown(_grid(entries))


def list_csv(entries: list[NetworkEntry]) -> str:
    """Exact integers; the input shape as 224x224x3."""
    return columns.to_csv(_grid(entries))


def list_json(entries: list[NetworkEntry]) -> str:
    """A JSON array, one object per network (an array since the first version: kept for scripts)."""
    rows = [
        {
            "name": e.name,
            "description": e.description,
            "input_shape": list(e.input_shape),
            "layout": e.layout,
            "layers": e.layers,
            "params": e.params,
            "macs": e.macs,
        }
        for e in entries
    ]
    return json_text(rows)


#: `list`'s formats
WRITERS: Writers[list[NetworkEntry]] = Writers(
    {
        OutputFormat.table: lambda entries, width: joined_lines(list_lines(entries, width)),
        OutputFormat.json: lambda entries, width: list_json(entries),
        OutputFormat.csv: lambda entries, width: list_csv(entries),
        OutputFormat.markdown: lambda entries, width: joined_lines(list_markdown(entries)),
    }
)
