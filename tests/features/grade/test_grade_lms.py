"""Gradebooks a learning platform imports (issue 22, item 2): a roster, numeric points per
question in Canvas's, Moodle's or a plain layout, and Gradescope's results.json.

Each platform's documented import format is written down here as checks of the test's own
(`canvas_rules`, `moodle_rules`, `gradescope_rules`, each citing the page it follows), the
writers' files are held to them, and each check is shown to catch the files the writers used
to produce (a Canvas total column, a top-level max_score), so that it can fail.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.grade.lms import read_roster
from cnncalc.features.grade.sheet import SheetError

runner = CliRunner()

# the 001 table's LeNet-5 parameters
RIGHT = "layer,params\nCONV1,608\nPOOL1,0\nCONV2,3216\nPOOL2,0\nFC3,48120\nFC4,10164\nSoftmax,850\nTotal,62958\n"
ROSTER = (
    "file,name,id,sis user id,sis login id,section,email\n"
    "ann.csv,Ann Ames,101,S101,aames,A,ann@example.org\n"
    "ben.csv,Ben Bell,102,S102,bbell,B,ben@example.org\n"
    "cal.csv,Cal Cole,103,S103,ccole,B,cal@example.org\n"
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")


class BrokenRuleError(AssertionError):
    """A file that breaks a platform's documented import rule."""


def check(condition: bool, rule: str) -> None:
    if not condition:
        raise BrokenRuleError(rule)


def canvas_rules(rows: list[list[str]]) -> None:
    """Canvas's gradebook CSV import, as documented:

    - https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
      (a Canvas institution's import guide): the columns Student Name, Student ID or SIS User ID
      (one of them is enough to find the student), SIS Login ID, Section, then assignment
      columns; "New assignment columns in the Gradebook generate new assignments".
    - https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html (the
      export the import reads back): the identity columns are Student, ID, SIS User ID, SIS
      Login ID, Section, in that order; every other column is an assignment.
    - The export's second row is "Points Possible", each assignment's points, under empty
      identity cells; Canvas's "Gradebook Action Menu" guide (ts.vcu.edu/askit/.../gradebook-
      action-menu-faculty) says the score cells are points (complete/incomplete shown as full
      or no credit, "10 or 0").
    """
    identity = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header = rows[0]
    check(header[:5] == identity, f"the first columns are {', '.join(identity)}")
    assignments = header[5:]
    check(bool(assignments) and all(a.strip() for a in assignments), "assignment columns follow, each named")
    check(len(set(assignments)) == len(assignments), "each assignment column once")
    # every column after Section becomes an assignment: a total of the others would count each point twice
    check(
        not any(re.search(r"(?i)(^|: )total$|points$|score$", a) for a in assignments),
        "no total column: Canvas would import it as one more assignment",
    )
    check(len(rows) > 1 and rows[1][0].strip() == "Points Possible", 'row 2 is the "Points Possible" row')
    check(rows[1][1:5] == ["", "", "", ""], "the Points Possible row has no student identity")
    possible = rows[1][5:]
    check(len(possible) == len(assignments) and all(NUMBER.fullmatch(p) for p in possible),
          "Points Possible holds each assignment's points, a number")  # fmt: skip
    for r in rows[2:]:
        check(len(r) == len(header), "every row has every column")
        check(any(c.strip() for c in r[:3]), "each student is named by Student, ID or SIS User ID")
        check(all(c == "" or NUMBER.fullmatch(c) for c in r[5:]), "scores are points: numbers, or empty")


def moodle_rules(rows: list[list[str]]) -> None:
    """Moodle's grade import from CSV, as documented at https://docs.moodle.org/311/en/Grade_import
    (and the same text for 2.0 to 3.11): the file is mapped at import, "Map from" a column of
    the file "Map to" a user field: "Email Address" to useremail, or "Id Number" to useridnumber
    (the default, First name to userid, maps nobody a sheet knows); a column for each grade
    item, mapped to an existing or a new grade item; grades are numbers (the XML format
    "requires the numerical grade")."""
    header = rows[0]
    ids = [i for i, h in enumerate(header) if h.lower() in ("id number", "email address")]
    check(bool(ids), "a column Moodle maps users by: ID number or Email address")
    grades = [i for i, h in enumerate(header) if i not in ids and h != "Student"]
    check(bool(grades) and len(set(header)) == len(header), "grade columns, each named once")
    for r in rows[1:]:
        check(len(r) == len(header), "every row has every column")
        check(any(r[i].strip() for i in ids), "every row has an ID number or an email to map its user by")
        check(all(r[i] == "" or NUMBER.fullmatch(r[i]) for i in grades), "grades are numbers, or empty")


