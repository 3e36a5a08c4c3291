"""The `cnncalc` application: the root options and the commands, each from its own module.

Each command lives in the module named after it (cli/summarize.py holds `summarize` and
`convert`, cli/worked.py holds `conv` and `pool`); this module only puts them together.
Importing it loads typer and those modules, nothing heavier, so `--help` and `--version`
start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

# typer carries its own copy of click (pyproject pins the range where it does)
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from cnncalc.cli import (
    check,
    compare,
    diff,
    draw,
    explain,
    export,
    grade,
    import_cmd,
    match,
    report,
    schema,
    solve,
    summarize,
    verify,
    worked,
)
from cnncalc.cli import list as listing


class _Commands(TyperGroup):
    """The command group, printing usage errors as every other error: `error: ...`, a hint, exit 2.

    click's own form ("Usage: ... / Error: ...") would be the one message in cnncalc that
    does not start with `error:`, which CI logs and scripts grep for.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as e:
            e.show()
            sys.exit(e.exit_code)
        except UsageError as e:
            from cnncalc.cli.common import echo_error

            where = e.ctx.command_path if e.ctx else "cnncalc"
            echo_error(f"error: {e.format_message()}\n  hint: `{where} --help` lists the arguments and options")
            sys.exit(2)
        except ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="cnncalc",
    cls=_Commands,
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
COMMAND_MODULES = (
    summarize,
    listing,
    verify,
    worked,
    explain,
    grade,
    check,
    diff,
    compare,
    draw,
    report,
    schema,
    import_cmd,
    export,
    match,
    solve,
)
for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    # the command validates only cnncalc's own models: skip pydantic's scan of every
    # installed package for plugins, which costs more than importing pydantic itself
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()
