"""`cnncalc grade`: answer sheets graded cell by cell against a spec.

The sheets in tests/data/answers are the lecture's own tables, copied as written (001's
LeNet table, 002's GoogLeNet and VGG-16 tables, 004's AlexNet row), and one sheet per common
mistake (tests/data/answers/mistakes). Expected values come from the slides or are derived
by hand in the test from the slides' own formulas; the errata are README's "Lecture errata".

Seed files: 000 = 000_1bdf8c8016dfdb38.txt, 001 = 001_48a3e38ba1e756c3.txt,
002 = 002_301dfe024320ff9c.txt, 004 = 004_3c0cc2c179176623.txt.
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import CellResult, Grader, GradeResult, label_names, total_kind
from cnncalc.features.grade.cells import Precision, judge, judge_shape, read_number, read_shape
from cnncalc.features.grade.sheet import SheetError, header_role, read_sheet, read_sheet_text
from cnncalc.spec import load_spec

ANSWERS = Path(__file__).resolve().parents[2] / "data" / "answers"
MISTAKES = ANSWERS / "mistakes"
SPECS = ANSWERS / "specs"

runner = CliRunner()


@cache
def grader(spec: str, bias: bool = True, sig_figs: int = 2) -> Grader:
    return Grader(load_spec(spec), Conventions(bias=bias), Precision(sig_figs=sig_figs))


def graded(spec: str, sheet: Path, bias: bool = True, sig_figs: int = 2) -> GradeResult:
    return grader(spec, bias, sig_figs).grade(read_sheet(sheet))


def cell(result: GradeResult, label: str, column: str) -> CellResult:
    found = [c for row in result.rows if row.label == label for c in row.cells if c.column == column]
    assert len(found) == 1, (label, column, [r.label for r in result.rows])
    return found[0]


def wrong(result: GradeResult) -> set[tuple[str, str]]:
    return {(row.label, c.column) for row, c in result.cells() if not c.right}


# --- the lecture's tables ----------------------------------------------------------------------


def test_the_001_table_as_written_is_all_right() -> None:
    # 001 "CNN-Example to calculate parameters", tab-separated as on the slide, SL.No column and all
    result = graded("lenet5", ANSWERS / "lenet5-001.tsv")
    assert result.score.right == result.score.graded == 24
    assert result.score.columns == {"shape": (8, 8), "size": (8, 8), "params": (8, 8)}
    assert result.all_right and not result.missing and not result.extra
    # rows are matched by name: "Input Layer:", "CONV1 (f=5, s=1)", "FC3", "Softmax"
    assert [row.layers for row in result.rows] == [
        ("input",),
        ("CONV1",),
        ("POOL1",),
        ("CONV2",),
        ("POOL2",),
        ("FC3",),
        ("FC4",),
        ("Softmax",),
    ]
    assert cell(result, "FC3", "shape").how == "size-1 axes ignored"  # "(120, 1)" for 120 units
    cli = runner.invoke(app, ["grade", "lenet5", str(ANSWERS / "lenet5-001.tsv")])
    assert cli.exit_code == 0, cli.output
    assert "Score: 24/24 right" in cli.stdout and "all right" in cli.stdout


def test_the_004_alexnet_row_with_k_and_m_rounding() -> None:
    # 004: Parameters 35K, 307K, 884K, 663K, 442K, 37M, 16M, 4M, 60M. Weights only except conv1
    # ("[5x5x48]x256"), and cut rather than rounded (README errata #7): right, and said so.
    # "4M" keeps one significant figure: right only as leniently as --sig-figs 1 grades
    assert cell(graded("alexnet", ANSWERS / "alexnet-004.md", bias=False), "fc8", "params").mistakes == (
        "too_few_figures",
    )
    result = graded("alexnet", ANSWERS / "alexnet-004.md", bias=False, sig_figs=1)
    # conv1's work "[(11x11x3)+1]x96" counts the biases (34,944), the rest of the column does not
    # the table lists no pools: a layer without weights a table leaves out is not asked
    assert result.score.columns["params"] == (8, 9) and result.score.missing == 0
    assert cell(result, "conv1", "params").mistakes == ("counted_bias",)
    assert "34,944" in cell(result, "conv1", "params").detail
    for label in ("conv3", "conv4", "fc6", "fc7"):  # 884,736 -> 884K (rounding gives 885K), ...
        assert cell(result, label, "params").how.startswith("truncated"), label
    assert "was cut, not rounded" in cell(result, "conv3", "params").verdict()
    # Neurons: conv1 "253,440" is errata #5 (55x55x96 = 290,400); "0.63 M" is errata #6
    conv1 = cell(result, "conv1", "size")
    assert not conv1.right and conv1.expected_value == 55 * 55 * 96
    assert "55*55*96" in conv1.step
    total = cell(result, "Total", "size")
    neurons = 55 * 55 * 96 + 27 * 27 * 256 + 2 * 13 * 13 * 384 + 13 * 13 * 256 + 4096 + 4096 + 1000
    assert not total.right and total.expected_value == neurons == 659_272
    assert wrong(result) == {("conv1", "size"), ("conv1", "params"), ("Total", "size")}
    # counted with biases, conv3 is (3*3*256+1)*384 = 885,120: 884K is the weights alone
    with_bias = graded("alexnet", ANSWERS / "alexnet-004.md")
    conv3 = cell(with_bias, "conv3", "params")
    assert conv3.expected_value == (3 * 3 * 256 + 1) * 384 and conv3.mistakes == ("forgot_bias",)
    assert "885.1 K" in conv3.verdict() and "forgot the bias" in conv3.verdict()


def test_the_002_googlenet_table_is_right_with_k_1024_except_its_errata() -> None:
    # the deck writes the last layer's ops as "1M" (one figure): graded as leniently as it writes
    result = graded("googlenet", ANSWERS / "googlenet-002.md", sig_figs=1)
    errata = {  # README errata #10 (first row) and #11 (params of 4a-5b, ops of 5a)
        ("convolution", "params"),
        ("convolution", "macs"),
        ("inception (4a)", "params"),
        ("inception (4b)", "params"),
        ("inception (4c)", "params"),
        ("inception (4d)", "params"),
        ("inception (4e)", "params"),
        ("inception (5a)", "params"),
        ("inception (5a)", "macs"),
        ("inception (5b)", "params"),
    }
    assert wrong(result) == errata
    assert result.score.graded == 57 and result.score.right == 47
    assert result.ignored == ("patch size/ stride", "depth", "#1\u00d71", "#3\u00d73 reduce", "#3\u00d73",
                              "#5\u00d75 reduce", "#5\u00d75", "pool proj")  # fmt: skip
    # the true values of the errata, flagged: 7*7*3*64 + 64 and 112*112*64*(7*7*3) (#10)
    rows = {row.line: row for row in result.rows}
    first = {c.column: c for c in rows[6].cells}
    assert first["params"].expected_value == 7 * 7 * 3 * 64 + 64 == 9472
    assert first["macs"].expected_value == 112 * 112 * 64 * 147 == 118_013_952
    # #11: 367.4K, 438.6K, 498.1K, 591.2K, 848.0K, 1019.0K, 1410.2K with K = 1024; 5a ops 51.1M
    true_k = {"4a": 367.4, "4b": 438.6, "4c": 498.1, "4d": 591.2, "4e": 848.0, "5a": 1019.0, "5b": 1410.2}
    for name, k in true_k.items():
        params = cell(result, f"inception ({name})", "params")
        assert isinstance(params.expected_value, int)
        assert round(params.expected_value / 1024, 1) == k, name
        assert f"{k:,.1f} K with K = 1,024" in params.verdict()
    ops = cell(result, "inception (5a)", "macs")
    assert isinstance(ops.expected_value, int) and round(ops.expected_value / 1e6, 1) == 51.1
    # the rows that agree do so with K = 1024 (params) and M = 10^6 (ops), and say which
    assert "K = 1,024" in cell(result, "inception (3b)", "params").how  # 380K
    assert "truncated" in cell(result, "inception (3a)", "params").how  # 159K for 159.9K
    assert "M = 10^6" in cell(result, "inception (3a)", "macs").how  # 128M
    # one row of the table is two layers: "convolution 3x3/1" = conv2_reduce + conv2 (112K, 360M)
    assert rows[8].layers == ("conv2_reduce", "conv2")
    assert all(c.right for c in rows[8].cells)
    # the pools' empty params and ops cells are zeros; inception rows match their blocks by name
    assert {c.how for c in rows[7].cells if c.column != "shape"} == {"blank read as 0"}
    assert rows[10].layers == ("inception_3a",)


def test_the_002_vgg16_table_flags_only_its_total_memory() -> None:
    # 002 slide 112, weights only ("not counting biases"); memory per row counts values
    # ("224*224*64=3.2M"), the TOTAL line bytes: "24M * 4 bytes ~ 93MB" is errata #4
    result = graded("vgg16", ANSWERS / "vgg16-002.md", bias=False)
    assert wrong(result) == {("TOTAL", "memory")}
    memory = cell(result, "TOTAL", "memory")
    assert memory.expected_value == 15_237_608 * 4 == 60_950_432
    assert cell(result, "TOTAL", "params").right  # 138M
    pool = next(row for row in result.rows if row.label == "POOL2")  # the first: 112x112x64
    assert "trailing zero" in next(c for c in pool.cells if c.column == "memory").how  # "800K" for 802,816


def test_the_000_exercise_with_subtotals() -> None:
    # 000 "Sample Exercises": params of the conv layers, the FC layers and the whole network
    result = graded("exercise-valid", ANSWERS / "exercise-valid.md")
    assert result.all_right, [c.verdict() for _, c in result.cells() if not c.right]
    assert result.student == "model answer"
    assert [row.layers for row in result.rows if row.total] == [("conv",), ("dense",), ("total",)]


# --- the common mistakes, each diagnosed by name ----------------------------------------------

MISTAKE_SHEETS = [
    # (spec, sheet, row, column, mistake, expected value, phrase of the verdict)
    ("lenet5", "lenet5-forgot-bias.csv", "CONV1", "params", ("forgot_bias",), 608, "forgot the bias"),
    ("lenet5", "lenet5-forgot-bias.csv", "FC3", "params", ("forgot_bias",), 400 * 120 + 120, "forgot the bias"),
    ("lenet5", "lenet5-forgot-bias.csv", "Total", "params", ("forgot_bias",), 62958, "forgot the bias"),
    ("lenet5", "lenet5-forgot-depth.yaml", "CONV2", "params", ("forgot_input_depth",), 3216, "input depth"),
    ("lenet5", "lenet5-forgot-depth.yaml", "Total", "params", ("forgot_input_depth",), 62958, "input depth"),
    # 001 "(5x5+1)x6 = 156" for six 5x5 filters on 32x32x3: (5*5*3+1)*6 = 456
    (
        str(SPECS / "conv6-001.yaml"),
        "conv6-slide-156.csv",
        "CONV1",
        "params",
        ("forgot_input_depth",),
        456,
        "forgot the input depth",
    ),
    # 002 "100 Filters of size 10 x 10 ... Only 10,000!" on 200x200x3: (10*10*3+1)*100
    (
        str(SPECS / "conv100-002.yaml"),
        "conv100-only-10000.md",
        "CONV1",
        "params",
        ("forgot_input_depth", "forgot_bias"),
        30100,
        "forgot the input depth and forgot the bias",
    ),
    # 000 exercise, valid: floor(61/2) = 30, a student's ceil gives 31
    ("exercise-valid", "exercise-valid-ceil.csv", "pool2", "shape", ("ceil_not_floor",), (30, 30, 32), "ceil"),
    ("exercise-valid", "exercise-valid-ceil.csv", "fc1", "params", ("carried",), 30 * 30 * 32 * 128 + 128, "carried"),
    ("exercise-valid", "exercise-valid-ceil.csv", "Total", "params", ("sum_of_rows",), 3697962, "your rows"),
    ("exercise-valid", "exercise-valid-same.md", "conv1", "shape", ("wrong_padding",), (126, 126, 32), "'same'"),
    ("exercise-valid", "exercise-valid-same.md", "pool1", "shape", ("carried",), (63, 63, 32), "carried forward"),
    ("lenet5", "lenet5-pool-params.csv", "POOL1", "params", ("pool_params",), 0, "pooling layer parameters"),
    ("lenet5", "lenet5-off-by-one.csv", "CONV1", "shape", ("off_by_one",), (28, 28, 8), "off by one"),
    (
        str(SPECS / "flatten-net.yaml"),
        "flatten-params.csv",
        "Flatten",
        "params",
        ("flatten_params",),
        0,
        "flatten as a layer with parameters",
    ),
    # 001's AlexNet: "A CL of 256 filters of size 5 X 5 and stride = 4": floor((27+4-5)/4)+1 = 7 (errata #1)
    ("alexnet-cs231n", "alexnet-stride4.csv", "CONV2", "shape", ("stride_4",), (27, 27, 256), "stride 4"),
    ("alexnet-cs231n", "alexnet-stride4.csv", "POOL2", "shape", ("carried",), (13, 13, 256), "carried"),
    # 004: "[5x5x48]x256": each of conv2's filters sees 48 of the 96 channels
    ("alexnet", "alexnet-groups.csv", "conv2", "params", ("ignored_groups",), 5 * 5 * 48 * 256 + 256, "groups"),
]


@pytest.mark.parametrize(("spec", "sheet", "label", "column", "mistakes", "expected", "phrase"), MISTAKE_SHEETS)
def test_each_common_mistake_is_diagnosed_by_name(
    spec: str,
    sheet: str,
    label: str,
    column: str,
    mistakes: tuple[str, ...],
    expected: int | tuple[int, ...],
    phrase: str,
) -> None:
    result = graded(spec, MISTAKES / sheet)
    found = cell(result, label, column)
    assert not found.right
    assert found.mistakes == mistakes, found.verdict()
    assert found.expected_value == expected
    assert phrase in found.verdict(), found.verdict()
    assert not result.all_right


def test_only_the_mistaken_cells_are_wrong() -> None:
    result = graded("lenet5", MISTAKES / "lenet5-forgot-bias.csv")
    labels = {"CONV1", "CONV2", "FC3", "FC4", "Softmax", "Total"}
    assert wrong(result) == {(label, "params") for label in labels}
    assert result.mistakes() == {"forgot_bias": 6}
    # the off-by-one size follows from the student's own shape: carried, not a second mistake
    off = graded("lenet5", MISTAKES / "lenet5-off-by-one.csv")
    assert cell(off, "CONV1", "size").mistakes == ("carried",)
    assert wrong(off) == {("CONV1", "shape"), ("CONV1", "size")}


def test_explanation_of_a_wrong_cell_is_the_explain_step() -> None:
    found = cell(graded("lenet5", MISTAKES / "lenet5-forgot-bias.csv"), "CONV1", "params")
    assert found.step == "((f*f*c_in)+1)*k = ((5*5*3)+1)*8 = 608"
    assert found.detail == "(5*5*3)*8 = 600"


def test_memory_in_values_or_bytes() -> None:
    # CONV1's output is 28x28x8 = 6,272 values, 4 bytes each in float32: 25,088 B
    sheet = read_sheet_text(
        "layer,memory\nCONV1,6272\nPOOL1,6.3 KB\nCONV2,6.25 KiB\nPOOL2,400\nFC3,480 B\nFC4,84 B\n", "m.csv"
    )
    result = grader("lenet5").grade(sheet)
    assert cell(result, "CONV1", "memory").how == "exact"  # values, as 002's VGG table counts memory
    assert "KB = 1,000" in cell(result, "POOL1", "memory").how  # 14*14*8*4 = 6,272 B
    assert "KiB" in cell(result, "CONV2", "memory").how  # 10*10*16*4 = 6,400 B = 6.25 KiB
    assert cell(result, "POOL2", "memory").how == "exact"  # 5*5*16 = 400 values
    assert cell(result, "FC3", "memory").right
    fc4 = cell(result, "FC4", "memory")  # 84 values are 336 bytes
    assert fc4.mistakes == ("elements_not_bytes",) and fc4.expected_value == 84 * 4
    assert any("read as elements for the whole sheet" in note for note in result.notes)


def test_a_unitless_memory_column_is_read_one_way_for_the_whole_sheet() -> None:
    # bytes: 6,272 x 4 = 25,088, 1,568 x 4 = 6,272, 1,600 x 4 = 6,400; the total is the network's
    # (not the rows listed): 4 x (3,072 + 6,272 + 1,568 + 1,600 + 400 + 120 + 84 + 10) = 52,504 bytes,
    # in B, in KB, or unit-less: right, never "summed wrong rows"
    for total in ("52504", '"52,504 B"', "52.50 KB", "52.5KB"):
        sheet = read_sheet_text(f"layer,memory\nCONV1,25088\nPOOL1,6272\nCONV2,6400\nTotal,{total}\n", "b.csv")
        result = grader("lenet5").grade(sheet)
        assert [c.right for _, c in result.cells()] == [True] * 4, (total, [c.verdict() for _, c in result.cells()])
        assert cell(result, "POOL1", "memory").how == "exact, read as bytes"  # 6,272 is also CONV1's elements
        assert any("read as bytes for the whole sheet" in note for note in result.notes)
    # a sheet of totals only: against the whole network (3,072 + 6,272 + 1,568 + 1,600 + 400 + 120 + 84
    # + 10 = 13,126 values), never "expected 0"
    lone = grader("lenet5").grade(read_sheet_text("layer,size\nTotal,13000\n", "t.csv"))
    assert cell(lone, "Total", "size").expected_value == 13_126
    assert "none of these layers" not in cell(lone, "Total", "size").verdict()


def test_with_no_bias_counting_the_biases_is_the_mistake() -> None:
    sheet = read_sheet_text("layer,params\nCONV1,608\nFC3,48000\n", "weights-only.csv")
    result = grader("lenet5", bias=False).grade(sheet)
    assert cell(result, "CONV1", "params").mistakes == ("counted_bias",)
    assert cell(result, "FC3", "params").right


# --- reading cells -----------------------------------------------------------------------------

NUMBERS = [
    # (written, true value, how it is read, or None when wrong)
    ("6272", 6272, "exact"),
    ("6,272", 6272, "exact"),
    ("6 272", 6272, "exact"),
    ("28x28x8", 6272, "exact"),
    ("28*28*8 = 6272", 6272, "exact"),
    ("6.3K", 6272, "rounded to the nearest 0.1 K (K = 1,000)"),
    ("6,3K", 6272, "rounded to the nearest 0.1 K (K = 1,000)"),
    ("35K", 34944, "rounded to the nearest 1 K (K = 1,000)"),
    ("3.2M", 224 * 224 * 64, "rounded to the nearest 0.1 M (M = 10^6)"),  # 002: 224*224*64=3.2M
    ("138 million", 138_357_544, "rounded to the nearest 1 million (million = 10^6)"),  # 001 VGG-16
    ("~35K", 34944, "rounded to the nearest 1 K (K = 1,000)"),
    ("1.5e6", 1_500_000, "rounded to the nearest 0.1 x10^6"),
    ("6,300", 6272, None),  # a number written in full must be exact
    ("6272.5", 6272, None),
    ("0.63 M", 659_272, None),  # 004, errata #6: no M = 2^20 for a count
    ("840K", 868_352, None),  # 002, errata #11: 848.0K with K = 1024 is not "840K" cut to the tens
    ("2.7K", 9472, None),  # errata #10
]


@pytest.mark.parametrize(("text", "true", "how"), NUMBERS)
def test_numbers_as_people_write_them(text: str, true: int, how: str | None) -> None:
    reading = read_number(text)
    assert reading is not None
    assert judge(reading, true) == how


def test_bytes_and_binary_prefixes() -> None:
    memory = read_number("93MB", memory=True)
    assert memory is not None and memory.is_bytes
    assert judge(memory, 60_950_432) is None  # 002, errata #4
    assert judge(memory, 93 * 2**20) == "rounded to the nearest 1 MB (MB = 2^20)"
    billion = read_number("1.5B")  # a billion outside a memory column
    assert billion is not None and judge(billion, 1_500_000_000) is not None
    for unreadable in ("abc", "", "12 34", "K35", "x" * 400):
        assert read_number(unreadable) is None, unreadable


def test_shapes_as_people_write_them() -> None:
    for text in ("(28, 28, 8)", "28x28x8", "28 \u00d7 28 \u00d7 8", "[28x28x8]", "28 X 28 X 8", "28*28*8"):
        assert read_shape(text) == (28, 28, 8), text
    assert read_shape("(120, 1)") == (120, 1)
    assert read_shape("a shape") is None
    assert judge_shape((120, 1), (120,), (120,)) == "size-1 axes ignored"
    assert judge_shape((8, 28, 28), (28, 28, 8), (8, 28, 28)) == "read with the channels on the other side"
    assert judge_shape((28, 28, 6), (28, 28, 8), (8, 28, 28)) is None


def test_headers_labels_and_totals() -> None:
    assert header_role("Activation Shape") == "shape"
    assert header_role("# Parameters") == "params"
    assert header_role("output size") == "shape"
    assert header_role("ops") == "macs"
    assert header_role("Memory (bytes)") == "memory"
    assert header_role("SL.No") == "index"
    assert header_role("depth") is None
    assert label_names("CONV1 (f=5, s=1)") >= {"conv1"}
    assert "inception3a" in label_names("inception (3a)")
    assert "input" in label_names("Input Layer:")
    assert total_kind("Total") == "total" and total_kind("TOTAL params") == "total"
    assert total_kind("Convolutional layers") == "conv" and total_kind("Fully connected layers") == "dense"
    assert total_kind("FC3") is None and total_kind("CONV1") is None


def test_unreadable_sheets_say_where(tmp_path: Path) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    with pytest.raises(SheetError, match="binary"):
        read_sheet(binary)
    with pytest.raises(SheetError, match="no table"):
        read_sheet_text("just some text\n", "notes.csv")
    with pytest.raises(SheetError, match="cells but the header has"):
        read_sheet_text("layer,params\nCONV1,6,272,1,2\n", "bad.csv")
    # an unquoted shape in a comma-separated file is rejoined
    sheet = read_sheet_text("layer,shape,params\nCONV1,(28, 28, 8),608\n", "ok.csv")
    assert sheet.rows[0].cells == {"shape": "(28, 28, 8)", "params": "608"}
    result = runner.invoke(app, ["grade", "lenet5", str(binary)])
    assert result.exit_code == 2 and "binary file" in result.stderr
    result = runner.invoke(app, ["grade", "lenet5"])
    assert result.exit_code == 2 and "no answer sheet given" in result.stderr
    sheet_path = str(ANSWERS / "lenet5-001.tsv")
    result = runner.invoke(app, ["grade", "lenet5", sheet_path, "--csv", str(tmp_path / "no" / "such" / "dir.csv")])
    assert result.exit_code == 2 and "cannot write" in result.stderr


# --- the CLI: one sheet, a folder, the template ------------------------------------------------


def test_cli_one_sheet_text_and_json() -> None:
    result = runner.invoke(app, ["grade", "lenet5", str(MISTAKES / "lenet5-forgot-bias.csv")])
    assert result.exit_code == 1
    assert "Mistake: forgot the bias ((5*5*3)*8 = 600)" in result.stdout
    assert "Score: 19/25 right (shape 8/8, size 8/8, params 3/9)" in result.stdout
    result = runner.invoke(app, ["grade", "lenet5", str(MISTAKES / "lenet5-forgot-bias.csv"), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["score"] == {
        "right": 19,
        "graded": 25,
        "missing": 0,
        "ambiguous": 0,
        "columns": {
            "shape": {"right": 8, "graded": 8},
            "size": {"right": 8, "graded": 8},
            "params": {"right": 3, "graded": 9},
        },
    }
    assert data["mistakes"] == {"forgot_bias": 6} and data["all_right"] is False
    conv1 = next(row for row in data["rows"] if row["label"] == "CONV1")
    params = next(c for c in conv1["cells"] if c["column"] == "params")
    assert params["status"] == "wrong" and params["expected_value"] == 608
    assert params["mistake_names"] == ["forgot the bias"]


def make_sheet(kind: str, index: int) -> tuple[str, str]:
    """(file name, text) of a generated LeNet sheet: right, or with one kind of mistake."""
    rows = [  # 001's table
        ("Input Layer", "(32, 32, 3)", "3072", "0"),
        ("CONV1", "(28, 28, 8)", "6272", "608"),
        ("POOL1", "(14, 14, 8)", "1568", "0"),
        ("CONV2", "(10, 10, 16)", "1600", "3216"),
        ("POOL2", "(5, 5, 16)", "400", "0"),
        ("FC3", "(120, 1)", "120", "48120"),
        ("FC4", "(84, 1)", "84", "10164"),
        ("Softmax", "(10, 1)", "10", "850"),
    ]
    if kind == "bias":
        rows = [(n, s, z, {"608": "600", "3216": "3200", "48120": "48000"}.get(p, p)) for n, s, z, p in rows]
    elif kind == "depth":
        rows = [(n, s, z, {"608": "208", "3216": "416"}.get(p, p)) for n, s, z, p in rows]
    elif kind == "pool":
        rows = [(n, s, z, "32" if n == "POOL1" else p) for n, s, z, p in rows]
    if kind == "markdown":
        lines = [f"Student: student {index:02d}", "", "| Layer | Activation Shape | Activation Size | # Parameters |"]
        lines += ["|---|---|---|---|", *(f"| {' | '.join(r)} |" for r in rows)]
        return f"s{index:02d}.md", "\n".join(lines) + "\n"
    out = io.StringIO()
    csv.writer(out).writerows([("Layer", "Activation Shape", "Activation Size", "# Parameters"), *rows])
    return f"s{index:02d}.csv", out.getvalue()


def test_a_folder_of_40_sheets_in_one_run(tmp_path: Path) -> None:
    kinds = ["right"] * 12 + ["markdown"] * 8 + ["bias"] * 10 + ["depth"] * 6 + ["pool"] * 3
    folder = tmp_path / "sheets"
    folder.mkdir()
    for i, kind in enumerate(kinds):
        name, text = make_sheet(kind, i)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "s39.csv").write_bytes(b"\0\x01binary")  # the 40th: unreadable, reported and skipped
    (folder / "README").write_text("not a sheet")  # listed as skipped: not a sheet's suffix
    (folder / "s40.xlsx").write_bytes(b"PK\x03\x04")  # listed with what to do: save it as CSV
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--csv", str(scores)])
    assert result.exit_code == 1, result.output
    assert "s39.csv:1:1: a binary file" in result.stderr and "(skipped)" in result.stderr
    assert "39 sheets graded against lenet5" in result.stdout
    assert "All right: 20 of 39 sheets" in result.stdout
    assert "forgot the bias: 30 cells on 10 sheets" in result.stdout
    assert "forgot the input depth: 12 cells on 6 sheets" in result.stdout
    assert "gave a pooling layer parameters: 3 cells on 3 sheets" in result.stdout
    with scores.open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 42
    by_file = {Path(row["file"]).name: row for row in table}
    assert by_file["s00.csv"]["right"] == "24" and by_file["s00.csv"]["all_right"] == "yes"
    assert by_file["s12.md"]["student"] == "student 12"
    assert by_file["s20.csv"]["params_right"] == "5/8" and "forgot the bias x3" in by_file["s20.csv"]["mistakes"]
    assert "s39.csv:1:1: a binary file, not an answer sheet" in by_file["s39.csv"]["error"]
    assert "a spreadsheet: save it as CSV" in by_file["s40.xlsx"]["error"]
    assert "not an answer sheet" in by_file["README"]["error"]
    assert "skipped:" in result.stdout and "s40.xlsx" in result.stdout
    data = json.loads(runner.invoke(app, ["grade", "lenet5", str(folder), "-f", "json"]).stdout)
    assert data["summary"]["sheets"] == 39 and data["summary"]["all_right"] == 20
    assert data["summary"]["mistakes"][0] == {"mistake": "forgot_bias", "name": "forgot the bias", "cells": 30,
                                              "sheets": 10}  # fmt: skip
    assert [u["file"] for u in data["unreadable"]] == [str(folder / n) for n in ("README", "s39.csv", "s40.xlsx")]


def test_a_folder_with_no_sheets(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", "lenet5", str(tmp_path)])
    assert result.exit_code == 2 and "no answer sheets" in result.stderr


def test_the_template_is_a_blank_sheet_that_grades(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", "--template", "lenet5"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Layer,Activation Shape,Activation Size,# Parameters"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "Input Layer",
        "CONV1",
        "POOL1",
        "CONV2",
        "POOL2",
        "FC3",
        "FC4",
        "Softmax",
        "Total",
    ]
    # handed in blank, it is not all right: the shapes and sizes are unanswered
    blank = grader("lenet5").grade(read_sheet_text(result.stdout, "blank.csv"))
    assert not blank.all_right
    assert all(c.problem == "no answer" for _, c in blank.cells() if c.column == "shape")
    for suffix in (".md", ".yaml"):
        path = tmp_path / f"sheet{suffix}"
        made = runner.invoke(app, ["grade", "--template", "googlenet", "-o", str(path), "--columns", "shape,params"])
        assert made.exit_code == 0 and path.exists()
        sheet = read_sheet(path)
        assert sheet.columns == ("shape", "params")
        assert [r.label for r in sheet.rows][:3] == ["Input Layer", "conv1", "pool1"]
        assert "inception_3a" in [r.label for r in sheet.rows]
    bad = runner.invoke(app, ["grade", "--template", "lenet5", "--columns", "shape,colour"])
    assert bad.exit_code == 2 and "colour" in bad.stderr


# --- the precision policy ----------------------------------------------------------------------

PRECISION = [
    # (spec, layer, column, written, sig_figs, strict, right, mistake)
    ("exercise-valid", "Total", "params", "4M", 2, False, False, "too_few_figures"),  # 3,697,962
    ("exercise-valid", "Total", "params", "3M", 2, False, False, "too_few_figures"),
    ("exercise-valid", "Total", "params", "3.7M", 2, False, True, ""),
    ("exercise-valid", "Total", "params", "3.7M", 3, False, False, "too_few_figures"),
    ("exercise-valid", "Total", "params", "3.70M", 3, False, True, ""),
    ("exercise-valid", "Total", "params", "3,697,962", 5, True, True, ""),
    ("exercise-valid", "Total", "params", "3.698M", 2, True, False, "too_few_figures"),
    ("exercise-valid", "conv1", "params", "1K", 2, False, False, "too_few_figures"),  # (3*3*3+1)*32 = 896
    ("exercise-valid", "conv1", "params", "0.90K", 2, False, True, ""),
    ("vgg16", "Total", "params", "140M", 2, False, False, ""),  # 138,357,544: "140M" claims 140.0 M
    ("vgg16", "Total", "params", "138M", 2, False, True, ""),  # without the biases 138,344,128: same 3 figures
    ("lenet5", "FC3", "params", "48K", 2, False, False, ""),  # 48,120 or 48,000: ambiguous, neither way
    ("lenet5", "FC3", "params", "48.1K", 2, False, True, ""),
    ("lenet5", "FC3", "params", "48,000", 2, False, False, "forgot_bias"),
]


@pytest.mark.parametrize(("spec", "layer", "column", "written", "sig_figs", "strict", "right", "mistake"), PRECISION)
def test_the_precision_policy(
    spec: str, layer: str, column: str, written: str, sig_figs: int, strict: bool, right: bool, mistake: str
) -> None:
    sheet = read_sheet_text(f'layer,{column}\n{layer},"{written}"\n', "p.csv")
    result = Grader(load_spec(spec), Conventions(), Precision(sig_figs=sig_figs, strict=strict)).grade(sheet)
    graded_cell = cell(result, layer, column)
    assert graded_cell.right is right, graded_cell.verdict()
    assert graded_cell.mistakes == ((mistake,) if mistake else ()), graded_cell.verdict()


def test_grade_options_sig_figs_and_strict(tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nCONV1,608\nPOOL1,0\nCONV2,3216\nPOOL2,0\nFC3,48.1K\nFC4,10164\nSoftmax,850\n")
    assert runner.invoke(app, ["grade", "lenet5", str(sheet)]).exit_code == 0
    strict = runner.invoke(app, ["grade", "lenet5", str(sheet), "--strict"])
    assert strict.exit_code == 1 and "--strict asks for the exact number" in strict.stdout
    more = runner.invoke(app, ["grade", "lenet5", str(sheet), "--sig-figs", "4"])
    assert more.exit_code == 1 and "at least 4 asked" in more.stdout
    bad = runner.invoke(app, ["grade", "lenet5", str(sheet), "--sig-figs", "0"])
    assert bad.exit_code == 2


# --- alignment by layer identity ---------------------------------------------------------------


def test_a_missing_row_is_missing_and_never_absorbed_by_the_next() -> None:
    # CONV2's row left out; FC3's params 51,336 = FC3 48,120 + CONV2 3,216
    sheet = read_sheet_text(
        "layer,shape,params\nCONV1,28x28x8,608\nPOOL1,14x14x8,0\nPOOL2,5x5x16,0\nFC3,120,51336\nFC4,84,10164\n",
        "merged.csv",
    )
    result = grader("lenet5").grade(sheet)
    fc3 = cell(result, "FC3", "params")
    assert not fc3.right and fc3.mistakes == ("merged_rows",) and "3,216" in fc3.detail
    assert "CONV2" in result.missing and not result.all_right
    assert [row.layers for row in result.rows] == [("CONV1",), ("POOL1",), ("POOL2",), ("FC3",), ("FC4",)]


def test_an_extra_row_is_reported_extra() -> None:
    sheet = read_sheet_text("layer,params\nCONV1,608\nDropout,0\nCONV2,3216\n", "extra.csv")
    result = grader("lenet5").grade(sheet)
    assert result.extra == ((3, "Dropout"),)
    assert [row.layers for row in result.rows] == [("CONV1",), ("CONV2",)]


@pytest.mark.parametrize(
    "text",
    [
        "{rows: [{layer: conv1, shape: 999x999x32, params: 864}], total: {params: 3697962}}\n",
        json.dumps({"rows": [{"layer": "conv1", "shape": "999x999x32", "params": 864}], "total": {"params": 3697962}}),
    ],
)
def test_one_line_sheets_are_graded_cell_by_cell(text: str) -> None:
    # exercise-valid conv1: 32 filters 3x3 on 128x128x3, valid: 126x126x32, (3*3*3+1)*32 = 896
    result = grader("exercise-valid").grade(read_sheet_text(text, "one.yaml"))
    assert [(row.label, c.column, c.right) for row, c in result.cells()] == [
        ("conv1", "shape", False),
        ("conv1", "params", False),
        ("Total", "params", True),
    ]
    assert cell(result, "conv1", "params").mistakes == ("forgot_bias",)  # 3*3*3*32 = 864


# --- root causes, each with the arithmetic that gives the student's number ---------------------


def test_alexnet_with_the_papers_224_input() -> None:
    # floor((224 - 11)/4) + 1 = 54: the paper's 224 instead of 227; 227 gives (227 - 11)/4 + 1 = 55
    for column, written in (("shape", "54x54x96"), ("size", "279936")):  # 54*54*96 = 279,936
        result = grader("alexnet-cs231n").grade(read_sheet_text(f"layer,{column}\nCONV1,{written}\n", "a.csv"))
        found = cell(result, "CONV1", column)
        assert found.mistakes == ("input_224",), found.verdict()
    assert "224" in found.detail
    typed = grader("alexnet-cs231n").grade(read_sheet_text("layer,shape\nInput,224x224x3\nCONV1,54x54x96\n", "b.csv"))
    assert cell(typed, "Input", "shape").mistakes == ("input_224",)
    assert cell(typed, "CONV1", "shape").mistakes == ("carried",)  # right on the student's own 224


def test_height_and_width_swapped(tmp_path: Path) -> None:
    spec = tmp_path / "wide.yaml"
    spec.write_text("name: wide\ninput: 32x64x3\nlayers:\n  - {kind: conv, name: conv1, filters: 8, kernel: 5}\n")
    # (32 - 5)/1 + 1 = 28 high, (64 - 5)/1 + 1 = 60 wide
    result = Grader(load_spec(str(spec))).grade(read_sheet_text("layer,shape\nconv1,60x28x8\n", "s.csv"))
    found = cell(result, "conv1", "shape")
    assert found.mistakes == ("swapped_hw",) and "height 28, width 60" in found.detail


def test_flops_given_as_macs_and_macs_as_flops() -> None:
    # CONV1: 28*28*8 outputs x 5*5*3 = 470,400 MACs; 2 x 470,400 = 940,800
    result = grader("lenet5").grade(read_sheet_text("layer,macs\nCONV1,940800\n", "m.csv"))
    assert cell(result, "CONV1", "macs").mistakes == ("flops_not_macs",)
    assert "2 x 470,400" in cell(result, "CONV1", "macs").detail
    result = grader("lenet5").grade(read_sheet_text("layer,flops\nCONV1,470400\n", "f.csv"))
    assert cell(result, "CONV1", "flops").mistakes == ("macs_not_flops",)


def test_a_flatten_row_is_graded_it_has_no_parameters() -> None:
    # lenet5 flattens inside FC3: a "Flatten" row is 5*5*16 = 400 values and 0 parameters
    sheet = read_sheet_text("layer,shape,params\nPOOL2,5x5x16,0\nFlatten,400,400\nFC3,120,48120\n", "fl.csv")
    result = grader("lenet5").grade(sheet)
    assert cell(result, "Flatten", "shape").right
    assert cell(result, "Flatten", "params").mistakes == ("flatten_params",)
    assert not result.extra


def test_the_exercises_fully_connected_layer_is_fc1() -> None:
    # 000: "a fully connected layer with 128 neurons": 30*30*32*128 + 128 = 3,686,528; with the
    # 10 outputs (128*10 + 10 = 1,290) the fully connected layers are 3,687,818
    def total(label: str, written: str) -> CellResult:
        result = grader("exercise-valid").grade(read_sheet_text(f"layer,params\n{label},{written}\n", "e.csv"))
        return cell(result, label, "params")

    assert total("Fully connected layer", "3686528").right
    assert total("Fully connected layer", "3687818").right  # read as both dense layers, and said so
    assert total("Fully connected layers", "3687818").right
    assert total("Fully connected layers", "3686528").mistakes == ("output_layer_left_out",)


def test_stride_4_on_a_pool_is_named() -> None:
    # the slide's "stride = 4" on every layer: POOL1 (55 - 3)/4 + 1 = 14
    sheet = read_sheet_text("layer,shape\nCONV1,55x55x96\nPOOL1,14x14x96\n", "s.csv")
    found = cell(grader("alexnet-cs231n").grade(sheet), "POOL1", "shape")
    assert found.mistakes == ("stride_4",), found.verdict()


def test_a_number_no_known_mistake_gives_says_so() -> None:
    found = cell(grader("lenet5").grade(read_sheet_text("layer,params\nCONV1,777\n", "x.csv")), "CONV1", "params")
    assert not found.right and found.mistakes == ()
    assert "no common mistake gives 777" in found.verdict()


# --- the class view ----------------------------------------------------------------------------

LENET_ROWS = [  # 001's table: shape, size, params
    ("Input", "32x32x3", "3072", "0"),
    ("CONV1", "28x28x8", "6272", "608"),
    ("POOL1", "14x14x8", "1568", "0"),
    ("CONV2", "10x10x16", "1600", "3216"),
    ("POOL2", "5x5x16", "400", "0"),
    ("FC3", "120", "120", "48120"),
    ("FC4", "84", "84", "10164"),
    ("Softmax", "10", "10", "850"),
]


def lenet_sheet(rows: list[tuple[str, str, str, str]]) -> str:
    return "layer,shape,size,params\n" + "".join(",".join(r) + "\n" for r in rows)


def test_missing_answers_count_as_missing() -> None:
    # CONV1's row alone: the other layers with weights (CONV2, FC3, FC4, and the Softmax row's
    # dense layer) are asked and unanswered; the input and the pools, which have none, may be left out
    one_row = grader("lenet5").grade(read_sheet_text(lenet_sheet(LENET_ROWS[1:2]), "one.csv"))
    assert one_row.score.right == 3 and one_row.score.graded == 15
    assert one_row.score.missing == 12 and not one_row.all_right
    # a blank template handed back: nothing right, not the zeros of the pools and the input
    blank = grader("lenet5").grade(read_sheet_text(lenet_sheet([(r[0], "", "", "") for r in LENET_ROWS]), "b.csv"))
    assert blank.score.right == 0 and blank.score.missing == blank.score.graded == 24
    assert {c.status for _, c in blank.cells()} == {"missing"}


def test_the_class_counts_cells_by_layer_not_by_spelling(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for name, label in (("a.csv", "FC3"), ("b.csv", "fc3"), ("c.csv", "Fc3 (dense)")):
        rows = [r if r[0] != "FC3" else (label, "120", "120", "48000") for r in LENET_ROWS]
        (folder / name).write_text(lenet_sheet(rows))
    book = tmp_path / "book.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(folder), "--gradebook", str(book)])
    assert result.exit_code == 1
    assert "Cells most often wrong: FC3 params (3 sheets)" in result.stdout
    with book.open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [row["FC3 params"] for row in table] == ["wrong"] * 3
    assert [row["CONV1 params"] for row in table] == ["right"] * 3
    assert table[0]["right"] == "23" and table[0]["asked"] == "24" and table[0]["percent"] == "95.8"
    # the same order every run: the network's, then the columns'
    header = list(table[0])
    assert header[5:8] == ["input shape", "input size", "input params"]


def test_gradebook_statuses_and_feedback_files(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.csv").write_text(lenet_sheet(LENET_ROWS))
    rows = [r if r[0] != "CONV2" else ("CONV2", "9x9x16", "1296", "3216") for r in LENET_ROWS]  # 14 - 5 = 9
    rows = [r if r[0] != "POOL2" else ("POOL2", "4x4x16", "256", "0") for r in rows]  # floor(9/2) = 4
    (folder / "=evil.csv").write_text("Student: =HYPERLINK(1)\n" + lenet_sheet(rows[:5]))
    book, notes = tmp_path / "book.csv", tmp_path / "notes"
    args = ["grade", "lenet5", str(folder), "--gradebook", str(book), "--feedback", str(notes)]
    assert runner.invoke(app, args).exit_code == 1
    text = book.read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and "'=evil.csv" in text  # no formula in a spreadsheet
    table = {row["file"]: row for row in csv.DictReader(io.StringIO(text))}
    evil = table["'=evil.csv"]
    assert evil["CONV2 shape"] == "wrong" and evil["POOL2 shape"] == "carried forward"
    assert evil["FC3 params"] == "missing" and table["ok.csv"]["FC3 params"] == "right"
    feedback = (notes / "=evil.feedback.md").read_text(encoding="utf-8")
    assert feedback.startswith("# Feedback: =HYPERLINK(1)")
    assert "## Layers with no row" in feedback and "FC3" in feedback
    assert (notes / "ok.feedback.md").read_text(encoding="utf-8").count("all right") == 1
    # never over an existing file without --force, never over a sheet even with it
    assert runner.invoke(app, args).exit_code == 2
    assert runner.invoke(app, [*args, "--force"]).exit_code == 1
    inside = ["grade", "lenet5", str(folder / "ok.csv"), "--gradebook", str(folder / "ok.csv"), "--force"]
    assert runner.invoke(app, inside).exit_code == 2 and (folder / "ok.csv").read_text() == lenet_sheet(LENET_ROWS)


def test_read_sheet_takes_a_str_path(tmp_path: Path) -> None:
    path = tmp_path / "bob.csv"
    path.write_text(lenet_sheet(LENET_ROWS))
    assert read_sheet(str(path)).rows[1].label == "CONV1"


def test_feedback_never_goes_through_a_link(tmp_path: Path) -> None:
    sheet = tmp_path / "bob.csv"
    sheet.write_text(lenet_sheet(LENET_ROWS))
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    result = runner.invoke(app, ["grade", "lenet5", str(sheet), "--feedback", str(tmp_path / "link")])
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert not list(real.iterdir())
