"""A blank answer sheet (`cnncalc grade --template`) as CSV, Markdown or YAML.

The layer names come from the spec, which may come from anyone: each is escaped for the
sheet's format (no formula in a spreadsheet, no broken Markdown table, a valid YAML string).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from cnncalc.features.grade.sheet import TITLES, Column, SheetFormat
from cnncalc.render import columns as table
from cnncalc.render.columns import Grid, text
from cnncalc.render.escape import markdown_cell, terminal


def blank_sheet(labels: Sequence[str], columns: Sequence[Column], fmt: SheetFormat, title: str = "") -> str:
    """A sheet to hand out: one row per layer and a Total row, the answer cells empty."""
    if fmt == "yaml":
        keys = ["layer", *columns]
        lines = [f"# {terminal(title)}" if title else "# answer sheet", "student: ", "rows:"]
        for label in labels:
            lines.append("  - {" + ", ".join([f"layer: {_yaml_str(label)}", *(f"{k}: " for k in keys[1:])]) + "}")
        lines.append("total: {" + ", ".join(f"{c}: " for c in columns if c not in ("shape",)) + "}")
        return "\n".join(lines) + "\n"
    grid = Grid(
        [text("Layer"), *(text(TITLES[c]) for c in columns)],
        [[label, *[""] * len(columns)] for label in [*labels, "Total"]],
    )
    if fmt == "markdown":
        lines = ["Student: ", ""] if not title else [f"## {markdown_cell(title)}", "", "Student: ", ""]
        header, _, *rows = table.to_markdown(grid)
        lines += [header, "|" + "|".join("---" for _ in grid.columns) + "|", *rows]
        return "\n".join(lines) + "\n"
    return table.to_csv(grid)


def _yaml_str(label: str) -> str:
    """A plain YAML scalar when safe, else a double-quoted one (JSON's escaping is valid YAML)."""
    return label if re.fullmatch(r"[A-Za-z_][\w.]*", label) else json.dumps(label)


__all__ = ["blank_sheet"]
