"""The `cnncalc` command: thin wrappers that parse options, call the library and print.

Every command runs inside `reporting_errors`, the one place where a user's mistake
becomes `file:line:col: error: ...` on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import replace
from typing import Annotated

import typer

from cnncalc import __version__
from cnncalc.cli.common import (
    BatchOverride,
    DtypeOverride,
    Format,
    InputOverride,
    KerasBnOption,
    LayoutOption,
    NoBiasOption,
    UnitsOption,
    handles_errors,
    load_any,
    override,
    stdout_console,
)

app = typer.Typer(
    name="cnncalc",
    help="Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked."""


@app.command()
@handles_errors
def summarize(
    spec: Annotated[
        str | None, typer.Argument(help="A spec file (YAML) or a bundled network name (see `cnncalc list`).")
    ] = None,
    dsl: Annotated[str | None, typer.Option("--dsl", help="A one-line DSL string instead of a spec file.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    no_bias: NoBiasOption = False,
    dtype: DtypeOverride = None,
    batch: BatchOverride = None,
    units: Annotated[UnitsOption, typer.Option(help="Prefixes of human figures: si (K=1000) or binary.")] = (
        UnitsOption.si
    ),
    layout: Annotated[
        LayoutOption | None, typer.Option(help="Layout of shapes shown and of --input (default: the spec's).")
    ] = None,
    input_shape: InputOverride = None,
    keras_bn: KerasBnOption = False,
    depth: Annotated[
        int | None, typer.Option(min=1, help="Levels of blocks to open, as torchinfo's depth (1 = top level).")
    ] = None,
    rf: Annotated[bool, typer.Option("--rf/--no-rf", help="Show the receptive-field column.")] = True,
) -> None:
    """Per-layer shapes, memory, params, MACs and FLOPs of a network, with totals.

    Examples:

        cnncalc summarize vgg16

        cnncalc summarize my_net.yaml --format json

        cnncalc summarize --dsl "32x32x3 | conv5-8 p=0 | maxpool | fc-10"
    """
    from cnncalc.analysis import analyze
    from cnncalc.conventions import Conventions
    from cnncalc.render import to_csv, to_json, to_markdown
    from cnncalc.render.table import render_table
    from cnncalc.report import rollup

    loaded = load_any(spec, dsl)
    loaded = override(loaded, dtype.value if dtype else None, batch, input_shape, layout.value if layout else None)
    conventions = Conventions(bias=not no_bias, bn_running_stats=keras_bn, units=units.value)
    report = analyze(loaded, conventions, layout.value if layout else None)
    if depth is not None:
        report = replace(report, rows=rollup(report, depth))
    if fmt is Format.table:
        render_table(report, stdout_console(), receptive_field=rf)
    elif fmt is Format.json:
        typer.echo(json.dumps(to_json(report), indent=2))
    elif fmt is Format.csv:
        typer.echo(to_csv(report), nl=False)
    else:
        typer.echo(to_markdown(report))


@app.command()
@handles_errors
def convert(
    dsl: Annotated[str, typer.Argument(help='A one-line DSL string, e.g. "224x224x3 | 2x conv3-64 | maxpool".')],
    name: Annotated[str | None, typer.Option(help="Name written into the spec.")] = None,
) -> None:
    """Turn a DSL string into an equivalent YAML spec (printed to stdout).

    Example:

        cnncalc convert "32x32x3 | conv5-8 p=0 | maxpool | fc-10" > net.yaml
    """
    import yaml

    from cnncalc.spec.dsl import parse_dsl
    from cnncalc.spec.loader import validate_spec

    data, source_map = parse_dsl(dsl)
    if name:
        data["name"] = name
    validate_spec(data, source_map)
    typer.echo("# converted from: " + " ".join(dsl.split()))
    typer.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120), nl=False)


@app.command("list")
@handles_errors
def list_networks(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """List the bundled networks, usable by name in every command."""
    from rich.table import Table

    from cnncalc.analysis import analyze
    from cnncalc.render import format_count
    from cnncalc.spec import bundled_names, load_spec

    rows: list[dict[str, object]] = []
    table = Table("Name", "Input", "Layers", "Params", "MACs", "Description")
    for spec_name in bundled_names():
        spec = load_spec(spec_name)
        totals = analyze(spec).totals
        rows.append(
            {
                "name": spec_name,
                "description": spec.description or "",
                "input_shape": list(spec.input.shape),
                "layout": spec.input.layout,
                "layers": len(spec.layers),
                "params": totals.params,
                "macs": totals.macs,
            }
        )
        table.add_row(
            spec_name,
            "x".join(map(str, spec.input.shape)),
            str(len(spec.layers)),
            format_count(totals.params),
            format_count(totals.macs),
            spec.description or "",
        )
    if fmt is Format.json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        stdout_console().print(table)


#: modules of cnncalc.cli that add commands to the app, each through `register(app)`
COMMAND_MODULES: tuple[str, ...] = ("numeric", "worked", "homework", "budgets")
for _module in COMMAND_MODULES:
    importlib.import_module(f"cnncalc.cli.{_module}").register(app)


def main() -> None:
    """Console-script entry point."""
    # the command validates only cnncalc's own models: skip pydantic's scan of every
    # installed package for plugins, which costs more than importing pydantic itself
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


if __name__ == "__main__":
    main()
