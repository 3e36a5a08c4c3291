"""`cnncalc report`: one self-contained HTML page about a network, to open in any browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import (
    BatchOverride,
    DtypeOverride,
    InputOverride,
    KerasBnOption,
    LayoutOption,
    LayoutOverride,
    NoBiasOption,
    handles_errors,
    load_any,
    override,
)


@handles_errors
def report(
    spec: Annotated[
        str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")
    ] = None,
    dsl: Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write (default: stdout).")] = None,
    depth: Annotated[
        int | None, typer.Option(min=1, help="Levels of blocks to open in the diagram, as `draw --depth`.")
    ] = None,
    no_bias: NoBiasOption = False,
    dtype: DtypeOverride = None,
    batch: BatchOverride = None,
    input_shape: InputOverride = None,
    layout: LayoutOverride = None,
    keras_bn: KerasBnOption = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the file of --output if it exists.")] = False,
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
    from cnncalc.conventions import Conventions
    from cnncalc.draw.diagram import architecture_svg
    from cnncalc.homework.explain import explain
    from cnncalc.render.report_html import report_html
    from cnncalc.spec.model import Layout

    inputs = [Path(spec)] if spec else []
    if output is not None:
        check_output(output, "--output", inputs, force)  # before the work, so a refusal comes at once
    chosen_layout: Layout | None = "hwc" if layout is LayoutOption.hwc else "chw" if layout else None
    loaded = load_any(spec, dsl)
    loaded = override(loaded, dtype.value if dtype else None, batch, input_shape, chosen_layout)
    explanation = explain(loaded, Conventions(bias=not no_bias, bn_running_stats=keras_bn), chosen_layout)
    page = report_html(explanation, architecture_svg(explanation.report, depth=depth))
    if output is not None:
        write_text_safely(output, page, "--output", inputs, force)
    else:
        typer.echo(page, nl=False)


def register(app: typer.Typer) -> None:
    """Add `report` to the app."""
    app.command()(report)
