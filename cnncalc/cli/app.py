"""The `cnncalc` application: the root options and the commands, each from its own module.

Each command lives in the module named after it (cli/summarize.py holds `summarize` and
`convert`, cli/worked.py holds `conv` and `pool`); this module only puts them together.
Importing it loads typer and nothing else: a run that names a command imports that
command's module alone, and the whole application (`app`, every command module) is built
on first use, so `--help` and `--version` start fast and `summarize` pays for no other command.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import shlex
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Annotated, Any

import typer

# typer carries its own copy of click (pyproject pins the range where it does)
from typer._click.exceptions import ClickException, NoArgsIsHelpError, NoSuchOption, UsageError
from typer.core import TyperGroup
from typer.main import get_command_name

from cnncalc.core.gcpause import paused_gc


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
            argv = sys.argv[1:] if args is None else list(args)
            negative = _negative_argument(e, argv)
            if negative is not None:
                echo_error(
                    f"error: {_quoted(negative)} starts with '-', so it was read as an option\n"
                    f"  hint: put -- before the arguments that start with '-' (options go before it): "
                    f"{_with_separator(argv, negative, where)}"
                )
            else:
                echo_error(f"error: {e.format_message()}\n  hint: `{where} --help` lists the arguments and options")
            sys.exit(2)
        except ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _negative_argument(error: UsageError, argv: Sequence[str]) -> str | None:
    """The argument an unknown option came from when it is a number (`-1 -1; 2 3`, a matrix)."""
    name = getattr(error, "option_name", None)
    if not isinstance(error, NoSuchOption) or not isinstance(name, str) or not _NEGATIVE.match(name):
        return None
    return next((arg for arg in argv if arg.startswith(name)), name)


def _with_separator(argv: Sequence[str], negative: str, where: str) -> str:
    """The command line again with `--` before `negative`, where nothing after it is an option."""
    at = list(argv).index(negative) if negative in argv else -1
    if at < 0 or any(_OPTION.match(arg) for arg in argv[at:]):
        return f"{where} -- {_quoted(negative)}"
    return " ".join(["cnncalc", *map(_quoted, argv[:at]), "--", *map(_quoted, argv[at:])])


def _quoted(arg: str) -> str:
    """An argument as a shell reads it back: in double quotes where it needs quoting and can."""
    if arg and _PLAIN.fullmatch(arg):
        return arg
    return f'"{arg}"' if not any(c in arg for c in '"$`\\!') else shlex.quote(arg)


#: an argument the shell reads as it is
_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
#: an option: a dash and a letter, or two dashes
_OPTION = re.compile(r"--?[A-Za-z]")
#: what an option never looks like: a minus sign and a digit (or a decimal point)
_NEGATIVE = re.compile(r"-\.?[0-9]")


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="cnncalc",
        cls=_Commands,
        help="Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # typer's --install-completion and --show-completion: registering them costs no import
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        # plain help: typer's rich help imports rich and markdown-it, which would triple start-up
        rich_markup_mode=None,
    )


def version_callback(value: bool) -> None:
    if value:
        from cnncalc import __version__

        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Shapes, memory, parameters and FLOPs of convolutional networks: exact, explained, checked."""


#: command name -> the module of cnncalc.cli that registers it, in the order `--help` lists
#: them (a test checks this against what each module registers)
COMMAND_MODULE: dict[str, str] = {
    "summarize": "summarize",
    "convert": "summarize",
    "list": "list",
    "verify": "verify",
    "conv": "worked",
    "pool": "worked",
    "explain": "explain",
    "grade": "grade",
    "assign": "assign",
    "check": "check",
    "diff": "diff",
    "compare": "compare",
    "draw": "draw",
    "report": "report",
    "schema": "schema",
    "import": "import_cmd",
    "export": "export",
    "match": "match",
    "solve": "solve",
}


def command_module(name: str) -> ModuleType:
    """The module cnncalc.cli.`name` (a value of COMMAND_MODULE), imported on first use."""
    return importlib.import_module(f"cnncalc.cli.{name}")


def command_modules() -> tuple[ModuleType, ...]:
    """Every command module, in the order `--help` lists their commands."""
    return tuple(command_module(name) for name in dict.fromkeys(COMMAND_MODULE.values()))


def build_app(modules: Sequence[ModuleType] | None = None) -> typer.Typer:
    """The application with the commands of `modules` (by default all of them: the whole `cnncalc`)."""
    built = _new_app()
    built.callback()(root)
    for module in command_modules() if modules is None else modules:
        module.register(built)
    return built


#: the whole application, every command registered (what `--help` lists and tests drive);
#: built on first use (module __getattr__ below)
app: typer.Typer


def whole_app() -> typer.Typer:
    """`app`, built on its first use and kept."""
    built: typer.Typer | None = globals().get("app")
    if built is None:
        built = globals()["app"] = build_app()
    return built


def __getattr__(name: str) -> Any:
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_names(module: ModuleType) -> list[str]:
    """The names of the commands `module` registers."""
    one = typer.Typer()
    module.register(one)
    return [info.name or get_command_name(info.callback.__name__) for info in one.registered_commands if info.callback]


def app_for(args: Sequence[str]) -> typer.Typer:
    """The application to run `args` with: only the named command's module when it names one.

    typer turns every registered command into a click command (signatures, option types,
    converters) on each run: for all of cnncalc's commands that takes longer than a whole
    summary of VGG-16. A run names one command, so only that one is built; anything else
    (no command, `--help`, `--version`, a misspelt command) gets the whole application,
    whose help lists every command and whose errors suggest the nearest name.
    """
    module = COMMAND_MODULE.get(args[0]) if args else None
    return whole_app() if module is None else build_app([command_module(module)])


def main() -> None:
    """Console-script entry point: run the command, then leave at once.

    A run is short and its objects hold no reference cycles worth collecting, so the
    cycle collector is off for it (cnncalc.core.gcpause says why that matters for long reports).

    The output is flushed and the process ends without tearing down its objects one by
    one (a 10,000-layer report holds a few hundred thousand; freeing them took longer than
    printing them). Every file cnncalc writes is closed where it is written, so nothing
    waits for the interpreter's shutdown.
    """
    # the command validates only cnncalc's own models: skip pydantic's scan of every
    # installed package for plugins, which costs more than importing pydantic itself
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _never_fail_to_encode()
    args = sys.argv[1:]
    try:
        with paused_gc():
            app_for(args)()
        code: int = 0
    except SystemExit as e:
        code = _exit_code(e.code)
    _leave(code)


def _never_fail_to_encode() -> None:
    """A character the output's encoding lacks (a name in another script, with
    PYTHONIOENCODING=ascii or a Latin-1 terminal) is written as a backslash escape: the text
    stays readable and the command does not end in an internal error."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("text"): the text goes to stderr, the status is 1
    return 1


def _leave(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # a reader that left early (`| head`) or a closed stream: nothing more to say
        except OSError:
            code = code or 1
    os._exit(code)
