"""`cnncalc match`'s output: which layers of a spec and a model differ, what an exporter
rewrote (recognised), then the totals; as text or JSON."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.features.interop.match import MatchResult
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Writers


def match_text(result: MatchResult, all_layers: bool = False) -> str:
    """The differing layers (or all of them), the recognised rewrites, then the totals; names
    escaped for the terminal."""
    lines: list[str] = []
    shown = [layer for layer in result.layers if all_layers or layer.problems]
    if shown:
        header = ("kind", "spec layer", "model layer", "spec shape", "model shape", "spec params", "model params", "")
        cells = [header] + [
            (
                layer.kind,
                terminal(layer.spec_name or "-"),
                terminal(layer.model_name or "-"),
                _shape(layer.spec_shape),
                _shape(layer.model_shape),
                _count(layer.spec_params),
                _count(layer.model_params),
                ", ".join(layer.problems) or ("ok (" + terminal(layer.recognised) + ")" if layer.recognised else "ok"),
            )
            for layer in shown
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
        lines.append("")
    lines += [f"recognised: {terminal(r.text)}" for r in result.recognised]
    explained = result.explained()
    for key, (a, b) in result.totals().items():
        sa, sb = (_shape(a), _shape(b)) if isinstance(a, tuple) else (_count(a), _count(b))
        if a == b:
            verdict = "equal"
        elif result.agrees(key):
            verdict = f"equal after the rewrites recognised ({explained[key]:+,})"
        else:
            verdict = "DIFFERENT"
        lines.append(f"{key:<17} spec {sa:>14}  model {sb:>14}  {verdict}")
    differing = sum(1 for layer in result.layers if layer.problems)
    lines.append(
        f"match: {terminal(result.spec.name)} and {terminal(result.model.name)} agree on {len(result.layers)} layers"
        if result.ok
        else f"MISMATCH: {differing} of {len(result.layers)} layers differ"
        + ("" if differing else "; the totals differ")
    )
    return "\n".join(lines)


def _shape(shape: tuple[int, ...] | None) -> str:
    return "-" if shape is None else "x".join(map(str, shape))


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


@dataclass(frozen=True)
class MatchView:
    """What `match` prints: the result, and whether the text lists layers that agree too."""

    result: MatchResult
    all_layers: bool = False


#: `match`'s formats
WRITERS: Writers[MatchView] = Writers(
    {
        OutputFormat.table: lambda v, width: match_text(v.result, v.all_layers) + "\n",
        OutputFormat.json: lambda v, width: json_parts(v.result.to_json()),
    }
)
