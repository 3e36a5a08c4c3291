"""Terminal habits: -h, shell completion, prose wrapped to the terminal, names split where they break."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc import analyze, load_spec, load_spec_text
from cnncalc.cli.app import app
from cnncalc.render.summary import table_lines
from cnncalc.render.table import wrap_paragraph

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [["-h"], ["draw", "-h"], ["check", "-h"], ["summarize", "-h"]])
def test_dash_h_is_help(args: list[str]) -> None:
    short = CliRunner().invoke(app, args)
    long = CliRunner().invoke(app, [*args[:-1], "--help"])
    assert short.exit_code == 0 and short.stdout == long.stdout
    assert "-h, --help" in short.stdout


def test_completion_options_are_typers_own() -> None:
    help_text = CliRunner().invoke(app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
    script = CliRunner().invoke(app, ["--show-completion", "bash"])
    assert script.exit_code == 0 and "_CNNCALC_COMPLETE=complete_bash" in script.stdout


SCRIPT = Path(sys.executable).parent / "cnncalc"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the cnncalc console script is not installed")
def test_completion_completes_commands_and_options() -> None:
    # the shell calls the installed script, whose name gives the variable: _CNNCALC_COMPLETE
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_CNNCALC_COMPLETE": "complete_bash",
        "COMP_WORDS": "cnncalc summ",
        "COMP_CWORD": "1",
    }
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["summarize"]
    env |= {"COMP_WORDS": "cnncalc draw --sty", "COMP_CWORD": "2"}
    done = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["--style"]


@pytest.mark.parametrize("width", [60, 80, 100])
@pytest.mark.parametrize("name", ["lenet5", "resnet18", "densenet121"])
def test_every_line_of_summarize_fits_the_terminal(name: str, width: int) -> None:
    lines = table_lines(analyze(load_spec(name)), width)
    assert max(len(line) for line in lines) <= width
    counted = next(i for i, line in enumerate(lines) if line.startswith("Counted as:"))
    assert lines[counted + 1].startswith("  ")  # the rest of the sentence, indented


def test_explain_wraps_its_footer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    out = CliRunner().invoke(app, ["explain", "lenet5"]).stdout
    tail = out.split("Counted as:")[1].splitlines()
    assert len(tail) > 1 and all(len(line) <= 70 for line in tail)


def test_a_pipe_gets_whole_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = CliRunner().invoke(app, ["summarize", "lenet5"]).stdout
    assert any(line.startswith("Counted as:") and len(line) > 250 for line in out.splitlines())
    assert wrap_paragraph("a long line", None) == ["a long line"]


LONG_NAMES = """name: long
input: 32x32x3
layers:
  - {kind: conv, name: features.denseblock4.denselayer16.conv2, filters: 4, kernel: 3}
  - {kind: relu, name: encoder_stage_three_activation}
  - {kind: max_pool, name: pool-after-the-encoder-stage-three}
"""


def test_long_names_break_after_a_separator_with_a_mark() -> None:
    lines = table_lines(analyze(load_spec_text(LONG_NAMES)), 72)
    assert max(len(line) for line in lines) <= 72
    rows = lines[6:14]
    assert rows[0].startswith("  1   features.denseblock4.   ")
    assert rows[1].startswith("      \u21b3denselayer16.conv2   ")
    assert rows[4].startswith("  2   encoder_stage_three_   ")
    assert rows[5].startswith("      \u21b3activation")
    assert rows[6].startswith("  3   pool-after-the-encoder-   ")
    assert rows[7].startswith("      \u21b3stage-three")


def test_a_name_narrower_than_any_separator_is_cut_and_marked() -> None:
    text = "name: n\ninput: 8x8x1\nlayers:\n  - {kind: relu, name: abcdefghijklmnopqrstuvwxyzabcdefgh}\n"
    lines = table_lines(analyze(load_spec_text(text)), 60)
    name_lines = [line[6:].split("  ")[0] for line in lines if line.startswith(("  1   ", "      \u21b3"))]
    assert name_lines == ["abcdefghijklmnopqrs", "\u21b3tuvwxyzabcdefgh"]
    assert "".join(p.lstrip("\u21b3") for p in name_lines) == "abcdefghijklmnopqrstuvwxyzabcdefgh"


def test_the_mark_is_plain_where_the_output_cannot_write_it() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "summarize", "resnet18"], capture_output=True, env=env, timeout=60
    )
    assert done.returncode == 0
    text = done.stdout.decode("ascii")
    assert "\n                        +bn2," in text and "\u21b3" not in text