#: https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format")
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                  "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}  # fmt: skip
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
                   "visibility", "extra_data"}  # fmt: skip
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def gradescope_rules(doc: dict[str, Any]) -> None:
    """Gradescope's autograder results.json, as documented at
    https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format", source
    github.com/gradescope/autograder_samples docs/specs.md):

    - top level: `score` ("optional, but required if not on each test case below. Overrides
      total of tests if specified"), `execution_time`, `output`, `visibility`,
      `stdout_visibility`, `extra_data`, `tests`, `leaderboard` (and the output formats); there
      is no top-level `max_score`: the assignment's points are set on Gradescope;
    - each test: `score`, `max_score`, `name`, `number`, `output`, `tags`, `visibility`,
      `extra_data` (and `status`, the formats), all optional but `score` where the top level has none;
    - visibility (top, test, stdout): hidden, after_due_date, after_published or visible.
    """
    check(set(doc) <= GRADESCOPE_TOP, f"top-level keys of the format only, not {sorted(set(doc) - GRADESCOPE_TOP)}")
    tests = doc.get("tests", [])
    check(isinstance(tests, list), "tests is a list")
    check("score" in doc or (bool(tests) and all("score" in t for t in tests)), "a score, at the top or per test")
    for key in ("visibility", "stdout_visibility"):
        check(doc.get(key, "visible") in VISIBILITY, f"{key} is one of {sorted(VISIBILITY)}")
    check(isinstance(doc.get("output", ""), str), "output is text")
    for t in tests:
        check(set(t) <= GRADESCOPE_TEST, f"test keys of the format only, not {sorted(set(t) - GRADESCOPE_TEST)}")
        for key in ("score", "max_score"):
            check(key not in t or (isinstance(t[key], int | float) and not isinstance(t[key], bool)), f"{key} a number")
        check(isinstance(t.get("name", ""), str) and isinstance(t.get("output", ""), str), "name and output are text")
        check(t.get("visibility", "visible") in VISIBILITY, "a test's visibility is one of the four")
    if "score" in doc and tests and all("score" in t for t in tests):
        # the top-level score overrides the tests' total: a file whose two disagree shows the student two grades
        check(abs(doc["score"] - sum(t["score"] for t in tests)) < 1e-9, "the score is the tests' total")


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def setup_class(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.csv").write_text(RIGHT)
    (folder / "ben.csv").write_text(RIGHT.replace("48120", "48000"))  # FC3 without its biases
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    return folder, roster


def book(tmp_path: Path, lms: str, *extra: str) -> list[list[str]]:
    folder, roster = setup_class(tmp_path)
    out = tmp_path / f"{lms}.csv"
    args = ["grade", *extra, str(folder), "--roster", str(roster), "--gradebook", str(out), "--lms", lms]
    done = runner.invoke(app, args)
    assert done.exit_code == 1, done.output  # ben has a wrong cell
    with out.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_canvas_gradebook_follows_canvas_rules(tmp_path: Path) -> None:
    rows = book(tmp_path, "canvas", "lenet5")
    canvas_rules(rows)
    assert "FC3 params" in rows[0]
    assert rows[1][5:] == ["1"] * (len(rows[0]) - 5)  # one point a cell: 8 params cells
    people = {r[0]: r for r in rows[2:]}
    assert people["Ann Ames"][:5] == ["Ann Ames", "101", "S101", "aames", "A"]
    assert sum(float(c) for c in people["Ann Ames"][5:]) == 8 and sum(float(c) for c in people["Ben Bell"][5:]) == 7
    fc3 = rows[0].index("FC3 params")
    assert people["Ben Bell"][fc3] == "0" and people["Ann Ames"][fc3] == "1"
    assert people["Cal Cole"][5:] == [""] * (len(rows[0]) - 5)  # on the roster, no sheet: nothing imported


def test_canvas_gradebook_of_an_assignment_with_part_credit(tmp_path: Path) -> None:
    """erin.csv's carried-forward cells (test_assignment_file.py works them out) earn half."""
    hw = tmp_path / "hw1.yaml"
    made = runner.invoke(app, ["assign", "lenet5", "-o", str(hw), "--rows", "CONV2,POOL2,FC3", "--total", ""])
    assert made.exit_code == 0
    hw.write_text(hw.read_text().replace("carried_forward: 0 ", "carried_forward: 0.5 "))
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "erin.csv").write_text((Path(__file__).resolve().parents[3] / "examples/class/erin.csv").read_text())
    out = tmp_path / "canvas.csv"
    done = runner.invoke(app, ["grade", str(hw), str(folder), "--gradebook", str(out), "--lms", "canvas"])
    assert done.exit_code == 1, done.output
    rows = parse(out.read_text())
    canvas_rules(rows)
    assert rows[0][5:8] == ["hw1: CONV2.shape", "hw1: CONV2.size", "hw1: CONV2.params"]
    assert rows[2][5:] == ["0", "0.5", "1", "0.5", "0.5", "1", "1", "1", "0.5"]


