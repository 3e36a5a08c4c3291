"""The network as a Mermaid flowchart, to paste into Markdown (GitHub, GitLab and MkDocs render it)."""

from __future__ import annotations

from cnncalc.core.report import Report
from cnncalc.features.draw.diagram import fill
from cnncalc.features.draw.model import brief, picture
from cnncalc.render.escape import mermaid_label


def architecture_mermaid(report: Report, *, depth: int | None = None) -> str:
    """`flowchart TB` with one node per layer (or block, with `depth`) and one `-->` per edge.

    Node ids are `n0`, `n1`, ... (never a layer name, which may hold anything); names go
    into quoted labels, escaped. Kinds become classes that carry the diagram's colours.
    """
    pic = picture(report, depth)
    lines = ["flowchart TB"]
    kinds: dict[str, list[int]] = {}
    for i, row in enumerate(pic.rows):
        name = mermaid_label(row.name)[1:-1]
        info = mermaid_label(f"{brief(row)} · {pic.shape_text(row)}")[1:-1]
        lines.append(f'  n{i}["{name}<br/>{info}"]')
        kinds.setdefault(row.kind, []).append(i)
    for source, target in pic.edges:
        lines.append(f"  n{source} --> n{target}")
    for kind, members in kinds.items():
        css = "k_" + "".join(c if c.isalnum() else "_" for c in kind)
        lines.append(f"  classDef {css} fill:{fill(kind)},stroke:#333")
        lines.append(f"  class {','.join(f'n{i}' for i in members)} {css}")
    return "\n".join(lines) + "\n"
