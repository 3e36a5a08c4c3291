"""`cnncalc compare`: several networks side by side, and their params-against-MACs plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_text, handles_errors, spec_loader
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.table, OutputFormat.markdown, OutputFormat.csv, OutputFormat.json)


#: the plot `compare` draws besides its table
Plot = Annotated[
    Path | None, typer.Option("--plot", help="Also write params against MACs (log scales) to this SVG file.")
]
Profile = Annotated[bool, typer.Option("--profile", help="Add each network's MACs and params per layer to the plot.")]


@handles_errors
def compare(
    specs: Annotated[
        list[str], typer.Argument(help="Spec files or bundled network names (see `cnncalc list`), in table order.")
    ],
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
    plot: Plot = None,
    profile: Profile = False,
    input_shape: options.EveryInput = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the --plot file if it exists.")] = False,
) -> None:
    """Totals of several networks side by side: depth, params, MACs, FLOPs, memory and top-1.

    Depth counts the layers with weights (conv, dense) on the longest path; top-1 is the
    published accuracy a spec quotes (`top1:`), blank where it quotes none. The plot file is
    never an input of the run, never written through a link, and replaced only with --force.

    Examples:

        cnncalc compare alexnet vgg16 resnet18 resnet50

        cnncalc compare vgg16 resnet50 mobilenet-v2 --format markdown

        cnncalc compare alexnet vgg16 resnet50 --plot compare.svg --profile
    """
    from cnncalc.errors import SpecError
    from cnncalc.features.compare.figures import compare as compare_specs
    from cnncalc.features.compare.output import WRITERS
    from cnncalc.render.escape import terminal
    from cnncalc.render.table import terminal_width

    if profile and plot is None:
        raise SpecError.single("--profile draws into the plot", hint="give the file with --plot, e.g. --plot net.svg")
    inputs = [Path(spec) for spec in specs]
    if plot is not None:
        from cnncalc.cli.files import check_output

        if plot.suffix.lower() != ".svg":
            raise SpecError.single(
                f"--plot {terminal(str(plot))}: the plot is an SVG file", hint="give a name ending in .svg"
            )
        check_output(plot, "--plot", inputs, force)  # refuse before the work, not after
    entries = compare_specs(specs, spec_loader(input_shape))
    echo_text(WRITERS.write(fmt, entries, terminal_width()))
    if plot is not None:
        from cnncalc.cli.files import write_text_safely
        from cnncalc.features.compare.plot import plot_svg

        write_text_safely(plot, plot_svg(entries, profile), "--plot", inputs, force)
        typer.echo(f"wrote {terminal(str(plot))}", err=True)


def register(app: typer.Typer) -> None:
    """Add `compare` to the app."""
    app.command()(compare)
