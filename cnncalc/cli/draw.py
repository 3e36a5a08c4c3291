"""`cnncalc draw`: the architecture diagram as SVG, PNG, Graphviz DOT or Mermaid."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import handles_errors
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.core.report import Report

FORMATS = (OutputFormat.svg, OutputFormat.dot, OutputFormat.mermaid, OutputFormat.png)
#: the format an output file's suffix asks for when --format is not given
SUFFIXES = {".svg": OutputFormat.svg, ".dot": OutputFormat.dot, ".gv": OutputFormat.dot, ".mmd": OutputFormat.mermaid}
SUFFIXES[".png"] = OutputFormat.png


class StyleOption(StrEnum):
    auto = "auto"
    volumes = "volumes"
    graph = "graph"


@handles_errors
@expand_groups
def draw(
    *,
    network: Annotated[options.NetworkArgs, Take("spec", "dsl", "input_shape", "layout")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout; PNG needs a file).")
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        options.format_option(*FORMATS, help="Output format (default: from the suffix of -o, else svg)."),
    ] = None,
    depth: options.Depth = None,
    style: Annotated[
        StyleOption,
        typer.Option(help="SVG picture: volumes (chains, LeNet style), graph (boxes and arrows) or auto."),
    ] = StyleOption.auto,
    counts: Annotated[options.CountingArgs, Take("no_bias")],
    force: options.ForceOutput = False,
) -> None:
    """Draw the architecture: feature maps as volumes for a chain, a laid-out graph otherwise.

    SVG needs nothing else; PNG needs cairosvg or rsvg-convert. DOT is Graphviz source
    (`dot -Tpdf net.dot -o net.pdf`), Mermaid a flowchart to paste into Markdown.

    Examples:

        cnncalc draw lenet5 -o lenet5.svg

        cnncalc draw resnet18 --depth 2 -o resnet18.png

        cnncalc draw googlenet --format mermaid > googlenet.mmd
    """
    from cnncalc.cli.files import check_output, write_bytes_safely, write_text_safely
    from cnncalc.core.walk import analyze
    from cnncalc.errors import SpecError

    chosen = fmt or (SUFFIXES.get(output.suffix.lower(), OutputFormat.svg) if output else OutputFormat.svg)
    if chosen is OutputFormat.png and output is None:
        raise SpecError.single("PNG is written to a file, not to the terminal", hint="add -o net.png")
    inputs = [Path(network.spec)] if network.spec else []
    if output is not None:
        check_output(output, "--output", inputs, force)  # before the work, so a refusal comes at once
    report = analyze(network.load(), counts.conventions(), network.layout_shown())
    text = _source(report, chosen, depth, style.value)
    if chosen is OutputFormat.png:
        from cnncalc.features.draw.png import svg_to_png

        assert output is not None
        write_bytes_safely(output, svg_to_png(text), "--output", inputs, force)
    elif output is not None:
        write_text_safely(output, text, "--output", inputs, force)
    else:
        typer.echo(text, nl=False)


def _source(report: Report, fmt: OutputFormat, depth: int | None, style: str) -> str:
    """The SVG (also for PNG), DOT or Mermaid text of the report."""
    from cnncalc.errors import SpecError

    if fmt is OutputFormat.dot:
        from cnncalc.features.draw.dot import architecture_dot

        return architecture_dot(report, depth=depth)
    if fmt is OutputFormat.mermaid:
        from cnncalc.features.draw.mermaid import architecture_mermaid

        return architecture_mermaid(report, depth=depth)
    from cnncalc.features.draw.diagram import architecture_svg
    from cnncalc.features.draw.model import picture

    if style == "volumes" and not picture(report, depth).is_chain():
        raise SpecError.single(
            f"{report.name} is not a chain (some layer reads another than the one before it), "
            "so it cannot be drawn as volumes",
            hint="use --style graph (or auto)",
        )
    return architecture_svg(report, depth=depth, style=style)


def register(app: typer.Typer) -> None:
    """Add `draw` to the app."""
    app.command()(draw)
