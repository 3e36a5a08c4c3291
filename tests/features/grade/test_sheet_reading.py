"""Answer sheets from students are untrusted: bounded work on any text, no cell lost, no answer ignored.

- Every regular expression of homework/ runs on hostile text (long runs of spaces, tabs,
  markup, brackets, digits) in bounded work: each sheet below, read and graded, must finish
  under a 2-second alarm, where the old student-name pattern took over 30 s on 4 KB. The
  bound is generous (milliseconds are the norm): it catches super-linear backtracking, which
  grows by orders of magnitude between the 4 KB and 64 KB sizes, not a slow machine.
- A quoted CSV cell may hold a newline: the rest of its row is kept.
- Two columns that mean the same answer (two `params` columns) are an error, not one ignored.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest

from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import Grader, label_kinds, label_names, total_kind
from cnncalc.features.grade.cells import read_number, read_shape
from cnncalc.features.grade.sheet import SheetError, header_role, read_sheet_text
from cnncalc.spec import load_spec

ALARM_SECONDS = 2


class TooSlowError(Exception):
    pass


@contextmanager
def alarm(seconds: int = ALARM_SECONDS) -> Iterator[None]:
    """Fail the block if it runs longer than `seconds` (SIGALRM: the main thread of a POSIX process)."""

    def ring(signum: int, frame: object) -> None:
        raise TooSlowError(f"over {seconds} s: super-linear work on hostile text")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@cache
def grader() -> Grader:
    return Grader(load_spec("lenet5"), Conventions())


FILLERS = [" ", "\t", " \t", "#", "# ", "(", "((", "*", "_", "*_ ", "1", "1 ", "1,", ", ", "x", " x ", "=", "~ ", "a "]
FILLERS += ["\\text{", "\\times ", "$", "|", "\\|", ")", "[", "1e", "1.", ".1", "K ", "name: ", "student ", "-", "--"]


def hostile_sheets(size: int) -> Iterator[tuple[str, str, str]]:
    """(case, file name, text): a filler repeated to `size` in each place a sheet has text."""
    for filler in FILLERS:
        run = filler * (size // len(filler))
        yield f"{filler!r} in the preamble", "s.csv", f"name: a{run}x\n{run}\nlayer,params\nCONV1,608\n"
        yield f"{filler!r} as the student", "s.csv", f"Student:{run}\nlayer,params\nCONV1,608\n"
        yield f"{filler!r} in a header", "s.csv", f"layer,params,{run}\nCONV1,608,1\n"
        yield f"{filler!r} in a label", "s.csv", f'layer,params\n"{run}CONV1{run}x",608\n'
        yield f"{filler!r} in a number", "s.csv", f'layer,params,shape\nCONV1,"608{run}x","28{run}x"\n'
        yield f"{filler!r} before a number", "s.csv", f'layer,params,shape\nCONV1,"{run}608","{run}(28, 28, 8)"\n'
        yield f"{filler!r} in a Markdown table", "s.md", f"| layer | params |\n|---|---|\n| CONV1{run} | 6{run}08 |\n"
        # PyYAML's pure-Python scanner is linear but slow (about 10 us a character): YAML at 16 KB at most
        run = run[: 16 * 1024]
        yield f"{filler!r} in a YAML sheet", "s.yaml", f"rows:\n  - {{layer: 'CONV1{run}', params: '608{run}'}}\n"


@pytest.mark.parametrize("size", [4 * 1024, 64 * 1024])
def test_hostile_sheets_are_read_and_graded_in_bounded_work(size: int) -> None:
    count = 0
    for case, name, text in hostile_sheets(size):
        with alarm():
            try:
                grader().grade(read_sheet_text(text, name))
            except SheetError:
                pass  # refusing is fine; hanging is not
            except TooSlowError as e:
                pytest.fail(f"{case}, {size:,} characters: {e}")
        count += 1
    assert count == 8 * len(FILLERS)


@pytest.mark.parametrize("filler", FILLERS)
def test_cell_and_label_readers_are_bounded_on_hostile_text(filler: str) -> None:
    text = filler * (64 * 1024 // len(filler)) + "1x"
    with alarm():
        read_number(text)
        read_number(text[:300])  # a cell's limit: read, not skipped
        read_number(text[:300], memory=True)
        read_shape(text[:300])
        label_names(text)
        label_kinds(text)
        total_kind(text)
        header_role(text)


#: the student-name pattern sheets were read with before: right on short lines, 30 s on 4 KB
OLD_STUDENT = re.compile(
    r"^\s*[#>*_\s]*(?:student|name|student name)\s*[:=]\s*(?P<name>.+?)\s*[*_]*\s*$", re.IGNORECASE
)


@pytest.mark.parametrize(
    "line",
    [
        "Student: Ada Lovelace",
        "**Name:** Ada",
        "# student name = Ada  ",
        "> name: Ada **",
        "  _Student_ : Ada,",
        "__student__: Ada;",
        "NAME=Ada_",
        "Name:    ",
        "name Ada",
        "student-name: Ada",
    ],
)
def test_the_student_line_is_read_as_before(line: str) -> None:
    old = OLD_STUDENT.match(line)
    # a name of spaces (the old reading of "Name:    ") is no name: the file's is used
    expected = (old.group("name").strip(",;").strip() if old else "") or "s"
    assert read_sheet_text(f"{line}\nlayer,params\nCONV1,608\n", "s.csv").student == expected


# --- a quoted cell holding a newline keeps the rest of its row ----------------------------------------


def test_a_quoted_cell_with_a_newline_keeps_the_rest_of_its_row() -> None:
    text = 'layer,shape,params\nCONV1,"(28, 28,\n8)",608\nPOOL1,"(14, 14, 8)",0\n"FC3\n(120 units)",120,48120\n'
    sheet = read_sheet_text(text, "s.csv")
    assert [(r.line, r.label) for r in sheet.rows] == [(2, "CONV1"), (4, "POOL1"), (5, "FC3\n(120 units)")]
    assert sheet.rows[0].cells == {"shape": "(28, 28,\n8)", "params": "608"}
    assert sheet.rows[2].cells == {"shape": "120", "params": "48120"}
    result = grader().grade(sheet)
    cells = {(row.label, c.column): c.right for row in result.rows for c in row.cells}
    assert cells[("CONV1", "params")] and cells[("CONV1", "shape")]
    assert cells[("FC3\n(120 units)", "params")]  # (400 + 1) * 120 = 48,120


def test_a_quote_never_closed_is_an_error_at_its_row() -> None:
    with pytest.raises(SheetError) as error:
        read_sheet_text('layer,params\nCONV1,608\nPOOL1,"0\nFC3,48120\n', "s.csv")
    diagnostic = error.value.diagnostics[0]
    assert "never closed" in diagnostic.message and diagnostic.location is not None
    assert diagnostic.location.line == 3 and diagnostic.hint


def test_a_quote_inside_an_unquoted_cell_is_text() -> None:
    sheet = read_sheet_text('layer,shape,params\nCONV1,5"x5,608\n', "s.csv")
    assert sheet.rows[0].cells == {"shape": '5"x5', "params": "608"}


def test_a_tab_separated_quoted_cell_with_a_newline() -> None:
    sheet = read_sheet_text('layer\tparams\tsize\n"CONV1\n(f=5)"\t608\t6272\nPOOL1\t0\t1568\n', "s.tsv")
    assert [(r.line, r.cells["params"], r.cells["size"]) for r in sheet.rows] == [(2, "608", "6272"), (4, "0", "1568")]


# --- a second column for the same answer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "column"),
    [
        ("s.csv", "layer,params,# Parameters\nCONV1,608,600\n", "params"),
        ("s.csv", "layer,Params,size,params\nCONV1,608,6272,600\n", "params"),
        ("s.csv", "layer,Activation Shape,shape\nCONV1,28x28x8,28x28x8\n", "shape"),
        ("s.md", "| layer | MACs | multiply-adds |\n|---|---|---|\n| CONV1 | 1 | 2 |\n", "macs"),
        ("s.yaml", "rows:\n  - {layer: CONV1, params: 608, parameters: 600}\n", "params"),
    ],
)
def test_two_columns_for_one_answer_are_an_error(name: str, text: str, column: str) -> None:
    with pytest.raises(SheetError, match=f"two columns are {column}") as error:
        read_sheet_text(text, name)
    assert error.value.diagnostics[0].hint


def test_columns_that_are_not_graded_may_repeat() -> None:
    sheet = read_sheet_text("layer,notes,params,notes\nCONV1,a,608,b\n", "s.csv")
    assert sheet.columns == ("params",) and sheet.rows[0].cells == {"params": "608"}
