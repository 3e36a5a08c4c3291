"""The assignment file as a teacher edits it (issue 22, item 1): its conventions, precision
policy and partial credit honoured by grading, the command line overriding them out loud, a
JSON Schema that validates it, and located errors for a bad one.

Figures are the 001 table's LeNet-5, worked by hand from its formulas: params CONV1
(5*5*3+1)*8 = 608, CONV2 (5*5*8+1)*16 = 3,216, FC3 400*120+120 = 48,120, FC4 120*84+84 =
10,164, Softmax 84*10+10 = 850; without the biases 600, 3,200, 48,000, 10,080, 840 (62,720 in
all). CONV1's
output is 28*28*8 = 6,272 values, 25,088 bytes in float32.
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.grade.assignment import read_assignment, score
from cnncalc.features.grade.assignment_schema import assignment_schema_text
from cnncalc.features.grade.sheet import SheetError

runner = CliRunner()
SHIPPED = resources.files("cnncalc") / "schema" / "assignment.schema.json"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "class"


def assign(tmp_path: Path, *args: str, name: str = "hw1.yaml") -> Path:
    out = tmp_path / name
    done = runner.invoke(app, ["assign", *args, "-o", str(out)])
    assert done.exit_code == 0, done.output
    return out


def edit(path: Path, **changes: str) -> Path:
    """Replace `key: value` lines of the written file, as a teacher would in an editor."""
    lines = path.read_text().splitlines()
    for key, value in changes.items():
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at] = f"{indent}{key}: {value}"
    path.write_text("\n".join(lines) + "\n")
    return path


def marks(hw: Path, sheet: Path, *extra: str) -> tuple[dict[str, Any], str]:
    done = runner.invoke(app, ["grade", str(hw), str(sheet), "--format", "json", *extra])
    assert done.exit_code in (0, 1), done.output
    return json.loads(done.stdout)["assignment"], done.stderr


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {q["id"]: q["status"] for q in doc["questions"]}


# --- the file: written, read, graded ----------------------------------------------------------


def test_the_written_file_round_trips_and_grades(tmp_path: Path) -> None:
    out = assign(tmp_path, "lenet5", "--rows", "CONV1,FC3", "--column-points", "params=2")
    a = read_assignment(out.read_text(), str(out))
    assert a.conventions.bias and (a.conventions.k, a.conventions.mb) == ("either", "either")
    assert (a.precision.sig_figs, a.precision.strict, a.precision.ambiguous) == (2, False, "flag")
    assert a.carried_forward == 0
    # what is read writes back the same file
    from cnncalc.features.grade.assignment import assignment_yaml

    assert assignment_yaml(a) == out.read_text()
    again = tmp_path / "again.yaml"
    again.write_text(assignment_yaml(a))
    assert replace(read_assignment(again.read_text(), str(again)), path=a.path) == a
    sheet = tmp_path / "s.csv"
    sheet.write_text("Layer,Activation Shape,Activation Size,# Parameters\nCONV1,28x28x8,6272,608\nFC3,120,120,48120\n"
                     "Total,,,62958\n")  # fmt: skip
    doc, _ = marks(out, sheet)
    assert doc["points"] == doc["max_points"] == 2 * (1 + 1 + 2) + 2  # shape, size 1 each, params 2; Total.params


def test_bias_convention_in_the_file(tmp_path: Path) -> None:
    hw = edit(assign(tmp_path, "lenet5", "--columns", "params", "--rows", "CONV1,CONV2,FC3"), bias="false")
    sheet = tmp_path / "w.csv"
    sheet.write_text("layer,params\nCONV1,600\nCONV2,3200\nFC3,48000\nTotal,62720\n")  # weights only
    doc, _ = marks(hw, sheet)
    assert set(statuses(doc).values()) == {"right"}
    # the same sheet under the file's default (biases counted) is wrong
    doc, _ = marks(edit(hw, bias="true"), sheet)
    assert statuses(doc)["FC3.params"] == "wrong"


@pytest.mark.parametrize(
    ("k", "right", "wrong"),
    [
        # 3,216 = 3.216 K (K = 1,000) = 3.14 K (K = 1,024: 3,216 / 1,024 = 3.1406)
        ("either", ["3.22K", "3.14K"], []),
        ("1000", ["3.22K"], ["3.14K"]),
        ("1024", ["3.14K"], ["3.22K"]),
    ],
)
def test_what_k_means_is_the_files(tmp_path: Path, k: str, right: list[str], wrong: list[str]) -> None:
    hw = edit(assign(tmp_path, "lenet5", "--columns", "params", "--rows", "CONV2", "--total", ""), k=k)
    for written, expected in [(w, "right") for w in right] + [(w, "wrong") for w in wrong]:
        sheet = tmp_path / "k.csv"
        sheet.write_text(f"layer,params\nCONV2,{written}\n")
        doc, _ = marks(hw, sheet)
        assert statuses(doc) == {"CONV2.params": expected}, (k, written)


@pytest.mark.parametrize(
    ("mb", "right", "wrong"),
    [
        # CONV1's output: 25,088 bytes = 25.1 kB (10^3) = 24.5 KiB (25,088 / 1,024 = 24.5)
        ("either", ["25.1 kB", "24.5 kB", "24.5 KiB"], []),
        ("MB", ["25.1 kB", "24.5 KiB"], ["24.5 kB"]),
        ("MiB", ["24.5 kB", "24.5 KiB"], ["25.1 kB"]),
    ],
)
def test_what_mb_means_is_the_files(tmp_path: Path, mb: str, right: list[str], wrong: list[str]) -> None:
    hw = edit(assign(tmp_path, "lenet5", "--columns", "memory", "--rows", "CONV1", "--total", ""), mb=mb)
    for written, expected in [(w, "right") for w in right] + [(w, "wrong") for w in wrong]:
        sheet = tmp_path / "m.csv"
        sheet.write_text(f"layer,memory\nCONV1,{written}\n")
        doc, _ = marks(hw, sheet)
        assert statuses(doc) == {"CONV1.memory": expected}, (mb, written)


def test_a_mib_figure_under_mb_is_named(tmp_path: Path) -> None:
    hw = edit(assign(tmp_path, "lenet5", "--columns", "memory", "--rows", "CONV1", "--total", ""), mb="MB")
    sheet = tmp_path / "m.csv"
    sheet.write_text("layer,memory\nCONV1,24.5 kB\n")
    done = runner.invoke(app, ["grade", str(hw), str(sheet), "--format", "json"])
    cell = json.loads(done.stdout)["rows"][0]["cells"][0]
    assert cell["mistakes"] == ["mib_as_mb"] and "24.50 KiB" in cell["detail"]


# --- the precision policy, and the command line over it ----------------------------------------


def test_sig_figs_in_the_file_and_the_option_over_it(tmp_path: Path) -> None:
    hw = assign(tmp_path, "lenet5", "--columns", "params", "--rows", "FC3", "--total", "")
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nFC3,48.1K\n")  # 3 figures of 48,120
    assert statuses(marks(hw, sheet)[0]) == {"FC3.params": "right"}
    edit(hw, sig_figs="4")
    assert statuses(marks(hw, sheet)[0]) == {"FC3.params": "wrong"}
    doc, err = marks(hw, sheet, "--sig-figs", "3")
    assert statuses(doc) == {"FC3.params": "right"}
    assert "note: --sig-figs 3 overrides the assignment's" in err and "precision.sig_figs: 4" in err
    # the same value as the file's says nothing
    assert "note:" not in marks(hw, sheet, "--sig-figs", "4")[1]


def test_strict_in_the_file_and_the_options_over_it(tmp_path: Path) -> None:
    hw = edit(assign(tmp_path, "lenet5", "--columns", "params", "--rows", "FC3", "--total", ""), strict="true")
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nFC3,48.1K\n")
    assert statuses(marks(hw, sheet)[0]) == {"FC3.params": "wrong"}
    doc, err = marks(hw, sheet, "--no-strict")
    assert statuses(doc) == {"FC3.params": "right"} and "--no-strict overrides" in err
    edit(hw, strict="false")
    doc, err = marks(hw, sheet, "--strict")
    assert statuses(doc) == {"FC3.params": "wrong"} and "--strict overrides" in err


@pytest.mark.parametrize(
    ("policy", "status", "points", "possible"),
    [("flag", "ambiguous", None, 0), ("right", "right", 1, 1), ("wrong", "wrong", 0, 1)],
)
def test_the_ambiguous_rule(tmp_path: Path, policy: str, status: str, points: float | None, possible: float) -> None:
    # "3.2K" is 3,216 to 2 figures, and also 3,200, CONV2 without its 16 biases
    hw = edit(assign(tmp_path, "lenet5", "--columns", "params", "--rows", "CONV2", "--total", ""), ambiguous=policy)
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nCONV2,3.2K\n")
    doc, _ = marks(hw, sheet)
    assert statuses(doc) == {"CONV2.params": status}
    assert doc["questions"][0]["points"] == points and doc["max_points"] == possible


@pytest.mark.parametrize(("share", "earned"), [(0, 4), (0.5, 6), (1, 8)])
def test_partial_credit_for_carried_forward_cells(tmp_path: Path, share: float, earned: float) -> None:
    """erin.csv: CONV2 one pixel short (9x9x16, off by one), then 9*9*16 = 1,296 values, POOL2
    floor(9/2) = 4: 4x4x16 and 256 values, FC3 256*120+120 = 30,840: each right from her own
    wrong shape. Right: CONV2 params, POOL2 params, FC3 shape and size (4 of 9); carried: CONV2
    size, POOL2 shape and size, FC3 params (4); wrong: CONV2 shape."""
    hw = assign(tmp_path, "lenet5", "--rows", "CONV2,POOL2,FC3", "--total", "")
    edit(hw, carried_forward=str(share))
    doc, _ = marks(hw, EXAMPLES / "erin.csv")
    assert list(statuses(doc).values()).count("carried") == 4
    assert statuses(doc)["CONV2.shape"] == "wrong"
    assert doc["points"] == earned and doc["max_points"] == 9


def test_carried_forward_with_another_mistake_earns_nothing(tmp_path: Path) -> None:
    """FC3 from erin's 256 values without the bias: 256*120 = 30,720, carried and forgot_bias."""
    from cnncalc.core.conventions import Conventions
    from cnncalc.features.grade import Grader
    from cnncalc.features.grade.sheet import read_sheet_text
    from cnncalc.spec import load_spec

    hw = edit(assign(tmp_path, "lenet5", "--rows", "FC3", "--columns", "params", "--total", ""), carried_forward="1")
    a = read_assignment(hw.read_text(), str(hw))
    text = (EXAMPLES / "erin.csv").read_text().replace("30840", "30720")
    result = Grader(load_spec("lenet5"), Conventions()).grade(read_sheet_text(text, "e.csv"))
    fc3 = next(c for row, c in result.cells() if row.layers == ("FC3",) and c.column == "params")
    assert set(fc3.mistakes) == {"carried", "forgot_bias"}
    assert score(a, result).points == {"FC3.params": 0.0}


