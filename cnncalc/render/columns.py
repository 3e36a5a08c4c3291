"""The column model every tabular output shares: the terminal table, CSV and Markdown.

A column says once what it holds (numbers or text), how it is aligned, whether a narrow
terminal may leave it out and how the note under the table names it then. The three
writers read the same columns, so a table, its CSV and its Markdown cannot drift apart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cnncalc.render.escape import csv_cell, markdown_cell

Align = Literal["left", "right"]

#: a cell: text, or an exact integer (written with thousands separators for people, bare in CSV)
Cell = str | int


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    header: str
    #: the CSV header (defaults to `header`)
    key: str = ""
    align: Align = "left"
    #: numbers are never wrapped, cut or neutralised as CSV formulas
    numeric: bool = False
    #: 0: always shown; on a narrow terminal the highest priority is left out first
    priority: int = 0
    #: how the note under a narrowed table names the column (defaults to `header`)
    footnote: str = ""

    @property
    def csv_key(self) -> str:
        return self.key or self.header

    @property
    def note_name(self) -> str:
        return self.footnote or self.header


def numeric(header: str, key: str = "", priority: int = 0, footnote: str = "") -> Column:
    """A right-aligned column of numbers."""
    return Column(header, key, "right", True, priority, footnote)


def text(header: str, key: str = "", priority: int = 0, footnote: str = "") -> Column:
    """A left-aligned column of text (it may wrap at spaces on a narrow terminal)."""
    return Column(header, key, "left", False, priority, footnote)


@dataclass
class Grid:
    """Columns, rows, an optional footer row (totals) and a title: what every table writer takes."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    footer: Sequence[Cell] | None = None
    title: str = ""


def shown(cell: Cell) -> str:
    """A cell as people read it: integers with thousands separators."""
    return f"{cell:,}" if isinstance(cell, int) and not isinstance(cell, bool) else str(cell)


def to_csv(grid: Grid) -> str:
    """CSV with the columns' keys as header: exact integers bare, text cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c.csv_key) for c in grid.columns])
    rows = [*grid.rows, *([grid.footer] if grid.footer is not None else [])]
    for row in rows:
        writer.writerow([_csv(column, cell) for column, cell in zip(grid.columns, row, strict=True)])
    return out.getvalue()


def _csv(column: Column, cell: Cell) -> str | int:
    if isinstance(cell, int):
        return cell
    return cell if column.numeric else csv_cell(cell)


def to_markdown(grid: Grid) -> list[str]:
    """A GitHub-flavoured table: header, alignment row, rows, the footer row in bold."""
    lines = [
        "| " + " | ".join(markdown_cell(c.header) for c in grid.columns) + " |",
        "|" + "|".join("---:" if c.align == "right" else "---" for c in grid.columns) + "|",
    ]
    for row in grid.rows:
        lines.append(_md_row(row))
    if grid.footer is not None:
        lines.append(_md_row([f"**{markdown_cell(shown(c))}**" if shown(c) else "" for c in grid.footer], raw=True))
    return lines


def _md_row(row: Sequence[Cell], raw: bool = False) -> str:
    cells = [shown(c) if raw else markdown_cell(shown(c)) for c in row]
    return "| " + " | ".join(cells) + " |"


__all__ = ["Align", "Cell", "Column", "Grid", "numeric", "shown", "text", "to_csv", "to_markdown"]
