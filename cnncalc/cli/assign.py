"""`cnncalc assign`: write an assignment file, the questions a teacher asks about a network and their points.

Thin: options are parsed here, the assignment is cnncalc.features.grade.assignment; `cnncalc grade`
(cli/grade.py) grades sheets against the file this writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, handles_errors
from cnncalc.cli.files import check_output, write_text_safely

if TYPE_CHECKING:
    from cnncalc.features.grade.sheet import Column


@handles_errors
def assign(
    spec: Annotated[str, typer.Argument(help="The network asked about: a spec file or a bundled name.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The assignment file to write (.yaml).")],
    rows: Annotated[
        str, typer.Option("--rows", help="The rows asked: all, totals, or layer names separated by commas.")
    ] = "all",
    columns: Annotated[
        str, typer.Option("--columns", help="The columns asked, of shape,size,params,macs,memory.")
    ] = "shape,size,params",
    total: Annotated[str, typer.Option("--total", help="The Total row's cells asked ('' for none).")] = "params",
    points: Annotated[float, typer.Option("--points", min=0, help="Points per cell.")] = 1,
    column_points: Annotated[
        str, typer.Option("--column-points", help="Points per cell of a column, e.g. params=2,shape=0.5.")
    ] = "",
    title: Annotated[str, typer.Option("--title", help="The assignment's name (default: the file's).")] = "",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write an assignment file to edit: the rows and columns asked, and the points.

    Grade against it with `cnncalc grade hw1.yaml SHEETS`: points out of what it asks. Question
    ids are ROW.column (CONV1.params, Total.params) and never change when rows are deleted.
    The file also holds, to edit, the course's conventions (biases counted, what K and MB
    mean), its precision policy (significant figures, strict, ambiguous roundings) and the
    share of a cell's points when it is carried forward; `cnncalc schema assignment` prints
    its JSON Schema.

    Examples:

        cnncalc assign lenet5 -o hw1.yaml

        cnncalc assign vgg16 -o totals.yaml --rows totals --total params,macs
    """
    from cnncalc.core.walk import analyze
    from cnncalc.errors import SpecError
    from cnncalc.features.grade.assignment import assignment_yaml, make_assignment, network_rows

    check_output(output, "--output", [Path(spec)], force)
    loaded = options.NetworkArgs(spec).load()
    names = network_rows(analyze(loaded))
    asked: list[str] | None = None
    if rows.strip().lower() == "totals":
        asked = []
    elif rows.strip().lower() != "all":
        asked = [r.strip() for r in rows.split(",") if r.strip()]
    per_column: dict[Column, float] = {}
    for item in (p for p in column_points.split(",") if p.strip()):
        name, _, value = item.partition("=")
        try:
            per_column[options.sheet_columns(name)[0]] = float(value)
        except ValueError:
            raise SpecError.single(f"--column-points: {item!r}", hint="COLUMN=POINTS, e.g. params=2") from None
    # a spec file is named from the assignment's folder, where `grade` looks for it
    network = os.path.relpath(spec, output.resolve().parent) if Path(spec).is_file() else spec
    made = make_assignment(
        network,
        names,
        options.sheet_columns(columns) if asked != [] else [],
        asked,
        options.sheet_columns(total) if total.strip() else [],
        points,
        per_column,
        title or output.stem,
    )
    if not made.questions:
        raise SpecError.single("the assignment asks nothing", hint="--rows all, or --total params")
    write_text_safely(output, assignment_yaml(made), "--output", [Path(spec)], force)
    echo_error(f"wrote an assignment of {len(made.questions)} questions ({made.max_points:g} points) to {output}")


def register(app: typer.Typer) -> None:
    """Add `assign` to the app."""
    app.command()(assign)