# --- the JSON Schema and cnncalc's own validation ----------------------------------------------

GOOD = [
    "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\n",
    "cnncalc_assignment: 1\nnetwork: lenet5\nrows: []\ntotal: [params, macs]\n",
    "cnncalc_assignment: 1\ntitle: 7\nnetwork: lenet5\nrows: [CONV1, FC3]\ncolumns: [shape, memory]\n"
    "conventions: {bias: false, k: 1024, mb: MiB}\nprecision: {sig_figs: 3, strict: true, ambiguous: wrong}\n"
    "points: 0.5\ncolumn_points: {memory: 2}\ncarried_forward: 0.25\ntotal: []\n",
]

# (file, line, column, words of the message): each a mistake a teacher makes editing the file
BAD = [
    ("cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\npoints: -1\n", 5, 9, "`points`"),
    ("cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params, colour]\n", 4, 19, "'colour'"),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\nprecison: {strict: true}\n",
        5,
        1,
        "did you mean 'precision'",
    ),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\nprecision:\n  sig_figs: 0\n",
        6,
        13,
        "`precision.sig_figs`",
    ),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\nprecision:\n  ambiguous: maybe\n",
        6,
        14,
        "flag, right, wrong",
    ),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\nconventions: {k: 1012}\n",
        5,
        18,
        "`conventions.k`",
    ),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\nconventions: {bias: yes}\n",
        5,
        21,
        "`conventions.bias` is true or false",
    ),
    (
        "cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\ncarried_forward: 50\n",
        5,
        18,
        "`carried_forward`",
    ),
    ("cnncalc_assignment: 2\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\n", 1, 21, "`cnncalc_assignment` is 1"),
    ("cnncalc_assignment: 1\nrows: [CONV1]\ncolumns: [params]\n", 1, 1, "`network`"),
]


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == assignment_schema_text(), (
        "cnncalc/schema/assignment.schema.json is stale: run "
        "`cnncalc schema assignment > cnncalc/schema/assignment.schema.json`"
    )
    done = runner.invoke(app, ["schema", "assignment"])
    assert done.exit_code == 0 and done.stdout == assignment_schema_text()
    assert runner.invoke(app, ["schema", "colour"]).exit_code == 2


