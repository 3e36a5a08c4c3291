"""Option groups (cnncalc.cli.groups): a group parameter is its options to typer, one object to the command."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import pytest
import typer
from typer.testing import CliRunner

from cnncalc.cli import options
from cnncalc.cli.app import app
from cnncalc.cli.common import handles_errors
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.core.conventions import Conventions

ROOT = Path(__file__).resolve().parents[2]

Name = Annotated[str | None, typer.Argument(help="Whose it is.")]
Colour = Annotated[str, typer.Option("--colour", "-c", help="The colour.")]
Coats = Annotated[int, typer.Option("--coats", min=1, help="How many coats.")]
Loud = Annotated[bool, typer.Option("--loud", help="Say it loudly.")]
Last = Annotated[int, typer.Option("--last", help="An option after the group.")]


class Paint(NamedTuple):
    name: Name = None
    colour: Colour = "red"
    coats: Coats = 1


class Needy(NamedTuple):
    """A group with an option that has no default: whoever takes the group must take it."""

    must: Colour
    may: Coats = 1


#: what the commands below were called with
SEEN: list[dict[str, object]] = []


def run(command: Callable[..., Any], *args: str) -> tuple[int, str, list[dict[str, object]]]:
    """Run `command` as the one command of an app: its exit code, output and the values it was called with."""
    SEEN.clear()
    one = typer.Typer(add_completion=False, rich_markup_mode=None)  # plain help, as cnncalc prints it
    one.command()(handles_errors(expand_groups(command)))
    result = CliRunner().invoke(one, list(args))
    return result.exit_code, result.output, list(SEEN)


def whole(*, loud: Loud = False, paint: Paint, last: Last = 0) -> None:
    SEEN.append({"loud": loud, "paint": paint, "last": last})


def part(*, paint: Annotated[Paint, Take("colour")], last: Last = 0) -> None:
    SEEN.append({"paint": paint, "last": last})


def option_order(help_text: str) -> list[str]:
    return [word for line in help_text.splitlines() for word in line.split() if word.startswith("--")]


def test_a_group_stands_as_its_options_where_its_parameter_stands() -> None:
    assert list(inspect.signature(expand_groups(whole)).parameters) == ["loud", "name", "colour", "coats", "last"]
    code, shown, _ = run(whole, "--help")
    assert code == 0
    assert option_order(shown) == ["--loud", "--colour", "--coats", "--last", "--help"]
    assert "-c, --colour" in shown and "How many coats." in shown and "[name]" in shown


def test_the_command_gets_one_group_built_from_the_values_given() -> None:
    code, shown, seen = run(whole, "ann", "-c", "blue", "--coats", "3", "--loud", "--last", "7")
    assert code == 0, shown
    assert seen == [{"loud": True, "paint": Paint("ann", "blue", 3), "last": 7}]
    code, shown, seen = run(whole)
    assert code == 0, shown
    assert seen == [{"loud": False, "paint": Paint(), "last": 0}]


def test_the_options_of_a_group_keep_their_checks() -> None:
    code, _, seen = run(whole, "--coats", "0")
    assert code == 2 and seen == []


def test_a_command_taking_part_of_a_group_shows_only_that_part() -> None:
    assert list(inspect.signature(expand_groups(part)).parameters) == ["colour", "last"]
    code, shown, _ = run(part, "--help")
    assert option_order(shown) == ["--colour", "--last", "--help"]
    assert "Arguments" not in shown
    code, shown, seen = run(part, "--colour", "green")
    assert code == 0, shown
    assert seen == [{"paint": Paint(colour="green"), "last": 0}]  # what it does not take keeps its default
    code, _, seen = run(part, "--coats", "2")
    assert code == 2 and seen == []


def test_a_group_declared_wrongly_is_refused_when_typer_reads_it() -> None:
    def unknown(*, paint: Annotated[Paint, Take("shade")]) -> None: ...

    def twice(*, paint: Paint, again: Annotated[Paint, Take("colour")]) -> None: ...

    def missing(*, needy: Annotated[Needy, Take("may")]) -> None: ...

    for command, message in (
        (unknown, "Paint has no option shade"),
        (twice, "more than one parameter named colour"),
        (missing, "Needy needs must, which has no default"),
    ):
        grouped = expand_groups(command)  # decorating resolves nothing: start-up pays for no command
        with pytest.raises(TypeError, match=message):
            inspect.signature(grouped)


def test_an_option_of_a_group_without_a_default_is_required() -> None:
    def needy(*, needy: Needy) -> None:
        SEEN.append({"needy": needy})

    assert inspect.signature(expand_groups(needy)).parameters["must"].default is inspect.Parameter.empty
    code, _, seen = run(needy)
    assert code == 2 and seen == []
    code, shown, seen = run(needy, "--colour", "blue")
    assert code == 0, shown
    assert seen == [{"needy": Needy("blue")}]


def _parameters(command: str) -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return [p.name or "" for p in group.commands[command].params]


def test_the_commands_expose_the_parts_of_the_groups_they_take() -> None:
    network = ["spec", "dsl", "dtype", "batch", "input_shape", "layout"]
    assert _parameters("verify")[:6] == network
    assert _parameters("report")[:6] == network
    assert _parameters("summarize")[:6] == network
    assert _parameters("draw")[:4] == ["spec", "dsl", "input_shape", "layout"]
    assert _parameters("explain")[:5] == _parameters("solve")[:5] == network[:5]
    assert "layout" not in _parameters("explain") and "dtype" not in _parameters("draw")
    assert [p for p in _parameters("summarize") if p in ("no_bias", "keras_bn", "units")] == [
        "no_bias",
        "keras_bn",
        "units",
    ]
    assert "no_bias" not in _parameters("verify") and "keras_bn" not in _parameters("draw")


def test_the_groups_load_and_count_as_their_options_say() -> None:
    dsl = "32x32x3 | conv3-8 | fc-10"
    loaded = options.NetworkArgs(dsl=dsl, dtype=options.DtypeOption("float16"), batch=4, input_shape="16x16x3").load()
    assert (loaded.dtype, loaded.batch, list(loaded.input.shape)) == ("float16", 4, [16, 16, 3])
    plain = options.NetworkArgs(dsl=dsl).load()
    assert (plain.dtype, plain.batch, list(plain.input.shape)) == ("float32", 1, [32, 32, 3])
    assert options.NetworkArgs(layout=options.LayoutOption.chw).layout_shown() == "chw"
    assert options.NetworkArgs().layout_shown() is None
    counted = options.CountingArgs(no_bias=True, units=options.UnitsOption.binary).conventions()
    assert counted == Conventions(bias=False, bn_running_stats=False, units="binary")
    assert options.CountingArgs(keras_bn=True).conventions() == Conventions(bn_running_stats=True)


def test_importing_the_application_resolves_no_command_s_groups() -> None:
    code = (
        "import json, sys\n"
        "from cnncalc.cli.app import app\n"
        "from cnncalc.cli.groups import _Expanded\n"
        "found = []\n"
        "for info in app.registered_commands:\n"
        "    f = info.callback\n"
        "    while f is not None:\n"
        "        if isinstance(f, _Expanded):\n"
        "            found.append([f.__name__, '_expanded' in vars(f)])\n"
        "        f = getattr(f, '__wrapped__', None)\n"
        "print(json.dumps(found))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    found = json.loads(out.stdout)
    assert sorted(name for name, _ in found) == ["draw", "explain", "report", "solve", "summarize", "verify"]
    assert not any(resolved for _, resolved in found)
