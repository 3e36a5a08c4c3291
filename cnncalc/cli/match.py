"""`cnncalc match`: does a spec still match the model it describes? Exit 1 when it does not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_text, handles_errors, spec_loader
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.spec.model import Spec

FORMATS = (OutputFormat.table, OutputFormat.json)


def load_either(ref: str) -> Spec:
    """A model file (.onnx, .keras, Keras JSON) through the importers; anything else as a spec."""
    from cnncalc.features.interop import is_model_file, load_model_spec, load_spec

    return load_model_spec(ref) if is_model_file(ref) else load_spec(ref)


@handles_errors
def match_command(
    spec: Annotated[str, typer.Argument(help="The design: a spec file or a bundled network name.")],
    model: Annotated[str, typer.Argument(help="The model: an ONNX (.onnx) or Keras (.keras, .json) file, or a spec.")],
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
    all_layers: Annotated[bool, typer.Option("--all", help="List every layer, not only those that differ.")] = False,
    input_shape: Annotated[
        str | None,
        typer.Option("--input", help="Override the spec's input shape (e.g. the size the model was exported at)."),
    ] = None,
) -> None:
    """Compare a spec with a model layer by layer: shapes and params; exit 1 on any difference.

    Shapes are written channels first (C x H x W), as both files are compared in one layout.

    Examples:

        cnncalc match resnet18 resnet18.onnx

        cnncalc match design.yaml model.keras --format json

        cnncalc match resnet18 resnet18-64px.onnx --input 64x64x3
    """
    from cnncalc.features.interop.match import match
    from cnncalc.features.interop.match_output import WRITERS, MatchView

    design = spec_loader(input_shape)(spec)  # at --input: a spec written with symbols needs it
    result = match(design, load_either(model))
    echo_text(WRITERS.write(fmt, MatchView(result, all_layers), None))
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("match")(match_command)
