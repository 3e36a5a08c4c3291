"""`cnncalc schema`: the JSON Schema of a spec, for editor completion and validation."""

from __future__ import annotations

import typer

from cnncalc.cli.common import handles_errors


@handles_errors
def schema() -> None:
    """Print the JSON Schema of the spec, for editor completion and validation.

    Example:

        cnncalc schema > spec.schema.json

    then start a spec with `# yaml-language-server: $schema=./spec.schema.json`.
    """
    from cnncalc.spec.schema import schema_text

    typer.echo(schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    """Add `schema` to the app."""
    app.command()(schema)
