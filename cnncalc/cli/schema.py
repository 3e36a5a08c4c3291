"""`cnncalc schema`: the JSON Schema of a spec or of an assignment, for editors and validators."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli.common import handles_errors

#: what `cnncalc schema` describes, and the file cnncalc/schema/ ships for each
KINDS = ("spec", "assignment")


@handles_errors
def schema(
    kind: Annotated[
        str, typer.Argument(help="What the schema describes: spec (a network) or assignment (cnncalc assign).")
    ] = "spec",
) -> None:
    """Print the JSON Schema of a spec (or of an assignment file), for editor completion and validation.

    Examples:

        cnncalc schema > spec.schema.json

        cnncalc schema assignment > assignment.schema.json

    then start a spec with `# yaml-language-server: $schema=./spec.schema.json`.
    """
    from cnncalc.errors import SpecError

    wanted = kind.strip().lower()
    if wanted == "spec":
        from cnncalc.spec.schema import schema_text

        typer.echo(schema_text(), nl=False)
    elif wanted == "assignment":
        from cnncalc.features.grade.assignment_schema import assignment_schema_text

        typer.echo(assignment_schema_text(), nl=False)
    else:
        raise SpecError.single(f"no schema for {kind!r}", hint=f"`cnncalc schema` with one of {', '.join(KINDS)}")


def register(app: typer.Typer) -> None:
    """Add `schema` to the app."""
    app.command()(schema)
