"""README's promises that a test can hold: the front-page example prints what README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_front_page_example_output_is_real() -> None:
    block = re.search(r"```\n\$ (cnncalc summarize --no-rf --dsl .*?)\n(.*?)```", README, re.S)
    assert block is not None, "README lost its front-page example"
    command, shown = block.group(1), block.group(2)
    result = CliRunner().invoke(app, shlex.split(command)[1:], env={"COLUMNS": "150", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.stdout.rstrip().splitlines()]
    assert printed == shown.rstrip().splitlines()


def test_every_command_is_documented() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    commands = re.findall(r"^  (\w+)\s{2,}", result.stdout.split("Commands:")[1], re.M)
    assert {"summarize", "convert", "list", "verify", "explain", "grade", "conv", "pool", "check", "diff"} <= set(
        commands
    )
    for command in commands:
        assert f"`cnncalc {command}" in README, command
