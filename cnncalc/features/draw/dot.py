"""The network as Graphviz DOT source, for people who lay graphs out with `dot` themselves."""

from __future__ import annotations

from cnncalc.core.report import Report
from cnncalc.features.draw.diagram import fill
from cnncalc.features.draw.model import brief, picture
from cnncalc.render.escape import dot_string


def _label(*lines: str) -> str:
    """A multi-line DOT label: each line escaped on its own, joined by DOT's `\\n`."""
    return '"' + "\\n".join(dot_string(line)[1:-1] for line in lines) + '"'


def architecture_dot(report: Report, *, depth: int | None = None) -> str:
    """A `digraph` with one node per layer (or block, with `depth`) and one edge per edge, top to bottom."""
    pic = picture(report, depth)
    lines = [
        f"digraph {dot_string(report.name)} {{",
        '  graph [rankdir=TB, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        "  edge [arrowsize=0.7];",
    ]
    for i, row in enumerate(pic.rows):
        label = _label(row.name, f"{brief(row)} · {pic.shape_text(row)}")
        lines.append(f'  n{i} [label={label}, fillcolor="{fill(row.kind)}"];')
    for source, target in pic.edges:
        lines.append(f"  n{source} -> n{target};")
    lines.append("}")
    return "\n".join(lines) + "\n"
