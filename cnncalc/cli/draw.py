"""`cnncalc draw`: the architecture diagram as SVG, PNG, PDF, Graphviz DOT or Mermaid."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import handles_errors, refuse_markup_on_terminal
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.svg, OutputFormat.dot, OutputFormat.mermaid, OutputFormat.png, OutputFormat.pdf)
#: the format an output file's suffix asks for
SUFFIXES = {
    ".svg": OutputFormat.svg,
    ".png": OutputFormat.png,
    ".pdf": OutputFormat.pdf,
    ".dot": OutputFormat.dot,
    ".gv": OutputFormat.dot,
    ".mmd": OutputFormat.mermaid,
}
#: what draw writes, as a message names it
WRITES = "SVG (.svg), PNG (.png), PDF (.pdf), Graphviz DOT (.dot, .gv) and Mermaid (.mmd)"
#: the formats written as bytes, to a file only
_BINARY = {OutputFormat.png: "PNG", OutputFormat.pdf: "PDF"}


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
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write; its suffix names the format: .svg, .png, .pdf, .dot, .gv or .mmd "
            "(default: stdout when piped; PNG and PDF need a file).",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat | None,
        options.format_option(*FORMATS, help="Output format (default: from the suffix of -o, else svg)."),
    ] = None,
    depth: Annotated[
        str | None,
        typer.Option(
            metavar="N|all",
            help="Levels of blocks to open, as summarize --depth (1 = top level), or 'all' for every layer. "
            "Default for SVG, PNG and PDF: the most detail that fits a slide, identical blocks drawn once "
            "(x N); DOT and Mermaid show every layer.",
        ),
    ] = None,
    style: Annotated[
        StyleOption,
        typer.Option(help="SVG picture: volumes (chains, LeNet style), graph (boxes and arrows) or auto."),
    ] = StyleOption.auto,
    counts: Annotated[options.CountingArgs, Take("no_bias")],
    force: options.ForceOutput = False,
) -> None:
    """Draw the architecture: feature maps as volumes for a chain, a laid-out graph otherwise.

    By default the picture fits a slide: blocks are rolled up as far as needed, identical
    blocks in a row are drawn once with their count (x N), long chains wrap onto rows.
    --depth all draws every layer. SVG needs nothing else; PNG and PDF need cairosvg or rsvg-convert. DOT is Graphviz
    source, Mermaid a flowchart to paste into Markdown. On a terminal, SVG needs -o.

    Examples:

        cnncalc draw lenet5 -o lenet5.svg

        cnncalc draw resnet18 --depth 2 -o resnet18.png

        cnncalc draw densenet121 --depth all -o densenet121-every-layer.svg

        cnncalc draw googlenet --format mermaid > googlenet.mmd
    """
    from cnncalc.cli.files import check_output, write_bytes_safely, write_text_safely
    from cnncalc.core.walk import analyze
    from cnncalc.errors import SpecError

    chosen = _format_asked(fmt, output)
    if chosen in _BINARY and output is None:
        name = _BINARY[chosen]
        raise SpecError.single(f"{name} is written to a file, not to the terminal", hint=f"add -o net.{chosen.value}")
    if chosen is OutputFormat.svg and output is None:
        refuse_markup_on_terminal("draw", "SVG markup", "diagram.svg")
    inputs = [Path(network.spec)] if network.spec else []
    if output is not None:
        check_output(output, "--output", inputs, force)  # before the work, so a refusal comes at once
    levels = _depth_asked(depth)
    report = analyze(network.load(), counts.conventions(), network.layout_shown())
    from cnncalc.features.draw.output import WRITERS, DrawView
    from cnncalc.render.formats import whole

    view = DrawView(report, levels, style.value)
    text = whole(WRITERS.write(OutputFormat.svg if chosen in _BINARY else chosen, view, None))
    if chosen in _BINARY:
        from cnncalc.cli.common import echo_error
        from cnncalc.features.draw.png import fitted_scale, svg_to_pdf, svg_to_png

        assert output is not None
        if chosen is OutputFormat.png:
            scale, note = fitted_scale(text)
            if note is not None:
                echo_error(f"note: {note}")
            data = svg_to_png(text, scale)
        else:
            data = svg_to_pdf(text)
        write_bytes_safely(output, data, "--output", inputs, force)
    elif output is not None:
        write_text_safely(output, text, "--output", inputs, force)
    else:
        typer.echo(text, nl=False)


def _format_asked(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    """The format --format names, else the suffix of -o, else SVG; a suffix draw cannot write is refused."""
    from cnncalc.cli.files import shown_path
    from cnncalc.errors import SpecError

    if output is None:
        return fmt or OutputFormat.svg
    suffix = output.suffix.lower()
    by_suffix = SUFFIXES.get(suffix)
    where = f"--output {shown_path(output)}"
    if fmt is None:
        if suffix and by_suffix is None:
            raise SpecError.single(
                f"{where}: draw cannot write {suffix} files; it writes {WRITES}",
                hint="end the name with one of those suffixes (diagram.svg), or name the format with --format",
            )
        return by_suffix or OutputFormat.svg
    if by_suffix is not None and by_suffix is not fmt:
        raise SpecError.single(
            f"{where}: the suffix asks for {by_suffix.value}, but --format is {fmt.value}",
            hint=f"end the name with .{fmt.value if fmt is not OutputFormat.mermaid else 'mmd'}, or leave out --format",
        )
    return fmt


def _depth_asked(depth: str | None) -> int | str | None:
    """--depth as draw reads it: a number of levels (1 or more), `all`, or None (fit a slide)."""
    from cnncalc.errors import SpecError

    if depth is None or depth.lower() == "all":
        return depth and "all"
    if depth.isdigit() and int(depth) >= 1:
        return int(depth)
    raise SpecError.single(
        f"--depth {depth}: draw takes a number of levels (1 or more) or 'all'",
        hint="--depth 2 opens blocks two levels deep; --depth all draws every layer",
    )


def register(app: typer.Typer) -> None:
    """Add `draw` to the app."""
    app.command()(draw)