def test_moodle_gradebook_follows_moodle_rules(tmp_path: Path) -> None:
    rows = book(tmp_path, "moodle", "lenet5")
    moodle_rules(rows)
    assert rows[0][:3] == ["Student", "ID number", "Email address"] and rows[0][-1] == "Total"
    people = {r[0]: r for r in rows[1:]}
    assert people["Ann Ames"][1:3] == ["S101", "ann@example.org"] and people["Ann Ames"][-1] == "8"


def test_moodle_needs_a_way_to_map_every_student(tmp_path: Path) -> None:
    folder, roster = setup_class(tmp_path)
    out = tmp_path / "m.csv"
    done = runner.invoke(app, ["grade", "lenet5", str(folder), "--gradebook", str(out), "--lms", "moodle"])
    assert done.exit_code == 2 and "--lms moodle needs --roster" in done.stderr and not out.exists()
    roster.write_text("file,name\nann.csv,Ann Ames\nben.csv,Ben Bell\n")  # names only: nothing Moodle maps
    args = ["grade", "lenet5", str(folder), "--gradebook", str(out), "--lms", "moodle", "--roster", str(roster)]
    done = runner.invoke(app, args)
    assert done.exit_code == 2 and "no ID number or email for ann.csv, ben.csv" in done.stderr
    assert not out.exists()


def test_plain_gradebook_with_an_assignments_points(tmp_path: Path) -> None:
    hw = tmp_path / "hw1.yaml"
    made = runner.invoke(app, ["assign", "lenet5", "-o", str(hw), "--columns", "params", "--column-points", "params=2"])
    assert made.exit_code == 0
    rows = book(tmp_path, "plain", str(hw))
    assert rows[0][:3] == ["student", "id", "file"] and rows[0][-2:] == ["hw1: Total", "max"]
    assert "hw1: FC3.params" in rows[0]
    people = {r[0]: r for r in rows[1:]}
    assert people["Ann Ames"][-2:] == ["16", "16"] and people["Ben Bell"][-2:] == ["14", "16"]


def gradescope(tmp_path: Path, text: str, *spec: str) -> dict[str, Any]:
    sheet = tmp_path / "s.csv"
    sheet.write_text(text)
    done = runner.invoke(app, ["grade", *(spec or ("lenet5",)), str(sheet), "--format", "gradescope"])
    assert done.exit_code == 0, done.output  # the score is in the file: the autograder must not fail
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def test_gradescope_results_json_follows_the_format(tmp_path: Path) -> None:
    data = gradescope(tmp_path, RIGHT.replace("48120", "48000"))
    gradescope_rules(data)
    assert data["score"] == 7 and sum(t["max_score"] for t in data["tests"]) == 8
    fc3 = next(t for t in data["tests"] if t["name"] == "FC3 params")
    assert fc3["score"] == 0 and "forgot the bias" in fc3["output"]
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text(RIGHT)
    refused = runner.invoke(app, ["grade", "lenet5", str(folder), "--format", "gradescope"])
    assert refused.exit_code == 2


