"""The whole-sheet score counts only what the sheet is asked (issue 22, item 3).

Figures are the decks': the 004 AlexNet table's layers (conv1..fc8, no pools) and the 002
VGG-16 total; each student's percent is their own, whatever classmates answered.
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import Grader
from cnncalc.features.grade.cells import Precision
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec

runner = CliRunner()

# AlexNet of the 004 table with biases (Caffe's two-GPU groups): neurons and parameters per layer
ALEXNET = [
    ("conv1", 55 * 55 * 96, (11 * 11 * 3 + 1) * 96),
    ("conv2", 27 * 27 * 256, (5 * 5 * 48 + 1) * 256),
    ("conv3", 13 * 13 * 384, (3 * 3 * 256 + 1) * 384),
    ("conv4", 13 * 13 * 384, (3 * 3 * 192 + 1) * 384),
    ("conv5", 13 * 13 * 256, (3 * 3 * 192 + 1) * 256),
    ("fc6", 4096, (6 * 6 * 256 + 1) * 4096),
    ("fc7", 4096, (4096 + 1) * 4096),
    ("fc8", 1000, (4096 + 1) * 1000),
]


def test_the_decks_alexnet_table_without_pool_rows_can_be_all_right() -> None:
    text = "Layer,Neurons,Parameters\n" + "".join(f"{n},{a},{p}\n" for n, a, p in ALEXNET)
    text += f"Total,{sum(a for _, a, _ in ALEXNET)},{sum(p for _, _, p in ALEXNET)}\n"
    result = Grader(load_spec("alexnet"), Conventions(), Precision()).grade(read_sheet_text(text, "a.csv"))
    assert result.all_right, [c.verdict() for _, c in result.cells() if not c.right]
    assert result.score.percent == 100.0 and result.score.graded == 2 * 9
    assert set(result.missing) == {"pool1", "pool2", "pool5"}  # reported, not counted


def test_a_right_totals_only_sheet_scores_full_marks(tmp_path: Path) -> None:
    sheet = tmp_path / "t.csv"
    sheet.write_text("Layer,# Parameters\nTotal,138357544\n")  # 002: VGG-16's 138M, in full with biases
    done = runner.invoke(app, ["grade", "vgg16", str(sheet), "--csv", str(tmp_path / "s.csv")])
    assert done.exit_code == 0, done.stdout
    with (tmp_path / "s.csv").open(encoding="utf-8") as f:
        assert next(csv.DictReader(f))["percent"] == "100.0"


def test_a_layer_with_weights_left_out_is_still_asked() -> None:
    text = "Layer,Parameters\n" + "".join(f"{n},{p}\n" for n, _, p in ALEXNET if n != "conv3")
    result = Grader(load_spec("alexnet"), Conventions(), Precision()).grade(read_sheet_text(text, "a.csv"))
    assert result.score.graded == 8 and result.score.right == 7 and not result.all_right


def test_a_students_percent_never_depends_on_classmates(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    params = "".join(f"{n},{p}\n" for n, _, p in ALEXNET)
    (folder / "ann.csv").write_text("Layer,Parameters\n" + params)
    # a classmate answers the pools and the neurons too: ann's percent must not move
    lines = [f"{n},{a},{p}\n" for n, a, p in ALEXNET]
    neurons = lines[0] + "pool1,69984,0\n" + "".join(lines[1:])  # 27*27*96 after conv1
    (folder / "ben.csv").write_text("Layer,Neurons,Parameters\n" + neurons)
    book = tmp_path / "book.csv"
    done = runner.invoke(app, ["grade", "alexnet", str(folder), "--gradebook", str(book)])
    assert done.exit_code in (0, 1), done.stdout
    with book.open(encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["ann"]["percent"] == "100.0" and rows["ann"]["asked"] == "8"
    assert rows["ann"]["pool1 params"] == ""  # not asked of ann
