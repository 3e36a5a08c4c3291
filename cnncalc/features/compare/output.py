"""`cnncalc compare` output: one row per network, as a table, Markdown, CSV or JSON.

The columns of a lecture's comparison table (model, depth, parameters, size) and the
costs beside them, every figure exact: a reader checks 138,357,544 against torchvision,
not "138 M".
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from cnncalc.features.compare.figures import Entry, setting
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_text
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.table import render_grid

COLUMNS = [
    text("Network", "name"),
    numeric("Depth", "depth"),
    numeric("Params", "params"),
    numeric("MACs", "macs"),
    numeric("FLOPs", "flops", priority=2),
    numeric("Activations (B)", "activation_bytes", priority=1, footnote="Activations"),
    numeric("Param memory (B)", "param_bytes", priority=1, footnote="Param memory"),
    numeric("Top-1 %", "top1"),
]

NOTE = (
    "Depth: layers with weights (conv, dense) on the longest path. Activations: the sum over layers. "
    "Top-1: the published accuracy the spec quotes (ImageNet, the weights it names)."
)


def top1_text(top1: float | None) -> str:
    """The accuracy as the spec wrote it (76.13 for 76.130), or '' where it gives none."""
    return "" if top1 is None else repr(top1)


def _cells(e: Entry) -> list[Cell]:
    return [e.name, e.depth, e.params, e.macs, e.flops, e.activation_bytes, e.param_bytes, top1_text(e.top1)]


def _grid(entries: Sequence[Entry]) -> Grid:
    return Grid(COLUMNS, [_cells(e) for e in entries])


def compare_lines(entries: Sequence[Entry], width: int | None) -> list[str]:
    """The terminal table, its title and the note that says how depth and top-1 are counted."""
    title = f"{len(entries)} networks ({setting(entries)})"
    note = textwrap.wrap(NOTE, width) if width else [NOTE]
    return [*render_grid(Grid(COLUMNS, _grid(entries).rows, title=title), width), *note]


def compare_markdown(entries: Sequence[Entry]) -> str:
    """A GitHub-flavoured table with the note under it."""
    return "\n".join([*columns.to_markdown(_grid(entries)), "", f"_{NOTE}_", ""])


def compare_csv(entries: Sequence[Entry]) -> str:
    """Exact integers; top-1 empty where the spec quotes none."""
    return columns.to_csv(_grid(entries))


def compare_json(entries: Sequence[Entry]) -> str:
    """One envelope: the networks in the order given, exact integers, top-1 a number or null."""
    return json_text(
        {
            "networks": [
                {
                    "spec": e.source,
                    "name": e.name,
                    "depth": e.depth,
                    "params": e.params,
                    "macs": e.macs,
                    "flops": e.flops,
                    "activation_bytes": e.activation_bytes,
                    "peak_activation_bytes": e.peak_activation_bytes,
                    "param_bytes": e.param_bytes,
                    "top1": e.top1,
                    "dtype": e.dtype,
                    "batch": e.batch,
                }
                for e in entries
            ],
            "notes": _notes(),
        }
    )


def _notes() -> dict[str, Any]:
    return {
        "depth": "layers with weights (conv, dense) on the longest path from the input to an output",
        "activation_bytes": "sum over layers of activation memory (elements x dtype bytes x batch)",
        "top1": "published top-1 accuracy in percent, as the spec quotes it; null where it quotes none",
    }


#: `compare`'s formats
WRITERS: Writers[Sequence[Entry]] = Writers(
    {
        OutputFormat.table: lambda entries, width: joined_lines(compare_lines(entries, width)),
        OutputFormat.markdown: lambda entries, width: compare_markdown(entries),
        OutputFormat.csv: lambda entries, width: compare_csv(entries),
        OutputFormat.json: lambda entries, width: compare_json(entries),
    }
)


__all__ = ["COLUMNS", "WRITERS", "compare_csv", "compare_json", "compare_lines", "compare_markdown", "top1_text"]