def test_gradescope_with_an_assignment_ambiguous_cells_and_part_credit(tmp_path: Path) -> None:
    hw = tmp_path / "hw1.yaml"
    made = runner.invoke(app, ["assign", "lenet5", "-o", str(hw), "--columns", "params"])
    assert made.exit_code == 0
    # "3.2K" for CONV2's 3,216 is also 3,200 without its biases: ambiguous, out of 0
    data = gradescope(tmp_path, RIGHT.replace("3216", "3.2K"), str(hw))
    gradescope_rules(data)
    conv2 = next(t for t in data["tests"] if t["name"] == "CONV2.params")
    assert (conv2["score"], conv2["max_score"]) == (0, 0) and data["score"] == 7


@pytest.mark.parametrize(
    ("rules", "broken"),
    [
        # the Canvas book as written before: a total column, imported as one more assignment
        (canvas_rules, "Student,ID,SIS User ID,SIS Login ID,Section,CONV1 params,Total\n"
                       "    Points Possible,,,,,1,1\nAnn,1,,,,1,1\n"),
        (canvas_rules, "Name,ID,SIS User ID,SIS Login ID,Section,CONV1 params\n    Points Possible,,,,,1\n"),
        (canvas_rules, "Student,ID,SIS User ID,SIS Login ID,Section,CONV1 params\nAnn,1,,,,1\n"),
        (canvas_rules, "Student,ID,SIS User ID,SIS Login ID,Section,CONV1 params\n"
                       "    Points Possible,,,,,1\nAnn,1,,,,right\n"),
        # Moodle: a row it cannot map to a user
        (moodle_rules, "Student,ID number,Email address,CONV1 params,Total\nAnn,,,1,1\n"),
        (moodle_rules, "Student,CONV1 params\nAnn,1\n"),
    ],
)  # fmt: skip
def test_the_csv_rules_catch_what_the_platforms_refuse(rules: Any, broken: str) -> None:
    with pytest.raises(BrokenRuleError):
        rules(parse(broken))


@pytest.mark.parametrize(
    "broken",
    [
        # the results.json as written before: a top-level max_score the format does not have
        {"score": 7.0, "max_score": 8.0, "tests": [{"name": "a", "score": 7.0, "max_score": 8.0, "output": ""}]},
        {"tests": [{"name": "a", "max_score": 1}]},
        {"score": 1, "tests": [{"name": "a", "score": 2, "max_score": 2}]},
        {"score": 1, "visibility": "later", "tests": []},
        {"score": 1, "tests": [{"name": "a", "score": "1", "max_score": 1}]},
        {"score": 1, "tests": [{"title": "a", "score": 1}]},
    ],
)
def test_the_gradescope_rules_catch_what_the_format_refuses(broken: dict[str, Any]) -> None:
    with pytest.raises(BrokenRuleError):
        gradescope_rules(broken)


def test_a_bad_roster_or_lms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SheetError):
        read_roster("name,id\nAnn,1\n", "r.csv")  # no file column
    with pytest.raises(SheetError) as twice:
        read_roster("file,name\na.csv,Ann\na.csv,Ann\n", "r.csv")
    assert twice.value.diagnostics[0].location is not None and twice.value.diagnostics[0].location.line == 3
    folder, _ = setup_class(tmp_path)
    done = runner.invoke(app, ["grade", "lenet5", str(folder), "--gradebook", str(tmp_path / "b.csv"), "--lms", "x"])
    assert done.exit_code == 2
    assert runner.invoke(app, ["grade", "lenet5", str(folder), "--lms", "canvas"]).exit_code == 2


def test_a_roster_name_is_escaped_for_a_spreadsheet(tmp_path: Path) -> None:
    folder, roster = setup_class(tmp_path)
    roster.write_text("file,name\nann.csv,=HYPERLINK(1)\n")
    out = tmp_path / "b.csv"
    args = ["grade", "lenet5", str(folder), "--roster", str(roster), "--gradebook", str(out), "--lms", "plain"]
    runner.invoke(app, args)
    assert "'=HYPERLINK(1)" in out.read_text()
