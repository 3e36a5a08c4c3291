"""Hints that fix: each names the mistake the user made and the change that mends it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc import analyze, load_spec_text
from cnncalc.cli.app import app
from cnncalc.errors import CnncalcError


def error_of(text: str) -> str:
    with pytest.raises(CnncalcError) as caught:
        analyze(load_spec_text(text, "net.yaml"))
    return str(caught.value)


# --- (a) the residual hint fixes the shortcut, whichever order `from:` lists it in ------------------

RESIDUAL = "input: 56x56x16\nlayers:\n  - {kind: conv, id: a, filters: 32, kernel: 3, stride: %s, padding: 1}\n"


@pytest.mark.parametrize("order", ["[input, a]", "[a, input]"])
def test_the_shortcut_is_the_input_that_skips_layers(order: str) -> None:
    text = error_of(RESIDUAL % 1 + f"  - {{kind: add, from: {order}}}\n")
    assert text.endswith("hint: give the shortcut from 'input' a 1x1 conv with 32 filters")
    assert "with 16 filters" not in text


def test_the_shortcut_listed_first_gets_the_stride_too() -> None:
    text = error_of(RESIDUAL % 2 + "  - {kind: add, from: [input, a]}\n")
    assert text.endswith("hint: give the shortcut from 'input' a 1x1 conv with 32 filters, stride 2")


def test_the_shortcut_that_has_more_channels_is_brought_down() -> None:
    text = error_of(
        "input: 28x28x64\nlayers:\n  - {kind: conv, id: a, filters: 16, kernel: 1}\n  - {kind: add, from: [input, a]}\n"
    )
    assert text.endswith("hint: give the shortcut from 'input' a 1x1 conv with 16 filters")


# --- (b) YAML's layout mistakes, said plainly ------------------------------------------------------

YAML_CASES = [
    (
        "name: t\ninput: 32x32x3\nlayers:\n\t- {kind: relu}\n",
        "net.yaml:4:1: error: invalid YAML: YAML does not allow tabs: line 4\n"
        "  hint: indent with spaces (two per level, as the examples do)",
    ),
    (
        "input: 32x32x3\nlayers:\n  - {kind: relu}\n  -\tkind: relu\n",
        "net.yaml:4:4: error: invalid YAML: YAML does not allow tabs: line 4",
    ),
    (
        "name: t\ninput: 32x32x3\nlayers:\n  - kind: conv\n    filters: 3\n   kernel: 3\n",
        "net.yaml:6:4: error: invalid YAML: line 6 is indented less than the key above it\n"
        "  hint: keys of one mapping start in one column: line 5 starts at column 5, this one at 4; "
        "align it with its neighbours",
    ),
    (
        "name: t\ninput: 32x32x3\nlayers:\n  - kind: conv\n      filters: 3\n",
        "net.yaml:5:7: error: invalid YAML: line 5 is indented deeper than the key above it, "
        "which already has a value (conv)\n  hint: start it in column 5, as line 4",
    ),
]


@pytest.mark.parametrize(("text", "expected"), YAML_CASES)
def test_yaml_layout_mistakes_are_named(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_other_yaml_errors_keep_the_parsers_words() -> None:
    text = error_of("input: 32x32x3\nlayers:\n  - {kind: conv, filters: 8\n")
    assert "invalid YAML: did not find expected ',' or '}'" in text


def test_a_tab_inside_a_value_is_not_an_indentation_error() -> None:
    report = analyze(load_spec_text("name: 'a\tb'\ninput: 8x8x1\nlayers:\n  - {kind: relu}\n"))
    assert report.name == "a\tb"


def test_the_cli_names_the_tab(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(YAML_CASES[0][0], encoding="utf-8")
    result = CliRunner().invoke(app, ["summarize", str(spec)])
    assert result.exit_code == 2 and "YAML does not allow tabs: line 4" in result.stderr


# --- (c) a unit written apart from its number: one error, no table --------------------------------


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (
            ["--max-params", "50", "K"],
            "error: 'K' is not a spec: it is the unit of --max-params 50, written apart from its number",
            "hint: write them as one argument: --max-params 50K (or quoted: '50 K')",
        ),
        (
            ["--max-flops", "8", "GFLOPs"],
            "error: 'GFLOPs' is not a spec: it is the unit of --max-flops 8",
            "--max-flops 8GFLOPs",
        ),
        (["M"], "error: 'M' is not a spec: it looks like a unit written apart from its number", "--max-params 25M"),
    ],
)
def test_a_stray_unit_is_one_error_and_no_table(args: list[str], message: str, hint: str) -> None:
    result = CliRunner().invoke(app, ["check", "lenet5", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and hint in result.stderr
    assert result.stdout == ""  # no budget table, no summary line
    assert result.stderr.count("error:") == 1


def test_a_file_named_like_a_unit_is_a_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "K").write_text("input: 8x8x1\nlayers:\n  - {kind: relu}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "K", "--max-params", "50"])
    assert result.exit_code == 0, result.output


# --- (d) a matrix that starts with '-' -------------------------------------------------------------


def test_a_negative_matrix_is_explained_with_the_separator() -> None:
    result = CliRunner().invoke(app, ["pool", "-1 -1; 2 3"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: \"-1 -1; 2 3\" starts with '-', so it was read as an option\n"
        "  hint: put -- before the arguments that start with '-' (options go before it): "
        'cnncalc pool -- "-1 -1; 2 3"\n'
    )
    fixed = CliRunner().invoke(app, ["pool", "--", "-1 -1; 2 3"])
    assert fixed.exit_code == 0 and "output 1x1" in fixed.stdout


def test_the_separator_goes_before_the_first_negative_argument() -> None:
    result = CliRunner().invoke(app, ["conv", "--stride", "1", "1 2; 3 4", "-1 0; 0 1"])
    assert result.exit_code == 2
    assert 'cnncalc conv --stride 1 "1 2; 3 4" -- "-1 0; 0 1"' in result.stderr


def test_an_unknown_option_keeps_its_hint() -> None:
    result = CliRunner().invoke(app, ["summarize", "lenet5", "--frob"])
    assert result.exit_code == 2 and "No such option: --frob" in result.stderr and "--help" in result.stderr
