"""`summarize --convention`: one tool's totals in its own words, or every preset side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.core.conventions import Units
from cnncalc.features.peers.presets import PresetResult
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Column, Grid, numeric, text
from cnncalc.render.envelope import envelope, json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Text, Writers, joined_lines
from cnncalc.render.human import format_bytes, format_si
from cnncalc.render.table import render_grid, wrap_paragraph

#: what a tool does not report
NONE = "—"


def presets_columns() -> list[Column]:
    return [
        text("Convention", "convention"),
        numeric("Params", "params"),
        numeric("MACs", "macs"),
        numeric("FLOPs", "flops", priority=2),
        numeric("Memory (B)", "memory_bytes", priority=3, footnote="Memory"),
        text("Differs because", "differs", priority=1),
    ]


def presets_grid(name: str, results: Sequence[PresetResult], none: str = NONE) -> Grid:
    """One row per preset: params, the tool's count, FLOPs, memory and the rule that differs;
    `none` where the tool reports no such figure (CSV: empty)."""
    rows: list[list[Cell]] = [
        [
            r.preset,
            r.params,
            _cell(r.macs, none),
            _cell(r.flops, none),
            _cell(r.memory, none),
            r.differs,
        ]
        for r in results
    ]
    return Grid(presets_columns(), rows, title=f"{name}: totals as each tool counts them")


def _cell(value: int | None, none: str) -> Cell:
    return none if value is None else value


def notes(results: Sequence[PresetResult]) -> list[str]:
    """The notes of the presets, each once (several tools share a structure note)."""
    return list(dict.fromkeys(note for r in results for note in r.notes))


def all_lines(name: str, results: Sequence[PresetResult], width: int | None) -> list[str]:
    lines = render_grid(presets_grid(name, results), width)
    if lines and lines[-1]:
        lines.append("")
    prose = ["MACs: each tool's own count (torchinfo's mult-adds, fvcore's flops, thop's and ptflops' MACs)."]
    memory = [f"{r.preset} {r.memory_label}" for r in results if r.memory is not None]
    if memory:
        prose.append(f"Memory: {'; '.join(memory)}.")
    prose += [f"note: {terminal(n)}" for n in notes(results)]
    return lines + [part for line in prose for part in wrap_paragraph(line, width)]


def preset_lines(name: str, result: PresetResult, units: Units = "si") -> list[str]:
    """One preset's totals as the tool prints them, then its rule, its sources and the notes."""
    lines = [f"{name} counted as {result.tool}:"]
    figures = _figure_rows(result, units) if result.figures else _default_figures(result, units)
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        lines.append(f"  {label:<{width}}  {value}")
    lines.append(f"rule: {result.rule}")
    lines.append(f"source: {', '.join(result.sources)}")
    lines += [f"note: {terminal(n)}" for n in result.notes]
    if result.preset != "cnncalc":
        lines.append("per layer: --format json; every preset side by side: --convention all")
    return lines


def _default_figures(result: PresetResult, units: Units) -> list[tuple[str, str]]:
    figures = [("params", f"{result.params:,}")]
    if result.macs is not None:
        figures.append(("MACs", f"{result.macs:,} ({format_si(result.macs, units)})"))
    if result.flops is not None:
        figures.append(("FLOPs", f"{result.flops:,} ({format_si(result.flops, units)})"))
    if result.memory is not None:
        figures.append((result.memory_label, f"{result.memory:,} ({format_bytes(result.memory, units)})"))
    return figures


def _figure_rows(result: PresetResult, units: Units) -> list[tuple[str, str]]:
    """Each figure exact, then as the tool shows it (or with a unit prefix)."""
    return [(f.label, f"{f.value:,} ({f.shown or format_si(f.value, units)})") for f in result.figures]


def to_json(name: str, results: Sequence[PresetResult]) -> dict[str, Any]:
    """The JSON document: one object per preset, exact integers, the per-layer counts."""
    return envelope({"name": name, "conventions": [_result_json(r) for r in results]})


def _result_json(r: PresetResult) -> dict[str, Any]:
    return {
        "convention": r.preset,
        "tool": r.tool,
        "params": r.params,
        "macs": r.macs,
        "flops": r.flops,
        "memory_bytes": r.memory,
        "memory_is": r.memory_label or None,
        "figures": [{"label": f.label, "value": f.value, "shown": f.shown or None} for f in r.figures],
        "rule": r.rule,
        "differs": r.differs,
        "sources": list(r.sources),
        "notes": list(r.notes),
        "layers": [{"name": n, "macs": v} for n, v in r.per_layer],
    }


@dataclass(frozen=True)
class PresetsView:
    """What `summarize --convention` prints: the network's name, each preset's result, and
    the units one tool's figures are written in."""

    name: str
    results: Sequence[PresetResult]
    units: Units = "si"


def _presets_table(v: PresetsView, width: int | None) -> Text:
    if len(v.results) == 1:
        return joined_lines(preset_lines(v.name, v.results[0], v.units))
    return joined_lines(all_lines(v.name, v.results, width))


def _presets_markdown(v: PresetsView, width: int | None) -> Text:
    lines = columns.to_markdown(presets_grid(v.name, v.results))
    return "\n".join([*lines, "", *(f"Note: {n}" for n in notes(v.results))]).rstrip("\n") + "\n"


#: `summarize --convention`'s formats
WRITERS: Writers[PresetsView] = Writers(
    {
        OutputFormat.table: _presets_table,
        OutputFormat.json: lambda v, width: json_parts(to_json(v.name, v.results)),
        OutputFormat.csv: lambda v, width: columns.to_csv(presets_grid(v.name, v.results, none="")),
        OutputFormat.markdown: _presets_markdown,
    }
)


__all__ = ["WRITERS", "PresetsView", "all_lines", "notes", "preset_lines", "presets_grid", "to_json"]
