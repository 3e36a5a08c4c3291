"""Mistakes added by issue 22, item 7: a bias counted on a bias-free conv, MB written as MiB, and
an off-by-one carried through a student's own earlier value.

Figures: torchvision's ResNet-18 conv1 (7*7*3*64 = 9,408, no bias), the 001 table's LeNet-5
(CONV1 28x28x8, POOL1 14x14x8, CONV2 10x10x16; float32 memory 4 bytes a value).
"""

from __future__ import annotations

from cnncalc.features.grade import Grader, GradeResult
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec


def grade(spec: str, text: str) -> GradeResult:
    return Grader(load_spec(spec)).grade(read_sheet_text(text, "s.csv"))


def test_a_bias_counted_on_a_bias_free_conv() -> None:
    result = grade("resnet18", "layer,params\nconv1,9472\n")  # 9,408 + 64 biases it does not have
    cell = next(c for _, c in result.cells())
    assert cell.expected_value == 7 * 7 * 3 * 64 and cell.mistakes == ("bias_on_bias_free",)
    assert "counted a bias on a conv that has none" in cell.verdict()


def test_mb_written_as_mib() -> None:
    # CONV1: 28*28*8*4 = 25,088 bytes = 0.0251 MB (0.0239 MiB); POOL1 14*14*8*4 = 6,272 bytes = 6.27 KB
    result = grade("lenet5", "layer,memory\nCONV1,0.0251 MiB\nPOOL1,6.27 KiB\nCONV2,0.0061 MiB\n")
    cells = [c for _, c in result.cells()]
    assert [c.mistakes for c in cells[:2]] == [("mb_as_mib",), ("mb_as_mib",)]
    assert "25,088 bytes" in cells[0].detail
    assert cells[2].right  # 10*10*16*4 = 6,400 bytes = 0.0061 MiB: right in MiB


def test_an_off_by_one_carried_through_the_students_own_sizes() -> None:
    # CONV1 27x27x8 = 5,832 (the + 1 forgotten); POOL1 of it 13x13x8 = 1,352; CONV2 of that 9x9x16
    result = grade("lenet5", "layer,size\nCONV1,5832\nPOOL1,1352\nCONV2,1296\n")
    cells = [c for _, c in result.cells()]
    assert cells[0].mistakes == ("off_by_one",)
    assert [c.status for c in cells[1:]] == ["carried", "carried"]
