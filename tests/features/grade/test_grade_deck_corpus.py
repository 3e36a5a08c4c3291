"""The measurement of issue 22's "Done when": sheets of every table in the lecture decks, graded.

deck_sheets.py generates, for each deck table (the 128x128 exercise valid and same, LeNet-5 of
001, AlexNet of 002 and of 004, VGG-16's memory table, GoogLeNet's table, ResNet-50 by stage and
its first bottleneck), right sheets in every format and way of writing numbers, and sheets with
each catalogued mistake injected, each cell with the teacher's verdict worked by hand. This test
grades them all and holds the grader to: no right answer marked wrong, no wrong answer marked
right, and at least 97% of the injected mistakes named right. Run with -s to see the figures.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from fractions import Fraction
from functools import cache
from math import prod
from pathlib import Path

import pytest
from deck_sheets import RESNET50_PARAMS, TABLES, Sheet, Table, corpus, deck_rounding, indian, out_size

from cnncalc.core.conventions import Conventions
from cnncalc.features.grade import CellResult, Grader, GradeResult
from cnncalc.features.grade.cells import Precision
from cnncalc.features.grade.labels import name_key
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"


def arithmetic(expression: str) -> int:
    """The value of a deck's '(11*11*3+1)*96': integers, + and * only."""

    def value(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return value(node.left) * value(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return value(node.left) + value(node.right)
        raise ValueError(expression)

    return value(ast.parse(expression.strip(), mode="eval").body)


#: the decks' own roundings, as data in the repository (the decks themselves live outside it)
ROUNDINGS = Path(__file__).resolve().parents[2] / "data" / "lecture-roundings.tsv"


@cache
def lecture_roundings() -> frozenset[tuple[str, int]]:
    """(figure, the value it stands for) of every work-then-rounding the decks write: 002's
    "224\\*224\\*64=3.2M" and "(11 \\times 11 \\times 3) \\times 96 = 35K", 004's
    "[(11 \\times 11 \\times 3) + 1] \\times 96 = 35 \\text{ K}". A rounding the lecture itself
    uses for that value is right, never ambiguous."""
    lines = [line for line in ROUNDINGS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    return frozenset((figure, arithmetic(work)) for _, work, figure in rows)


def roundings_in_the_decks() -> frozenset[tuple[str, str, str]]:
    """(deck, work, figure) as the seeds write them: what tests/data/lecture-roundings.tsv holds."""
    found: set[tuple[str, str, str]] = set()
    for path in sorted(SEEDS.glob("00[24]_*.txt")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"((?:[\d()\[\]+ *]|\\\*|\\times)+)=\s*([\d.]+)\s*(?:\\text\{\s*)?([KM])\b", text):
            expression = m.group(1).replace("\\times", "*").replace("\\*", "*").replace("[", "(").replace("]", ")")
            if re.search(r"\d\s*\)?\s*\*", expression):
                found.add((path.name[:3], re.sub(r"\s+", "", expression), m.group(2) + m.group(3)))
    return frozenset(found)


def test_the_roundings_file_holds_the_decks_own() -> None:
    if not SEEDS.is_dir():
        pytest.skip("the lecture decks (shared/seeds) are not beside this checkout")
    lines = [line for line in ROUNDINGS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert {tuple(line.split("\t")) for line in lines[1:] if line.strip()} == roundings_in_the_decks()


def table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def figures(name: str, column: str) -> list[int]:
    return [getattr(r, column) for r in table(name).rows() if r.layer.label not in table(name).hidden]


# --- the hand arithmetic against the decks' own figures ---------------------------------------


def test_the_hand_arithmetic_gives_the_decks_figures() -> None:
    # 001 "CNN-Example to calculate parameters": sizes and parameters, row by row
    assert figures("lenet5-001", "size") == [3072, 6272, 1568, 1600, 400, 120, 84, 10]
    assert figures("lenet5-001", "params") == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    # 000 exercise: totals worked in tests/core/test_golden.py from the slide's formulas
    assert table("exercise-valid").total("params") == 3_697_962
    assert table("exercise-same").total("params") == 4_205_866
    assert [r.shape for r in table("exercise-valid").rows()][1:5] == [
        (126, 126, 32),
        (63, 63, 32),
        (61, 61, 32),
        (30, 30, 32),
    ]
    # 002 AlexNet: [55x55x96] CONV1, [27x27x96] MAX POOL1, ..., [6x6x256] MAX POOL3
    shapes = {r.layer.label: r.shape for r in table("alexnet-002").rows()}
    assert shapes["CONV1"] == (55, 55, 96) and shapes["CONV2"] == (27, 27, 256) and shapes["MAX POOL3"] == (6, 6, 256)
    # 004: neurons 27x27x256 = 186,624, 13x13x384 = 64,896; params 307K, 884K (weights) and the
    # Caffe total 60,965,224 (with biases)
    assert figures("alexnet-004", "size")[1:4] == [186_624, 64_896, 64_896]
    assert table("alexnet-004").total("params") == 60_965_224
    # 002 VGG-16 (not counting biases): 1,728, 36,864, ..., 102,760,448; memory 224*224*64 = 3.2M
    vgg = figures("vgg16-002", "params")
    assert vgg[1:3] == [1_728, 36_864] and vgg[-3:] == [102_760_448, 16_777_216, 4_096_000]
    assert deck_rounding(figures("vgg16-002", "size")[1]) == "3.2M"
    # 002 GoogLeNet, params with K = 1,024 as the table writes them: 3a 159K (cut), 3b 380K (rounded)
    google = {r.layer.label: r for r in reversed(table("googlenet-002").rows())}  # the first of a label
    assert google["inception (3a)"].params // 1024 == 159 and round(google["inception (3b)"].params / 1024) == 380
    assert round(google["convolution"].macs / 10**6) == 118  # the deck's "34M" is an erratum (#10)
    assert google["inception (3a)"].macs // 10**6 == 128 and google["linear"].params // 1024 == 1000
    # ResNet-50 by hand equals torchvision's published count
    resnet = table("resnet50-stages").rows()
    assert sum(r.params for r in resnet) == RESNET50_PARAMS
    assert out_size(224, 7, 2, 3) == 112 and out_size(112, 3, 2, 1) == 56


def test_numbers_are_written_as_the_decks_and_other_conventions_write_them() -> None:
    assert [deck_rounding(n) for n in (34_944, 1_605_632, 802_816, 150_528, 608)] == [
        "35K",
        "1.6M",
        "803K",
        "151K",
        "608",
    ]
    assert indian(138_357) == "1,38,357" and indian(3_686_528) == "36,86,528" and indian(62_958) == "62,958"


# --- grading the corpus ------------------------------------------------------------------------


@cache
def grader(spec: str, bias: bool, sig_figs: int, strict: bool = False) -> Grader:
    return Grader(load_spec(spec), Conventions(bias=bias), Precision(sig_figs=sig_figs, strict=strict))


def graded(sheet: Sheet, strict: bool = False) -> GradeResult:
    t = sheet.table
    return grader(t.spec, t.bias, t.sig_figs, strict).grade(read_sheet_text(sheet.text(), sheet.name + sheet.suffix))


def rounded_to(written: str, value: int) -> bool:
    """Whether `value` rounds to a deck rounding ('35K', '1.6M') at its precision."""
    unit = {"K": 1000, "M": 10**6}.get(written[-1:], 1)
    if unit == 1:
        return False
    number = written[:-1]
    decimals = len(number.partition(".")[2])
    return abs(Fraction(number) * unit - value) * 2 <= Fraction(unit, 10**decimals)


def alternatives(t: Table, label: str, nth: int, column: str) -> list[int]:
    """The figures the catalogued mistakes give for one cell, worked by hand: what a rounded
    answer must not be taken for (the biases, the input depth, the + 1, the padding)."""
    rows = [r for r in t.rows() if r.layer.label == label]
    r = rows[nth]
    layer = r.layer
    out: list[int] = []
    if column == "params" and layer.kind in ("conv", "fc", "block"):
        out.append(r.params - t.biases(r) if t.bias else r.params + (layer.k if layer.kind != "block" else 0))
        if layer.kind == "conv" and r.inp[-1] > 1:
            out.append((layer.f * layer.f + (layer.bias and t.bias)) * layer.k)
        if layer.kind == "conv" and not layer.bias and t.bias:
            out.append(r.params + layer.k)
    if column == "size" and len(r.shape) == 3 and layer.kind in ("conv", "pool"):
        h, w, c = r.shape
        out += [(h - 1) * (w - 1) * c, (h + 1) * (w + 1) * c]
        if layer.kind == "conv" and layer.s == 1 and layer.f > 1:
            other = 0 if layer.p else (layer.f - 1) // 2
            n = out_size(r.inp[0], layer.f, 1, other)
            out.append(n * n * c)
    return [v for v in out if v != getattr(r, column) and f"{v:.3g}" != f"{getattr(r, column):.3g}"]


def expected_status(sheet: Sheet, label: str, nth: int, column: str, cell_status: str, text: str) -> set[str]:
    """The statuses a careful teacher accepts for one cell: a rounding that a catalogued mistake
    also gives is "ambiguous" (write one more digit), never right or wrong."""
    if cell_status != "right" or sheet.numbers != "deck" or column == "shape":
        return {cell_status}
    t = sheet.table
    if label in [lbl for lbl, _ in t.totals]:
        rows = t.rows()
        picked = [
            r
            for r in rows
            if {"Convolutional layers": "conv", "Fully connected layers": "fc"}.get(label, r.layer.kind) == r.layer.kind
        ]
        truth = sum(r.params for r in picked)
        without = truth - sum(t.biases(r) for r in picked)  # the biases forgotten (or counted)
        other = without if t.bias else truth + sum(t.biases(r) for r in picked)
        ambiguous = f"{other:.3g}" != f"{truth:.3g}" and rounded_to(text, other)
        return {"ambiguous" if ambiguous else "right"}
    truth = getattr([r for r in t.rows() if r.layer.label == label][nth], column)
    if (text, truth) in lecture_roundings():  # as the deck itself writes this value
        return {"right"}
    if any(rounded_to(text, v) for v in alternatives(t, label, nth, column)):
        return {"ambiguous"}
    return {"right"}


class Tally:
    def __init__(self) -> None:
        self.verdicts = Counter[str]()
        self.problems: list[str] = []

    def check(self, sheet: Sheet, result: GradeResult) -> None:
        got = list(result.rows)
        seen: Counter[str] = Counter()
        for row in sheet.rows:
            nth = seen[row.label]
            seen[row.label] += 1
            match = next((g for g in got if g.label.strip() == row.label), None)
            if match is not None:
                got.remove(match)
            cells: dict[str, CellResult] = {c.column: c for c in match.cells} if match is not None else {}
            for column, want in row.cells.items():
                accepted = expected_status(sheet, row.label, nth, column, want.status, want.text)
                cell = cells.get(column)
                status = cell.status if cell is not None else "not graded"
                kind = "right" if accepted & {"right", "ambiguous"} else "wrong"
                self.verdicts[f"{kind} cells"] += 1
                self.verdicts["ambiguous expected"] += "ambiguous" in accepted
                ok = status in accepted
                if not ok:
                    what = "right answer marked wrong" if kind == "right" else "wrong answer not marked wrong"
                    if kind == "right" and status == "ambiguous":
                        what = "right answer flagged ambiguous"
                    if kind == "right" and status == "right":
                        what = "ambiguous rounding marked right"
                    self.verdicts[what] += 1
                    self.problems.append(
                        f"{sheet.name}: {row.label} {column} {want.text!r}: {what} "
                        f"({cell.verdict() if cell else status})"
                    )
                self.verdicts["verdicts right"] += ok
                if want.mistake is None:
                    continue
                self.verdicts["mistakes"] += 1
                named = cell is not None and (
                    want.mistake in cell.mistakes if want.status == "wrong" else cell.status == "carried"
                )
                missing = {name_key(m) for m in result.missing}
                named = named and all(name_key(m) in missing for m in sheet.missing)
                self.verdicts["mistakes named"] += named
                if not named:
                    self.verdicts[f"unnamed {want.mistake}"] += 1
                    why = cell.verdict() if cell else status
                    self.problems.append(
                        f"{sheet.name}: {row.label} {column} {want.text!r}: {want.mistake} not named "
                        f"({why}; missing {result.missing})"
                    )


@cache
def tally() -> Tally:
    t = Tally()
    for sheet in corpus():
        t.check(sheet, graded(sheet))
    return t


def test_the_corpus_covers_every_deck_table_format_and_mistake() -> None:
    sheets = corpus()
    assert {s.table.name for s in sheets} == {t.name for t in TABLES}
    assert {s.fmt for s in sheets} >= {"csv", "semicolon", "md", "yaml", "txt"}
    assert {s.numbers for s in sheets} == {"plain", "commas", "deck", "german", "indian"}
    kinds = {s.kind for s in sheets}
    assert kinds >= {
        "right",
        "partial",
        "forgot_bias",
        "counted_bias",
        "bias_on_bias_free",
        "forgot_input_depth",
        "ignored_groups",
        "pool_params",
        "flops_not_macs",
        "ceil_not_floor",
        "wrong_padding",
        "wrong_padding+carried",
        "off_by_one",
        "off_by_one+carried",
        "stride_4",
        "merged_rows",
        "total_forgot_bias",
        "total_sum_of_rows",
        "output_layer_left_out",
        "input_224",
        "too_few_figures",
    }
    assert len(sheets) >= 300


def test_every_verdict_on_the_deck_sheets_is_the_teachers() -> None:
    t = tally()
    v = t.verdicts
    graded_cells = v["right cells"] + v["wrong cells"]
    print(
        f"\ndeck corpus: {len(corpus())} sheets, {graded_cells} cells; verdicts right {v['verdicts right']}/"
        f"{graded_cells}; right answers marked wrong {v['right answer marked wrong']}; wrong answers not marked "
        f"wrong {v['wrong answer not marked wrong']}; ambiguous roundings {v['ambiguous expected']}; "
        f"mistakes named {v['mistakes named']}/{v['mistakes']}"
    )
    for line in t.problems[:40]:
        print("  " + line)
    assert v["right answer marked wrong"] == 0
    assert v["wrong answer not marked wrong"] == 0
    assert v["mistakes named"] >= 0.97 * v["mistakes"]
    assert v["verdicts right"] == graded_cells  # ambiguous roundings flagged exactly where a mistake hides


@pytest.mark.parametrize("name", [t.name for t in TABLES])
def test_a_right_sheet_of_each_table_is_all_right(name: str) -> None:
    sheet = next(s for s in corpus() if s.table.name == name and s.name.endswith("-right-csv-plain"))
    result = graded(sheet)
    assert all(cell.status == "right" for _, cell in result.cells()), [c.verdict() for _, c in result.cells()]
    assert not result.extra


def test_under_strict_an_ambiguous_rounding_is_wrong() -> None:
    sheet = next(s for s in corpus() if s.name == "lenet5-001-right-csv-deck")
    fc3 = next(c for r, c in graded(sheet, strict=True).cells() if r.label == "FC3" and c.column == "params")
    assert fc3.written == "48K" and fc3.status == "wrong"


def test_sizes_are_the_hand_products() -> None:
    for t in TABLES:
        for r in t.rows():
            assert r.size == prod(r.shape)
