"""The writer tables: one per feature, the only place a command's format is chosen."""

from __future__ import annotations

import importlib

import pytest

from cnncalc.render.formats import FormatError, OutputFormat, Writers, joined_lines, whole

#: (command module, the module holding its writer table, the table's name)
COMMANDS = [
    ("cnncalc.cli.compare", "cnncalc.features.compare.output", "WRITERS"),
    ("cnncalc.cli.list", "cnncalc.render.listing", "WRITERS"),
    ("cnncalc.cli.diff", "cnncalc.features.budgets.diff_output", "WRITERS"),
    ("cnncalc.cli.explain", "cnncalc.features.explain.output", "WRITERS"),
    ("cnncalc.cli.check", "cnncalc.features.budgets.check_output", "WRITERS"),
    ("cnncalc.cli.verify", "cnncalc.features.verify.output", "WRITERS"),
    ("cnncalc.cli.worked", "cnncalc.features.worked.output", "CONV_WRITERS"),
    ("cnncalc.cli.worked", "cnncalc.features.worked.output", "POOL_WRITERS"),
    ("cnncalc.cli.summarize", "cnncalc.render.summary", "WRITERS"),
    ("cnncalc.cli.summarize", "cnncalc.features.training.output", "WRITERS"),
    ("cnncalc.cli.solve", "cnncalc.features.symbolic.solve_output", "WRITERS"),
    ("cnncalc.cli.match", "cnncalc.features.interop.match_output", "WRITERS"),
    ("cnncalc.cli.summarize", "cnncalc.features.peers.output", "WRITERS"),
    ("cnncalc.cli.grade", "cnncalc.features.grade.output", "SHEET_WRITERS"),
]


def test_draw_writes_its_text_formats_from_its_table_and_the_binary_ones_from_the_svg() -> None:
    from cnncalc.cli.draw import _BINARY, FORMATS
    from cnncalc.features.draw.output import WRITERS as DRAW

    assert set(FORMATS) == set(DRAW.formats) | set(_BINARY)
    assert OutputFormat.svg in DRAW.formats


@pytest.mark.parametrize(("command", "output", "name"), COMMANDS, ids=[c[2] + " " + c[0] for c in COMMANDS])
def test_a_command_offers_exactly_the_formats_its_table_writes(command: str, output: str, name: str) -> None:
    offered = importlib.import_module(command).FORMATS
    table = getattr(importlib.import_module(output), name)
    assert isinstance(table, Writers)
    assert tuple(offered) == table.formats


def test_a_table_passes_the_width_and_refuses_a_format_it_lacks() -> None:
    table: Writers[str] = Writers(
        {
            OutputFormat.table: lambda value, width: f"{value}:{width}",
            OutputFormat.csv: lambda value, width: [value, ",", value],
        }
    )
    assert table.formats == (OutputFormat.table, OutputFormat.csv)
    assert table.write(OutputFormat.table, "x", 80) == "x:80"
    assert table.write(OutputFormat.table, "x", None) == "x:None"
    assert table.write(OutputFormat.csv, "y", 80) == ["y", ",", "y"]
    with pytest.raises(FormatError, match="'json' is not a format of this command; choose one of: table, csv"):
        table.write(OutputFormat.json, "x", 80)


def test_lines_end_each_with_a_newline_and_pieces_join_whole() -> None:
    assert joined_lines(["a", "b"]) == "a\nb\n"
    assert joined_lines([]) == "\n"
    assert whole(["{", "}", "\n"]) == "{}\n"
    assert whole("x") == "x"


def test_a_folder_is_graded_in_the_sheet_formats_but_gradescope() -> None:
    from cnncalc.cli.grade import FORMATS
    from cnncalc.features.grade.output import CLASS_WRITERS

    assert CLASS_WRITERS.formats == tuple(f for f in FORMATS if f is not OutputFormat.gradescope)
