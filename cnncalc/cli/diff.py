"""`cnncalc diff`: per-layer and total deltas between two networks (a pull-request comment)."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_text, handles_errors, spec_loader
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.table, OutputFormat.markdown, OutputFormat.json)


@handles_errors
def diff(
    old: Annotated[str, typer.Argument(help="The old spec: a file or a bundled name.")],
    new: Annotated[str, typer.Argument(help="The new spec: a file or a bundled name.")],
    fmt: Annotated[
        OutputFormat, options.format_option(*FORMATS, help="markdown is a PR comment.")
    ] = OutputFormat.table,
    everything: Annotated[bool, typer.Option("--all", help="Also list the layers that did not change.")] = False,
    input_shape: options.EveryInput = None,
) -> None:
    """Per-layer and total deltas between two networks: params, MACs and memory, before and after.

    Layers are matched by name, then by position; the rest were added or removed.

    Examples:

        cnncalc diff vgg16 vgg19

        git show main:model.yaml > /tmp/old.yaml && cnncalc diff /tmp/old.yaml model.yaml --format markdown
    """
    from cnncalc.core.walk import analyze
    from cnncalc.features.budgets.diff import diff_reports, titles
    from cnncalc.features.budgets.diff_output import WRITERS, DiffView
    from cnncalc.render.table import terminal_width

    load = spec_loader(input_shape)
    result = diff_reports(analyze(load(old)), analyze(load(new)))
    view = DiffView(result, (old, new), titles(result, old, new), everything)
    echo_text(WRITERS.write(fmt, view, terminal_width()))


def register(app: typer.Typer) -> None:
    """Add `diff` to the app."""
    app.command()(diff)
