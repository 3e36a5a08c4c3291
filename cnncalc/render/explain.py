"""`cnncalc explain` in a terminal: a heading per layer, a line per number, the labels aligned.

Markdown and JSON are written by cnncalc.homework.explain; every line here is plain text
with user text (layer and spec names) made visible by `escape.terminal`.
"""

from __future__ import annotations

from cnncalc.homework.explain import Explanation, display_lines, heading, total_lines
from cnncalc.render.escape import terminal


def explanation_lines(explanation: Explanation) -> list[str]:
    """The steps of every layer, then the totals and the conventions."""
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
    lines += ["", report.conventions.footer()]
    return [terminal(line) for line in lines]


def _aligned(lines: list[tuple[str, str, str]]) -> list[str]:
    """Label, 'formula = expression = value' and the note, the labels in one column."""
    width = max((len(label) for label, _, _ in lines), default=0)
    return [f"  {label.ljust(width)}  {text}" + (f"  ({note})" if note else "") for label, text, note in lines]


__all__ = ["explanation_lines"]
