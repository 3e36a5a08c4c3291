"""`cnncalc explain` in a terminal: a heading per layer, a line per number, the labels aligned.

Markdown and JSON are written by cnncalc.features.explain.explanation; every line here is plain text
with user text (layer and spec names) made visible by `escape.terminal`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.core.algebra import to_latex
from cnncalc.features.explain.explanation import Explanation, Line, display_lines, heading, to_json, total_lines
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import markdown_cell, terminal
from cnncalc.render.formats import OutputFormat, Writers, joined_lines
from cnncalc.render.table import wrap_paragraph


def explanation_lines(explanation: Explanation, width: int | None = None) -> list[str]:
    """The steps of every layer, then the totals and the conventions (wrapped to `width`)."""
    report = explanation.report
    shape = "x".join(map(str, report.shown(report.input_shape)))
    lines = [
        f"{report.name}: every number, step by step (input {shape} {report.layout.upper()}, "
        f"{report.dtype}, batch {report.batch})"
    ]
    for layer in explanation.layers:
        lines += ["", f"{layer.row.index}. {heading(layer, report)}"]
        lines += _aligned([(ln.label, ln.text(), ln.note) for ln in display_lines(layer, report)])
        lines += [f"  warning: {w}" for w in layer.warnings if "does not tile" not in w]
    if explanation.totals:
        lines += ["", "Totals"]
        lines += _aligned([(ln.label, ln.text(), ln.note) for ln in total_lines(explanation)])
    return [terminal(line) for line in lines] + ["", *wrap_paragraph(terminal(report.conventions.footer()), width)]


def _aligned(lines: list[tuple[str, str, str]]) -> list[str]:
    """Label, 'formula = expression = value' and the note, the labels in one column."""
    width = max((len(label) for label, _, _ in lines), default=0)
    return [f"  {label.ljust(width)}  {text}" + (f"  ({note})" if note else "") for label, text, note in lines]


def explanation_markdown(explanation: Explanation, latex: bool = False) -> str:
    """Markdown to paste into a homework: a section per layer, a bullet per number."""
    report = explanation.report
    shape = "x".join(map(str, report.shown(report.input_shape)))
    lines = [
        f"## {markdown_cell(report.name)}: every number, step by step",
        "",
        f"Input {shape} ({report.layout.upper()}), {report.dtype}, batch {report.batch}. Output size per axis: "
        + _math("(n + 2*p - f)/s + 1", latex)
        + " (n input, p padding, f filter, s stride), rounded down when the stride does not tile.",
        "",
    ]
    for layer in explanation.layers:
        title = markdown_cell(heading(layer, report).replace("->", "\u2192"))
        lines += [f"### {layer.row.index}. {title}", ""]
        lines += [_md_line(line, latex) for line in display_lines(layer, report)]
        # a stride that does not tile is already spelt out in the output step
        lines += [f"- warning: {markdown_cell(w)}" for w in layer.warnings if "does not tile" not in w]
        lines.append("")
    if explanation.totals:
        lines += ["### Totals", ""]
        lines += [_md_line(line, latex) for line in total_lines(explanation)]
        lines.append("")
    lines += [f"_{report.conventions.footer()}_", ""]
    return "\n".join(lines)


def _math(text: str, latex: bool) -> str:
    return f"${to_latex(text)}$" if latex else f"`{text}`"


def _md_line(line: Line, latex: bool) -> str:
    body = f"${line.latex()}$" if latex else f"`{markdown_cell(line.text())}`"
    note = f" \u2014 {markdown_cell(line.note)}" if line.note else ""
    value = f" ({line.value.split(' (')[1]}" if latex and " (" in line.value else ""
    return f"- **{markdown_cell(line.label)}**: {body}{value}{note}"


@dataclass(frozen=True)
class ExplainView:
    """What `explain` prints: the explanation, and whether its Markdown writes math as LaTeX."""

    explanation: Explanation
    latex: bool = False


#: `explain`'s formats
WRITERS: Writers[ExplainView] = Writers(
    {
        OutputFormat.text: lambda v, width: joined_lines(explanation_lines(v.explanation, width)),
        OutputFormat.markdown: lambda v, width: explanation_markdown(v.explanation, latex=v.latex),
        OutputFormat.json: lambda v, width: json_parts(to_json(v.explanation)),
    }
)


__all__ = ["WRITERS", "ExplainView", "explanation_lines", "explanation_markdown"]
