"""`summarize --convention NAME`: a peer tool's totals (cnncalc.features.peers.presets), printed in each format."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cnncalc.cli.common import echo_lines
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.core.conventions import Units
    from cnncalc.spec.model import Spec


def refuse_clashes(convention: str, no_bias: bool, keras_bn: bool, depth: int | None) -> None:
    """A tool's totals follow its own rules: options that would change them are refused (exit 2)."""
    from cnncalc.errors import SpecError

    clash = [name for name, given in (("--no-bias", no_bias), ("--keras-bn", keras_bn), ("--depth", depth)) if given]
    if clash:
        raise SpecError.single(
            f"--convention {convention} counts by a tool's own rules; {', '.join(clash)} cannot change them",
            hint="drop " + ", ".join(clash) + " (or use --convention cnncalc)",
        )


def print_presets(
    spec: Spec, convention: str, fmt: OutputFormat, units: Units, no_bias: bool, keras_bn: bool, depth: int | None
) -> None:
    """Print one preset's totals, or (`all`) every preset's side by side."""
    from cnncalc.features.peers import output as render
    from cnncalc.features.peers.presets import PRESETS, evaluate
    from cnncalc.render.columns import to_csv, to_markdown
    from cnncalc.render.envelope import json_text
    from cnncalc.render.table import terminal_width

    refuse_clashes(convention, no_bias, keras_bn, depth)
    names = PRESETS if convention == "all" else (convention,)
    results = [evaluate(spec, name) for name in names]
    if fmt is OutputFormat.json:
        typer.echo(json_text(render.to_json(spec.name, results)), nl=False)
    elif fmt is OutputFormat.csv:
        typer.echo(to_csv(render.presets_grid(spec.name, results, none="")), nl=False)
    elif fmt is OutputFormat.markdown:
        lines = to_markdown(render.presets_grid(spec.name, results))
        typer.echo("\n".join([*lines, "", *(f"Note: {n}" for n in render.notes(results))]).rstrip("\n"))
    elif convention == "all":
        echo_lines(render.all_lines(spec.name, results, terminal_width()))
    else:
        echo_lines(render.preset_lines(spec.name, results[0], units))