def test_the_schema_knows_every_key_the_reader_knows() -> None:
    from cnncalc.features.grade.assignment import CONVENTION_KEYS, KEYS, PRECISION_KEYS

    props = json.loads(assignment_schema_text())["properties"]
    assert tuple(props) == KEYS
    assert tuple(props["conventions"]["properties"]) == CONVENTION_KEYS
    assert tuple(props["precision"]["properties"]) == PRECISION_KEYS


@pytest.mark.parametrize("text", GOOD)
def test_good_files_pass_both_validations(text: str) -> None:
    read_assignment(text, "hw.yaml")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(text))] == []


def test_every_file_assign_writes_passes_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))
    made = [
        ["lenet5"],
        ["vgg16", "--rows", "totals", "--total", "params,macs"],
        ["alexnet", "--column-points", "size=1"],
    ]
    for i, args in enumerate(made):
        out = assign(tmp_path, *args, name=f"hw{i}.yaml")
        assert [e.message for e in validator.iter_errors(yaml.safe_load(out.read_text()))] == [], args


@pytest.mark.parametrize(("text", "line", "column", "words"), BAD)
def test_bad_files_are_refused_by_both(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(SheetError) as e:
        read_assignment(text, "hw.yaml")
    d = e.value.diagnostics[0]
    assert words in d.message and d.hint
    assert d.location is not None and (d.location.line, d.location.column) == (line, column), d.render()
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))
    data = yaml.safe_load(text)
    if "bias: yes" in text:  # YAML 1.1 (pyyaml) reads `yes` as true; cnncalc reads YAML 1.2, a string
        data["conventions"]["bias"] = "yes"
    assert list(validator.iter_errors(data)), text


def test_a_bad_assignment_on_the_command_line(tmp_path: Path) -> None:
    hw = tmp_path / "hw1.yaml"
    hw.write_text("cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1, CONV9]\ncolumns: [params]\n")
    sheet = tmp_path / "s.csv"
    sheet.write_text("layer,params\nCONV1,608\n")
    done = runner.invoke(app, ["grade", str(hw), str(sheet)])
    assert done.exit_code == 2
    assert f"{hw}:3:15: error: row 'CONV9' is not a layer of lenet5" in done.stderr
    assert "hint: did you mean 'CONV" in done.stderr and "the rows are CONV1, POOL1, CONV2" in done.stderr
    hw.write_text("cnncalc_assignment: 1\nnetwork: lenet5\nrows: [CONV1]\ncolumns: [params]\npoints: many\n")
    done = runner.invoke(app, ["grade", str(hw), str(sheet)])
    assert done.exit_code == 2 and f"{hw}:5:9: error: `points`" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.output
