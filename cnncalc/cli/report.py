"""`cnncalc report`: one self-contained HTML page about a network, to open in any browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import handles_errors, refuse_markup_on_terminal
from cnncalc.cli.groups import Take, expand_groups


@handles_errors
@expand_groups
def report(
    *,
    network: options.NetworkArgs,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML file to write, .html or .htm (default: stdout when piped)."),
    ] = None,
    depth: Annotated[
        int | None, typer.Option(min=1, help="Levels of blocks to open in the diagram, as `draw --depth`.")
    ] = None,
    counts: Annotated[options.CountingArgs, Take("no_bias", "keras_bn")],
    force: options.ForceOutput = False,
) -> None:
    """One HTML page about a network, self-contained and readable offline.

    The totals, the layer table (click a header to sort), the architecture diagram, bar
    charts of params, MACs and activation memory per layer, receptive fields, warnings,
    every number step by step with its formula, and the JSON of `summarize --format json`
    embedded for scripts. Nothing is fetched from anywhere: the page can be mailed.

    Examples:

        cnncalc report lenet5 -o lenet5.html

        cnncalc report resnet18 --depth 2 -o resnet18.html
    """
    from cnncalc.cli.files import check_output, write_text_safely
    from cnncalc.features.draw.diagram import architecture_svg
    from cnncalc.features.explain.explanation import explain
    from cnncalc.features.report_html.page import report_html

    inputs = [Path(network.spec)] if network.spec else []
    if output is not None:
        check_output(output, "--output", inputs, force)  # before the work, so a refusal comes at once
    _check_destination(output)
    explanation = explain(network.load(), counts.conventions(), network.layout_shown())
    # the page scrolls and links each table row to its layer: every layer drawn unless --depth says
    page = report_html(explanation, architecture_svg(explanation.report, depth="all" if depth is None else depth))
    if output is not None:
        write_text_safely(output, page, "--output", inputs, force)
    else:
        typer.echo(page, nl=False)


#: the suffixes of the one format report writes
HTML_SUFFIXES = (".html", ".htm")


def _check_destination(output: Path | None) -> None:
    """Refuse a file named for another format, and a page poured onto a terminal."""
    from cnncalc.cli.files import shown_path
    from cnncalc.errors import SpecError

    if output is None:
        refuse_markup_on_terminal("report", "an HTML page", "report.html")
        return
    suffix = output.suffix.lower()
    if suffix and suffix not in HTML_SUFFIXES:
        hint = f"name it {output.stem}.html"
        if suffix == ".pdf":
            hint += ", then open it in a browser and print it to PDF"
        raise SpecError.single(
            f"--output {shown_path(output)}: report cannot write {suffix} files; it writes HTML (.html, .htm)",
            hint=hint,
        )


def register(app: typer.Typer) -> None:
    """Add `report` to the app."""
    app.command()(report)
