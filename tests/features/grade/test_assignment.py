"""Assignment files (issue 22, item 5): `cnncalc assign` writes what is asked and the points;
`cnncalc grade hw1.yaml SHEETS` scores out of what the assignment asks.

Figures are the 001 table's LeNet-5 (CONV1 608, POOL1 0, CONV2 3,216, FC3 48,120, FC4 10,164,
Softmax 850, total 62,958) and 002's VGG-16 total (138,357,544 with biases).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.grade.assignment import read_assignment
from cnncalc.features.grade.sheet import SheetError

runner = CliRunner()

LENET = "layer,params\nCONV1,608\nPOOL1,0\nCONV2,3216\nPOOL2,0\nFC3,48120\nFC4,10164\nSoftmax,850\nTotal,62958\n"


def assign(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "hw1.yaml"
    done = runner.invoke(app, ["assign", *args, "-o", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_assign_writes_a_small_file_with_stable_question_ids(tmp_path: Path) -> None:
    out = assign(tmp_path, "lenet5", "--columns", "params", "--column-points", "params=2")
    a = read_assignment(out.read_text(), str(out))
    assert a.network == "lenet5" and a.columns == ("params",)
    assert [q.id for q in a.questions][:3] == ["CONV1.params", "POOL1.params", "CONV2.params"]
    assert a.questions[-1].id == "Total.params" and a.max_points == 2 * 8
    # deleting a row leaves every other id as it was
    edited = out.read_text().replace("  - POOL1\n", "")
    b = read_assignment(edited, str(out))
    assert [q.id for q in b.questions] == [q.id for q in a.questions if q.row != "POOL1"]


def test_grading_against_an_assignment_scores_out_of_what_it_asks(tmp_path: Path) -> None:
    out = assign(tmp_path, "lenet5", "--rows", "CONV1,FC3", "--columns", "params", "--total", "params")
    sheet = tmp_path / "s.csv"
    sheet.write_text(LENET.replace("48120", "48000"))  # FC3 without its biases
    done = runner.invoke(app, ["grade", str(out), str(sheet), "--format", "json"])
    assert done.exit_code == 1
    marks = json.loads(done.stdout)["assignment"]
    assert marks["max_points"] == 3 and marks["points"] == 2 and marks["percent"] == 66.7
    assert {q["id"]: q["status"] for q in marks["questions"]} == {
        "CONV1.params": "right",
        "FC3.params": "wrong",
        "Total.params": "right",
    }
    sheet.write_text(LENET)
    assert runner.invoke(app, ["grade", str(out), str(sheet)]).exit_code == 0


def test_a_totals_only_assignment_and_a_row_left_out(tmp_path: Path) -> None:
    out = assign(tmp_path, "vgg16", "--rows", "totals")
    sheet = tmp_path / "t.csv"
    sheet.write_text("Layer,# Parameters\nTotal,138357544\n")
    done = runner.invoke(app, ["grade", str(out), str(sheet)])
    assert done.exit_code == 0 and "1/1 points (100.0 %)" in done.stdout
    lenet = assign(tmp_path, "lenet5", "--columns", "params", "--force")
    partial = tmp_path / "p.csv"
    partial.write_text("layer,params\nCONV1,608\n")
    done = runner.invoke(app, ["grade", str(lenet), str(partial)])
    assert done.exit_code == 1 and "1/8 points" in done.stdout


def test_the_template_of_an_assignment_has_its_rows_and_columns(tmp_path: Path) -> None:
    out = assign(tmp_path, "lenet5", "--rows", "CONV1,FC3", "--columns", "shape,params")
    done = runner.invoke(app, ["grade", str(out), "--template"])
    assert done.exit_code == 0
    assert done.stdout.splitlines() == ["Layer,Activation Shape,# Parameters", "CONV1,,", "FC3,,", "Total,,"]


def test_a_folder_graded_against_an_assignment(tmp_path: Path) -> None:
    out = assign(tmp_path, "lenet5", "--columns", "params")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.csv").write_text(LENET)
    (folder / "b.csv").write_text("layer,params\nCONV1,608\n")
    done = runner.invoke(app, ["grade", str(out), str(folder)])
    assert "a (a.csv): Assignment hw1: 8/8 points" in done.stdout
    assert "b (b.csv): Assignment hw1: 1/8 points" in done.stdout


def test_without_an_assignment_grading_by_network_name_stays(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text(LENET)
    done = runner.invoke(app, ["grade", "lenet5", str(sheet)])
    assert done.exit_code == 0 and "Assignment" not in done.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cnncalc_assignment: 1\nrows: [CONV1]\ncolumns: [params]\n", "`network`"),
        ("cnncalc_assignment: 1\nnetwork: lenet5\ncolumns: [colour]\nrows: [CONV1]\n", "`columns`"),
        ("cnncalc_assignment: 1\nnetwork: lenet5\ncolumns: [params]\nrows: [CONV1]\npoints: -1\n", "`points`"),
        ("cnncalc_assignment: 1\nnetwork: lenet5\n", "asks nothing"),
    ],
)
def test_a_bad_assignment_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(SheetError) as e:
        read_assignment(text, "hw.yaml")
    assert message in e.value.diagnostics[0].message
