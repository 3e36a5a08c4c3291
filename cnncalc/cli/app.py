"""The `cnncalc` application: the root options and the commands, each from its own module.

Each command lives in the module named after it (cli/summarize.py holds `summarize` and
`convert`, cli/worked.py holds `conv` and `pool`); this module only puts them together.
Importing it loads typer and those modules, nothing heavier, so `--help` and `--version`
start fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import check, diff, explain, grade, schema, summarize, verify, worked
from cnncalc.cli import list as listing

app = typer.Typer(
    name="cnncalc",
    help="Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # plain help: typer's rich help imports rich and markdown-it, which would triple start-up
    rich_markup_mode=None,
)


def version_callback(value: bool) -> None:
    if value:
        from cnncalc import __version__

        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked."""


#: the command modules, in the order `--help` lists their commands
COMMAND_MODULES = (summarize, listing, verify, worked, explain, grade, check, diff, schema)
for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
