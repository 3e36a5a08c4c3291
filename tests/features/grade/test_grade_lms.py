"""Gradebooks a learning platform imports (issue 22, item 6): a roster, numeric points per
question and the total in Canvas's, Moodle's or a plain layout, and Gradescope's results.json.

The formats are checked against what each platform documents for its import: Canvas's
gradebook CSV starts with Student, ID, SIS User ID, SIS Login ID, Section (its export's
"Points Possible" row under the header); Moodle's CSV import maps users by a column such as
"ID number" or "Email address"; Gradescope's autograder reads score and tests with name,
score, max_score and output.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

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


def test_canvas_gradebook_has_its_identity_columns_points_possible_and_numbers(tmp_path: Path) -> None:
    rows = book(tmp_path, "canvas", "lenet5")
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0][-1] == "Total" and "FC3 params" in rows[0]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "8"
    people = {r[0]: r for r in rows[2:]}
    assert people["Ann Ames"][:5] == ["Ann Ames", "101", "S101", "aames", "A"]
    assert people["Ann Ames"][-1] == "8" and people["Ben Bell"][-1] == "7"
    fc3 = rows[0].index("FC3 params")
    assert people["Ben Bell"][fc3] == "0" and people["Ann Ames"][fc3] == "1"
    # every score cell is a number (or empty: cal handed in nothing)
    for r in rows[2:]:
        assert all(c == "" or c.replace(".", "", 1).isdigit() for c in r[5:])
    assert people["Cal Cole"][5:] == [""] * (len(rows[0]) - 5)


def test_moodle_gradebook_has_a_column_to_map_users_by(tmp_path: Path) -> None:
    rows = book(tmp_path, "moodle", "lenet5")
    assert rows[0][:3] == ["Student", "ID number", "Email address"]
    people = {r[0]: r for r in rows[1:]}
    assert people["Ann Ames"][1:3] == ["S101", "ann@example.org"] and people["Ann Ames"][-1] == "8"


def test_plain_gradebook_with_an_assignments_points(tmp_path: Path) -> None:
    hw = tmp_path / "hw1.yaml"
    made = runner.invoke(app, ["assign", "lenet5", "-o", str(hw), "--columns", "params", "--column-points", "params=2"])
    assert made.exit_code == 0
    rows = book(tmp_path, "plain", str(hw))
    assert rows[0][:3] == ["student", "id", "file"] and rows[0][-2:] == ["hw1: Total", "max"]
    assert "hw1: FC3.params" in rows[0]
    people = {r[0]: r for r in rows[1:]}
    assert people["Ann Ames"][-2:] == ["16", "16"] and people["Ben Bell"][-2:] == ["14", "16"]


def test_gradescope_results_json(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text(RIGHT.replace("48120", "48000"))
    done = runner.invoke(app, ["grade", "lenet5", str(sheet), "--format", "gradescope"])
    assert done.exit_code == 0  # the score is in the file
    data = json.loads(done.stdout)
    assert data["score"] == 7 and data["max_score"] == 8
    assert all(set(t) == {"name", "score", "max_score", "output"} for t in data["tests"])
    fc3 = next(t for t in data["tests"] if t["name"] == "FC3 params")
    assert fc3["score"] == 0 and "forgot the bias" in fc3["output"]
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text(RIGHT)
    refused = runner.invoke(app, ["grade", "lenet5", str(folder), "--format", "gradescope"])
    assert refused.exit_code == 2


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
