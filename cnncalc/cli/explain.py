"""`cnncalc explain`: every number of a network step by step."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_text, handles_errors
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.text, OutputFormat.markdown, OutputFormat.json)


@handles_errors
@expand_groups
def explain(
    *,
    network: Annotated[options.NetworkArgs, Take("spec", "dsl", "dtype", "batch", "input_shape")],
    layer: Annotated[
        str | None, typer.Option("--layer", "-l", help="Only this layer (or every layer of this block).")
    ] = None,
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.text,
    latex: Annotated[bool, typer.Option("--latex", help="Markdown with LaTeX math ($...$) for the formulas.")] = False,
    counts: Annotated[options.CountingArgs, Take("no_bias", "keras_bn")],
) -> None:
    """Every number of a network step by step: the lecture's formulas with the numbers filled in.

    Output size (n + 2p - f)/s + 1 (with the floor and the pixels dropped when the stride
    does not tile), parameters ((f*f*c_in)+1)*k and (p*c)+c, activation size and memory,
    MACs and FLOPs (2 x MACs + bias adds + the element-wise work), and the totals as the sums
    they are; the same numbers as `summarize`.

    Examples:

        cnncalc explain lenet5

        cnncalc explain exercise-valid --format markdown > homework.md

        cnncalc explain alexnet --layer conv2 --format markdown --latex
    """
    from cnncalc.features.explain.explanation import explain as explain_spec
    from cnncalc.features.explain.explanation import select
    from cnncalc.features.explain.output import WRITERS, ExplainView
    from cnncalc.render.table import terminal_width

    explanation = explain_spec(network.load(), counts.conventions())
    if layer is not None:
        explanation = select(explanation, layer)
    if latex and fmt is OutputFormat.text:  # --latex is a way of writing Markdown
        fmt = OutputFormat.markdown
    echo_text(WRITERS.write(fmt, ExplainView(explanation, latex), terminal_width()))


def register(app: typer.Typer) -> None:
    """Add `explain` to the app."""
    app.command()(explain)
