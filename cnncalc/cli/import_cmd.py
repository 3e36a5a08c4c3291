"""`cnncalc import`: an ONNX or Keras model file as a cnncalc YAML spec.

The optional libraries are imported by cnncalc.features.interop inside the command, so registering
it costs the other commands nothing at start-up.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli.common import echo_error, handles_errors
from cnncalc.render.escape import terminal


def spec_yaml(data: dict[str, object], source: str) -> str:
    """The imported spec as YAML text, with a header saying where it came from.

    Nothing read from the model file or its name is written raw: the file name goes into the
    header comment as a JSON string (ASCII, one line), so a name holding a newline cannot add
    keys to the spec; the body is PyYAML's, whose quoting round-trips any string. Readable
    Unicode stays as it is, but if the body would carry an invisible character (a control, a
    bidirectional mark, a line separator) it is written ASCII-only, every such character escaped.
    """
    import yaml

    def dump(allow_unicode: bool) -> str:
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120, allow_unicode=allow_unicode)

    body = dump(allow_unicode=True)
    if any(_invisible(char) for char in body):
        body = dump(allow_unicode=False)
    return f"# imported from {json.dumps(Path(source).name)} by `cnncalc import`\n{body}"


def _invisible(char: str) -> bool:
    """A character a reader of the YAML would not see: any control but the newline, a format
    character (bidirectional marks), a line or paragraph separator."""
    return char != "\n" and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


@handles_errors
def import_model(
    model: Annotated[Path, typer.Argument(help="An ONNX model (.onnx), a Keras model (.keras) or model.to_json().")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the spec to this file instead of stdout.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
) -> None:
    """Turn an ONNX or Keras model into a cnncalc spec (YAML).

    The spec is checked before it is written: it validates, and every layer's shape and
    parameters are computed. ONNX import needs the onnx package (`pip install onnx`, or the `onnx` extra); Keras files
    are read as JSON, without Keras or TensorFlow.

    Examples:

        cnncalc import model.onnx -o model.yaml

        cnncalc import model.keras > model.yaml
    """
    from cnncalc.cli.files import write_text_safely
    from cnncalc.core.walk import analyze
    from cnncalc.features.interop import model_spec_data
    from cnncalc.spec.loader import validate_spec
    from cnncalc.spec.model import SourceMap

    notes: list[str] = []
    data = model_spec_data(model, notes)
    for note in notes:  # on stderr, so that the spec on stdout stays clean YAML
        echo_error(f"note: {note}")
    analyze(validate_spec(data, SourceMap(str(model))))
    text = spec_yaml(data, str(model))
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text_safely(output, text, "--output", inputs=[model], force=force)
        typer.echo(f"wrote {terminal(str(output))}", err=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_model)
