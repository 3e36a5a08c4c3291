"""`cnncalc explain`: every number of a network step by step."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli.common import (
    BatchOverride,
    DtypeOverride,
    InputOverride,
    KerasBnOption,
    NoBiasOption,
    echo_lines,
    format_option,
    handles_errors,
    load_any,
    override,
)
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.text, OutputFormat.markdown, OutputFormat.json)


@handles_errors
def explain(
    spec: Annotated[
        str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")
    ] = None,
    dsl: Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")] = None,
    layer: Annotated[
        str | None, typer.Option("--layer", "-l", help="Only this layer (or every layer of this block).")
    ] = None,
    fmt: Annotated[OutputFormat, format_option(*FORMATS)] = OutputFormat.text,
    latex: Annotated[bool, typer.Option("--latex", help="Markdown with LaTeX math ($...$) for the formulas.")] = False,
    no_bias: NoBiasOption = False,
    dtype: DtypeOverride = None,
    batch: BatchOverride = None,
    input_shape: InputOverride = None,
    keras_bn: KerasBnOption = False,
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
    from cnncalc.conventions import Conventions
    from cnncalc.homework.explain import explain as explain_spec
    from cnncalc.homework.explain import select, to_json, to_markdown
    from cnncalc.render.envelope import json_text

    loaded = load_any(spec, dsl)
    loaded = override(loaded, dtype.value if dtype else None, batch, input_shape, None)
    explanation = explain_spec(loaded, Conventions(bias=not no_bias, bn_running_stats=keras_bn))
    if layer is not None:
        explanation = select(explanation, layer)
    if fmt is OutputFormat.json:
        typer.echo(json_text(to_json(explanation)), nl=False)
    elif fmt is OutputFormat.markdown or latex:
        typer.echo(to_markdown(explanation, latex=latex), nl=False)
    else:
        from cnncalc.render.explain import explanation_lines

        echo_lines(explanation_lines(explanation))


def register(app: typer.Typer) -> None:
    """Add `explain` to the app."""
    app.command()(explain)
