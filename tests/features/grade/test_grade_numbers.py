"""Numbers in other conventions (issue 22, item 4): read as meant when the sheet makes the
convention certain, refused per cell ("could not read") otherwise, never misread; YAML numbers
as written; space-aligned text tables read or refused with the true reason.

Figures: LeNet-5 of the 001 table (CONV1 608, 28x28x8 = 6,272, FC3 48,120, total 62,958),
VGG-16 (conv1_1 (3*3*3+1)*64 = 1,792, 138,357,544 parameters, fc7 4096*4096 + 4096 =
16,781,312), the 000 exercise's output layer (128*10 + 10 = 1,290).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.grade import CellResult, Grader, GradeResult
from cnncalc.features.grade.cells import decimal_convention, read_number, sheet_convention
from cnncalc.features.grade.sheet import SheetError, read_sheet_text
from cnncalc.spec import load_spec

runner = CliRunner()


def grade(spec: str, text: str, name: str) -> GradeResult:
    return Grader(load_spec(spec)).grade(read_sheet_text(text, name))


def cells(result: GradeResult) -> list[CellResult]:
    return [c for _, c in result.cells()]


def test_a_semicolon_csv_reads_dots_as_thousands_and_commas_as_decimals() -> None:
    text = "layer;size;params\nCONV1;6.272;608\nFC3;120;48.120\nTotal;;62.958\n"
    result = grade("lenet5", text, "de.csv")
    assert all(c.right for c in cells(result)), [c.verdict() for c in cells(result)]
    rounded = grade("lenet5", "layer;params\nFC3;48,1 Tsd.\nTotal;62,96 Tsd.\n", "de.csv")
    assert all(c.right for c in cells(rounded)), [c.verdict() for c in cells(rounded)]


def test_dot_thousands_elsewhere_in_the_sheet_make_1792_a_thousand_and_more() -> None:
    text = "| Layer | # Parameters |\n|---|---|\n| conv1_1 | 1.792 |\n| fc7 | 16.781.312 |\n"
    result = grade("vgg16", text, "de.md")
    assert result.rows[0].layers == ("conv1_1",)
    assert all(c.right for c in cells(result)), [c.verdict() for c in cells(result)]


def test_1792_alone_is_refused_per_cell_never_guessed() -> None:
    result = grade("vgg16", "| Layer | # Parameters |\n|---|---|\n| conv1_1 | 1.792 |\n", "x.md")
    cell = cells(result)[0]
    assert not cell.right and cell.problem.startswith("could not read '1.792'")
    assert "1,792 or 1.792" in cell.problem
    # a decimal point elsewhere (6.3K) makes it 1.792: read, and wrong, never 1,792
    english = grade("vgg16", "layer,params\nconv1_1,1.792\nconv1_2,36.9K\n", "en.csv")
    assert not cells(english)[0].right and not cells(english)[0].problem


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("138,4 Mio.", 138_357_544),  # VGG-16's parameters
        ("13,84 crore", 138_357_544),
        ("1383,6 lakh", 138_357_544),
        ("0,14 Mrd.", 138_357_544),
        ("138,36 Millionen", 138_357_544),
    ],
)
def test_words_of_other_conventions(written: str, value: int) -> None:
    result = grade("vgg16", f"layer;params\nTotal;{written}\n", "de.csv")
    assert cells(result)[0].right, cells(result)[0].verdict()


def test_the_convention_is_what_the_sheet_makes_certain() -> None:
    assert sheet_convention(["1.234.567"]) is True
    assert sheet_convention(["6,3K"]) is True
    assert sheet_convention(["6.3K", "1,234,567"]) is False
    assert sheet_convention(["1.792", "6,272"]) is None  # each reads either way
    assert sheet_convention(["6.3K", "6,3K"]) is None  # both: nothing certain
    assert sheet_convention([], semicolons=True) is True
    with decimal_convention(None):
        assert read_number("1.792") is None
        assert read_number("3.698M") is not None  # an English prefix writes a decimal point
    with decimal_convention(True):
        reading = read_number("508.032")
        assert reading is not None and reading.value == 508_032
    with decimal_convention(False):
        reading = read_number("1.792")
        assert reading is not None and reading.value * 1000 == 1792


def test_yaml_numbers_are_read_as_written() -> None:
    sheet = read_sheet_text("rows:\n  - {layer: fc3, params: 1.27e5, size: 6.30}\n", "y.yaml")
    assert sheet.rows[0].cells["params"] == "1.27e5" and sheet.rows[0].cells["size"] == "6.30"
    result = grade("lenet5", "rows:\n  - {layer: FC3, params: 4.81e4}\n", "y.yaml")
    assert cells(result)[0].right, cells(result)[0].verdict()  # 48,120 to 3 figures, not 48100.0
    comma = grade("exercise-valid", "rows:\n  - {layer: output, params: '1,29 k'}\n", "y.yaml")
    assert cells(comma)[0].right, cells(comma)[0].verdict()  # 1,290


def test_a_space_aligned_text_table_is_read(tmp_path: Path) -> None:
    sheet = tmp_path / "kim.txt"
    sheet.write_text(
        "Student: Kim\n\nLayer        Shape         Params\nCONV1        28 x 28 x 8   608\n"
        "POOL1        14x14x8       0\nCONV2                      3,216\n"
    )
    done = runner.invoke(app, ["grade", "lenet5", str(sheet), "--format", "json"])
    assert '"student": "Kim"' in done.stdout
    assert done.stdout.count('"status": "right"') == 5 and '"status": "missing"' in done.stdout


def test_a_text_table_that_cannot_be_read_is_refused_with_the_true_reason(tmp_path: Path) -> None:
    with pytest.raises(SheetError) as single:
        read_sheet_text("Layer Shape Params\nCONV1 28 x 28 x 8 608\n", "s.txt")
    assert "single spaces" in single.value.diagnostics[0].message
    with pytest.raises(SheetError) as misaligned:
        read_sheet_text("Layer      Shape      Params\nCONV1      28x28x8    608  9\n", "m.txt")
    assert misaligned.value.diagnostics[0].location is not None
    assert misaligned.value.diagnostics[0].location.line == 2
    assert "does not line up" in misaligned.value.diagnostics[0].message
    bad = tmp_path / "s.txt"
    bad.write_text("Layer Shape Params\nCONV1 28 x 28 x 8 608\n")
    done = runner.invoke(app, ["grade", "lenet5", str(bad)])
    assert done.exit_code == 2 and "s.txt:1:1" in done.stderr


def test_indian_digit_grouping_is_read_when_the_sheet_makes_it_certain() -> None:
    # the 000 exercise, valid: fc1 30*30*32*128 + 128 = 36,86,528; conv1 126*126*32 = 5,08,032
    text = 'layer,size,params\nconv1,"5,08,032",896\nfc1,128,"36,86,528"\n'
    assert [c.status for c in cells(grade("exercise-valid", text, "i.csv"))] == ["right"] * 4
    lakh = 'layer,params\nfc1,36.86528 lakh\nconv2,"9,248"\n'  # 36.86528 x 10^5
    assert all(c.right for c in cells(grade("exercise-valid", lakh, "l.csv")))


def test_indian_grouping_beside_groups_of_three_is_refused_per_cell() -> None:
    # 1,38,357 next to 3,686,528: which grouping the sheet uses is not certain
    text = 'layer,params\nconv1,"1,38,357"\nfc1,"3,686,528"\n'
    graded = cells(grade("exercise-valid", text, "m.csv"))
    assert graded[1].right
    assert graded[0].status == "wrong" and "groups its digits the Indian way" in graded[0].problem
