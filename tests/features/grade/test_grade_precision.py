"""The precision policy agrees with the decks (issue 22, item 2).

The decks' own roundings are right; a rounding that cannot tell the right number from a known
mistake is flagged "ambiguous: write one more digit" with this cell's own figures, right by
default and wrong under --strict; --sig-figs 1 turns the check off. Figures are the decks'.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import CellResult, Grader
from cnncalc.features.grade.cells import Precision
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec

runner = CliRunner()


def one(spec: str, layer: str, column: str, written: str, sig_figs: int = 2, strict: bool = False) -> CellResult:
    sheet = read_sheet_text(f'layer,{column}\n{layer},"{written}"\n', "p.csv")
    result = Grader(load_spec(spec), Conventions(), Precision(sig_figs=sig_figs, strict=strict)).grade(sheet)
    return next(c for _, c in result.cells())


@pytest.mark.parametrize(
    ("spec", "layer", "column", "written"),
    [
        ("alexnet", "conv1", "params", "35K"),  # 004: [(11x11x3)+1]x96 = 34,944 -> "35 K"
        ("vgg16", "conv2_1", "size", "1.6M"),  # 002: 112*112*128 = 1,605,632 -> "1.6M"
        ("vgg16", "conv1_1", "size", "3.2M"),  # 002: 224*224*64 = 3,211,264 -> "3.2M"
        ("vgg16", "conv1_2", "size", "3.2M"),
        ("alexnet", "fc7", "params", "16M"),  # 004: 4096*4096 + 4096 = 16,781,312 -> "16M"
    ],
)
def test_the_decks_own_roundings_are_right(spec: str, layer: str, column: str, written: str) -> None:
    cell = one(spec, layer, column, written)
    assert cell.right, cell.verdict()
    assert cell.mistakes == ()


def test_an_ambiguous_rounding_is_flagged_with_its_own_figures_not_counted_wrong() -> None:
    fc3 = one("lenet5", "FC3", "params", "48K")  # 001: (400*120)+120 = 48,120; without biases 48,000
    assert fc3.status == "ambiguous" and not fc3.right and fc3.mistakes == ()
    assert "ambiguous: write one more digit (48.1K or 48,120)" in fc3.verdict()
    assert "48,000" in fc3.verdict() and "forgot the bias" in fc3.verdict()
    conv2 = one("lenet5", "CONV2", "params", "3.2K")  # (5*5*8+1)*16 = 3,216; without biases 3,200
    assert conv2.status == "ambiguous" and "(3.22K or 3,216)" in conv2.verdict() and "48.1K" not in conv2.verdict()
    total = one("lenet5", "Total", "params", "63K")  # 62,958; without biases 62,720
    assert total.status == "ambiguous" and "(63.0K or 62,958)" in total.verdict()


def test_an_ambiguous_cell_has_its_own_status_in_json_and_counts_neither_way(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"  # 001's LeNet-5: FC3 48,120 written "48K", FC4 10,164 written in full
    sheet.write_text("layer,params\nFC3,48K\nFC4,10164\nSoftmax,840\n")  # 84*10: no biases
    done = runner.invoke(app, ["grade", "lenet5", str(sheet), "--format", "json"])
    data = json.loads(done.stdout)
    cells = {row["label"]: row["cells"][0] for row in data["rows"]}
    assert cells["FC3"]["status"] == "ambiguous" and cells["FC3"]["right"] is False
    assert cells["FC3"]["mistakes"] == [] and "48.1K or 48,120" in cells["FC3"]["verdict"]
    assert cells["Softmax"]["status"] == "wrong"
    # FC4 right, Softmax wrong, FC3 in neither; CONV1 and CONV2 asked and unanswered
    assert data["score"]["ambiguous"] == 1 and data["score"]["right"] == 1 and data["score"]["graded"] == 4
    assert "FC3" not in data["mistakes"] and data["mistakes"] == {"forgot_bias": 1}
    strict = json.loads(runner.invoke(app, ["grade", "lenet5", str(sheet), "--format", "json", "--strict"]).stdout)
    fc3 = next(row["cells"][0] for row in strict["rows"] if row["label"] == "FC3")
    assert fc3["status"] == "wrong" and strict["score"]["ambiguous"] == 0 and strict["score"]["graded"] == 5


def test_strict_counts_an_ambiguous_rounding_wrong_and_sig_figs_1_turns_the_check_off() -> None:
    strict = one("lenet5", "FC3", "params", "48K", strict=True)
    assert strict.status == "wrong"
    lenient = one("lenet5", "FC3", "params", "48K", sig_figs=1)
    assert lenient.right and "ambiguous" not in lenient.how


def test_work_shown_that_is_the_mistakes_arithmetic_stays_wrong() -> None:
    cell = one("lenet5", "FC3", "params", "400*120 = 48K")  # the work is 48,000: the biases forgotten
    assert not cell.right and cell.mistakes == ("forgot_bias",)


def test_a_sheet_right_but_for_ambiguous_roundings_exits_0(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nCONV1,608\nPOOL1,0\nCONV2,3216\nPOOL2,0\nFC3,48K\nFC4,10164\nSoftmax,850\n")
    done = runner.invoke(app, ["grade", "lenet5", str(sheet)])
    assert done.exit_code == 0, done.stdout
    assert "ambiguous: write one more digit (48.1K or 48,120)" in done.stdout
    assert runner.invoke(app, ["grade", "lenet5", str(sheet), "--strict"]).exit_code == 1
