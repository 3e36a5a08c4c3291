"""The output layer: fitted tables that never cut a number, golden tables, formats, escaping."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc import analyze, load_spec
from cnncalc.cli import app
from cnncalc.render.columns import Grid, numeric, text
from cnncalc.render.escape import (
    csv_cell,
    github_data,
    github_line,
    github_property,
    markdown_cell,
    markdown_code,
    terminal,
    xml_text,
)
from cnncalc.render.summary import summary_grid, table_lines
from cnncalc.render.table import render_grid, text_width
from cnncalc.spec import load_spec_text

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
NETWORKS = ("lenet5", "vgg16", "resnet18")
WIDTHS = (80, 100, 200)


def _golden_text(name: str, width: int) -> str:
    return "\n".join(table_lines(analyze(load_spec(name)), width)) + "\n"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NETWORKS)
def test_golden_tables(name: str, width: int) -> None:
    # regenerate after a deliberate change of layout: CNNCALC_REGOLD=1 pytest tests/render/test_render.py
    path = GOLDEN / f"{name}-{width}.txt"
    rendered = _golden_text(name, width)
    if os.environ.get("CNNCALC_REGOLD"):
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def _left_out(rendered: str) -> str:
    note = re.search(r"note: (.*?) left out to fit", " ".join(rendered.split()))
    return note.group(1) if note else ""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", NETWORKS)
def test_every_number_appears_uncut_in_the_golden_tables(name: str, width: int) -> None:
    rendered = (GOLDEN / f"{name}-{width}.txt").read_text(encoding="utf-8")
    grid = summary_grid(analyze(load_spec(name)))
    table_part = rendered.split("\nTotal params:")[0]
    tokens = set(re.findall(r"(?<![\w.,])[\d][\d,.x%]*(?: [KMG]?B)?(?![\w,])", table_part))
    left_out = _left_out(rendered)
    assert "\u2026" not in rendered  # no ellipsis: nothing is ever cut
    for row in [*grid.rows, grid.footer or []]:
        for column, cell in zip(grid.columns, row, strict=True):
            if not column.numeric or cell in ("", "in place"):
                continue
            shown = f"{cell:,}" if isinstance(cell, int) else str(cell)
            if column.note_name in left_out.split(", "):
                continue
            assert shown in tokens, (column.header, shown)
    # the numbers of the totals lines are all there, whatever the width
    report = analyze(load_spec(name))
    assert f"Total params: {report.totals.params:,}" in rendered
    for line in table_part.splitlines():
        assert text_width(line) <= width, line


def test_a_piped_table_has_its_natural_width_and_cuts_nothing(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "vgg16"], env={"COLUMNS": ""})
    assert result.exit_code == 0, result.output
    assert "left out" not in result.stdout
    assert "15,470,264,320" in result.stdout  # VGG-16 MACs, as torchvision's 15.47 GFLOPS
    assert "138,357,544" in result.stdout  # torchvision num_params


@pytest.mark.parametrize("width", [60, 61, 64, 70, 75, 90, 120, 150])
def test_no_width_from_60_up_cuts_a_number(width: int) -> None:
    for name in NETWORKS:
        report = analyze(load_spec(name))
        rendered = "\n".join(table_lines(report, width))
        for r in report.rows:
            assert f"{r.params:,}" in rendered and f"{r.macs:,}" in rendered
        assert "\u2026" not in rendered
        for line in rendered.split("\nTotal params:")[0].splitlines():
            assert text_width(line) <= width, (name, line)


def test_the_vertical_layout_shows_every_column_when_nothing_else_fits() -> None:
    grid = Grid([numeric("Big"), text("Name"), numeric("Other")], [[10**30, "a name", 123_456_789]])
    lines = render_grid(grid, 60)
    assert any(f"{10**30:,}" in line for line in lines)
    assert any("123,456,789" in line for line in lines)
    assert all("Name" not in line or "a name" in line for line in lines)


def test_optional_columns_are_left_out_with_a_note() -> None:
    grid = Grid([numeric("A"), numeric("B", priority=1, footnote="the B column")], [[10**50, 12_345_678]])
    lines = render_grid(grid, 80)
    assert "12,345,678" not in "\n".join(lines)
    assert any(line.startswith("note: the B column left out to fit 80 columns") for line in lines)


def test_ten_thousand_layers_render_fast() -> None:
    spec = load_spec_text("input: 8x8x4\nlayers:\n" + "  - {kind: conv, filters: 4, kernel: 3, padding: 1}\n" * 2000)
    report = analyze(spec)
    rows = list(report.rows) * 5  # 10,005 rows
    from dataclasses import replace

    big = replace(report, rows=tuple(rows))
    start = time.perf_counter()
    lines = table_lines(big, 100)
    elapsed = time.perf_counter() - start
    assert len(lines) > 10_000
    assert elapsed < 5  # generous: measured well under a second; a quadratic renderer takes minutes


# --- formats -----------------------------------------------------------------------------------


def test_list_prints_every_format_it_accepts(runner: CliRunner) -> None:
    csv_out = runner.invoke(app, ["list", "-f", "csv"]).stdout
    assert csv_out.splitlines()[0] == "name,input_shape,layout,layers,params,macs,description"
    assert any(line.startswith("vgg16,224x224x3,hwc,") and ",138357544," in line for line in csv_out.splitlines())
    md = runner.invoke(app, ["list", "-f", "markdown"]).stdout
    assert md.startswith("| Name | Input |") and "| vgg16 | 224x224x3 |" in md


@pytest.mark.parametrize(
    ("command", "bad"),
    [
        (["list"], "junit"),
        (["summarize", "lenet5"], "github"),
        (["explain", "lenet5"], "csv"),
        (["diff", "vgg11", "vgg13"], "csv"),
        (["check", "lenet5"], "markdown"),
        (["pool", "1 2; 3 4"], "markdown"),
    ],
)
def test_a_format_a_command_does_not_print_is_a_usage_error(runner: CliRunner, command: list[str], bad: str) -> None:
    result = runner.invoke(app, [*command, "--format", bad])
    assert result.exit_code == 2
    said = " ".join(re.sub("[\u2500-\u257f]", " ", result.output).split())
    assert f"'{bad}' is not a format of this command; choose one of:" in said


def test_every_json_document_carries_the_schema_version(runner: CliRunner) -> None:
    import json

    for command in (
        ["summarize", "lenet5"],
        ["explain", "lenet5"],
        ["diff", "vgg11", "vgg13"],
        ["check", "lenet5", "--max-params", "1M"],
        ["pool", "1 2; 3 4"],
    ):
        result = runner.invoke(app, [*command, "-f", "json"])
        assert json.loads(result.stdout)["schema_version"] == 1, command


def test_no_escape_codes_with_no_color_or_a_pipe(runner: CliRunner) -> None:
    for command in (["summarize", "lenet5"], ["explain", "lenet5"], ["diff", "vgg11", "vgg13"], ["list"]):
        for env in ({"NO_COLOR": "1"}, {}):
            out = runner.invoke(app, command, env=env).stdout
            assert "\x1b" not in out, command


# --- escaping, function by function ------------------------------------------------------------

HOSTILE = [
    "\x1b[32mAll right\x1b[0m",
    "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "=cmd|' /C calc'!A0",
    "a|b\nc",
    "\x00\x1f",
    "::error::x",
    "[red]x[/red]",
    "net[v2]",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\ttab",
    "\rreturn",
    "50%,done:now",
    "\u202eevil",
    "\x9b31m",
    "\ud800",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_terminal_text_has_no_control_characters(name: str) -> None:
    out = terminal(name)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", out)
    if name.isprintable() and not name.startswith("::"):
        assert out == name  # printable names print exactly as written
    assert not out.lstrip().startswith("::")  # never a workflow command in a CI log


@pytest.mark.parametrize("name", HOSTILE)
def test_csv_text_cells_cannot_be_formulas(name: str) -> None:
    out = csv_cell(name)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "\x1b" not in out


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_cells_keep_the_table_whole(name: str) -> None:
    out = markdown_cell(name)
    assert "\n" not in out and "\r" not in out
    assert not re.search(r"(?<!\\)\|", out)
    code = markdown_code(name + "`x`")
    assert code.startswith("``")


@pytest.mark.parametrize("name", HOSTILE)
def test_xml_text_is_valid_xml(name: str) -> None:
    import xml.etree.ElementTree as ET

    element = ET.Element("t", name=xml_text(name))
    element.text = xml_text(name)
    ET.fromstring(ET.tostring(element, encoding="unicode"))


@pytest.mark.parametrize("name", HOSTILE)
def test_github_commands_cannot_be_forged(name: str) -> None:
    assert "\n" not in github_data(name) and "\r" not in github_data(name)
    assert ":" not in github_property(name) and "," not in github_property(name)
    assert not github_line(name).startswith("::")
    assert github_data("100%") == "100%25"


# --- hostile names through every command that prints them -------------------------------------

NAMES = ["\x1b[32mAll right\x1b[0m", "=cmd|' /C calc'!A0", "a|b\nc", "\x00\x1f", "::error::x", "[red]", "net[v2]"]


def _yaml_string(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a YAML double-quoted string


@pytest.fixture
def hostile_spec(tmp_path: Path) -> Path:
    layers = "".join(
        f"  - {{kind: conv, filters: 2, kernel: 3, padding: 1, name: {_yaml_string(n)}}}\n" for n in NAMES[1:]
    )
    path = tmp_path / "net.yaml"
    path.write_text(f"name: {_yaml_string(NAMES[0] + ' net[v2]')}\ninput: 6x6x1\nlayers:\n{layers}", encoding="utf-8")
    return path


def _assert_terminal_safe(out: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), repr(out)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_summarize_escapes_names_in_every_format(runner: CliRunner, hostile_spec: Path, fmt: str) -> None:
    result = runner.invoke(app, ["summarize", str(hostile_spec), "-f", fmt, "--no-rf"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    _assert_terminal_safe(out)
    if fmt == "table":
        assert "\\x1b[32mAll right\\x1b[0m net[v2]" in out
        assert "net[v2]" in out and "[red]" in out  # names print as written, no markup
        assert "a|b\\nc" in out
    if fmt == "csv":
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(out)))
        assert all(not r["name"].startswith(("=", "+", "-", "@")) for r in rows)
        assert "'=cmd|' /C calc'!A0" in [r["name"] for r in rows]
    if fmt == "markdown":
        table = [line for line in out.splitlines() if line.startswith("| ")]
        columns = {len(re.split(r"(?<!\\)\|", line)) for line in table}
        assert len(columns) == 1  # every row has as many cells as the header


def test_explain_escapes_names(runner: CliRunner, hostile_spec: Path) -> None:
    for fmt in ("text", "markdown"):
        out = runner.invoke(app, ["explain", str(hostile_spec), "-f", fmt]).stdout
        _assert_terminal_safe(out)
        assert "net[v2]" in out


def test_verify_escapes_names(runner: CliRunner, hostile_spec: Path) -> None:
    result = runner.invoke(app, ["verify", str(hostile_spec)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    _assert_terminal_safe(result.stdout)
    assert "[red]" in result.stdout


def test_check_escapes_names_in_junit_and_github(runner: CliRunner, hostile_spec: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    weird = tmp_path / "::error::fake,x%0A.yaml"
    weird.write_text(hostile_spec.read_text(encoding="utf-8"), encoding="utf-8")
    junit = runner.invoke(app, ["check", str(hostile_spec), str(weird), "--max-params", "1", "-f", "junit"])
    assert junit.exit_code == 1, junit.output
    root = ET.fromstring(junit.stdout)
    assert root.get("failures") == "2"
    github = runner.invoke(app, ["check", str(weird), "--max-layer-params", "1", "-f", "github"]).stdout
    for line in github.splitlines():
        assert line.startswith(("::error file=", str(tmp_path))) or not line.startswith("::"), line
        if line.startswith("::error"):
            properties = line.split("::")[1]
            assert properties.count("file=") == 1 and "%3A%3Aerror%3A%3Afake%2Cx%250A.yaml" in properties
    assert "\x1b" not in github and "\x00" not in github
    table = runner.invoke(app, ["check", str(hostile_spec), "--max-params", "1"]).stdout
    _assert_terminal_safe(table)


def test_diff_markdown_keeps_its_table(runner: CliRunner, hostile_spec: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(hostile_spec.read_text(encoding="utf-8").replace("filters: 2", "filters: 3"), encoding="utf-8")
    out = runner.invoke(app, ["diff", str(hostile_spec), str(other), "-f", "markdown"]).stdout
    _assert_terminal_safe(out)
    layer_table = [line for line in out.splitlines() if line.startswith("| ") and "`" in line]
    assert len(layer_table) == len(NAMES) - 1
    cells = {len(re.split(r"(?<!\\)\|", line)) for line in out.splitlines() if line.startswith("| Layer")}
    assert cells == {len(re.split(r"(?<!\\)\|", layer_table[0]))}
    _assert_terminal_safe(runner.invoke(app, ["diff", str(hostile_spec), str(other)]).stdout)


def test_grade_escapes_student_names_and_cells(runner: CliRunner, tmp_path: Path) -> None:
    import csv
    import io

    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "a.csv").write_text(
        '# student: =HYPERLINK("http://evil")\x1b[32m\nlayer,params\nCONV1,\x1b[32m608\nCONV2,=1+2\n',
        encoding="utf-8",
    )
    (sheets / "b.csv").write_text("# student: @bob|x\nlayer,params\nCONV1,608\n", encoding="utf-8")
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["grade", "lenet5", str(sheets), "--csv", str(scores)], env={"COLUMNS": "100"})
    assert result.exit_code in (1, 2), result.output
    _assert_terminal_safe(result.output)
    for row in csv.reader(io.StringIO(scores.read_text(encoding="utf-8"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
            assert "\x1b" not in cell
    one = runner.invoke(app, ["grade", "lenet5", str(sheets / "a.csv")])
    _assert_terminal_safe(one.output)


def test_conv_escapes_file_names(runner: CliRunner, tmp_path: Path) -> None:
    matrix = tmp_path / "m\x1b[31m.csv"
    matrix.write_text("1 2 3\n4 5 6\n7 8 9\n", encoding="utf-8")
    for command in (["conv", f"@{matrix}", "-k", f"@{matrix}", "--steps"], ["pool", f"@{matrix}", "--steps"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        _assert_terminal_safe(result.output)


def test_no_line_of_any_output_is_a_workflow_command(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "::error::spec.yaml"
    spec.write_text('name: "::error::net"\ninput: 4x4x1\nlayers: [{kind: conv, filters: 1, kernel: 3, name: "::x"}]\n')
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "::warning::a.csv").write_text("# student: ::error::pwned\nlayer,params\n::x,10\n", encoding="utf-8")
    for command in (
        ["summarize", str(spec)],
        ["explain", str(spec)],
        ["grade", str(spec), str(sheets)],
        ["check", str(spec), "--max-params", "1"],
        ["summarize", str(tmp_path / "::error::missing.yaml")],
    ):
        for columns in ("200", "60"):
            result = runner.invoke(app, command, env={"COLUMNS": columns})
            for line in result.output.splitlines():
                assert not line.lstrip().startswith("::"), (command, line)


def test_error_messages_are_escaped(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["summarize", str(tmp_path / "\x1b[32mok\x1b[0m.yaml")])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\\x1b[32mok" in result.output


def test_the_template_escapes_layer_names(runner: CliRunner, hostile_spec: Path, tmp_path: Path) -> None:
    import csv
    import io

    import yaml

    csv_out = runner.invoke(app, ["grade", str(hostile_spec), "--template"]).stdout
    for row in csv.reader(io.StringIO(csv_out)):
        assert not row[0].startswith(("=", "+", "-", "@")), row
    _assert_terminal_safe(csv_out)
    for suffix in (".md", ".yaml"):
        out = tmp_path / f"sheet{suffix}"
        result = runner.invoke(app, ["grade", str(hostile_spec), "--template", "-o", str(out)])
        assert result.exit_code == 0, result.output
        written = out.read_text(encoding="utf-8")
        _assert_terminal_safe(written)
        if suffix == ".yaml":
            labels = [row["layer"] for row in yaml.safe_load(written)["rows"]]
            assert "=cmd|' /C calc'!A0" in labels and "a|b\nc" in labels  # exact, and valid YAML
        else:
            rows = [line for line in written.splitlines() if line.startswith("|")]
            assert len({len(re.split(r"(?<!\\)\|", line)) for line in rows}) == 1


FORMATS_OF = {
    ("summarize", "lenet5"): ("table", "json", "csv", "markdown"),
    ("list",): ("table", "json", "csv", "markdown"),
    ("explain", "lenet5"): ("text", "json", "markdown"),
    ("diff", "vgg11", "vgg13"): ("table", "json", "markdown"),
    ("check", "lenet5", "--max-params", "1M"): ("table", "json", "junit", "github"),
    ("pool", "1 2 3 4; 5 6 7 8; 9 1 2 3; 4 5 6 7"): ("table", "json", "csv"),
}


@pytest.mark.parametrize(("command", "fmt"), [(c, f) for c, fs in FORMATS_OF.items() for f in fs])
def test_every_accepted_format_prints_that_format(runner: CliRunner, command: tuple[str, ...], fmt: str) -> None:
    import csv
    import io
    import json
    import xml.etree.ElementTree as ET

    result = runner.invoke(app, [*command, "-f", fmt])
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "json":
        json.loads(out)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len(rows) >= 2 and len({len(r) for r in rows if r}) == 1
    elif fmt == "markdown" and command[0] == "explain":
        assert out.startswith("## lenet5: every number, step by step") and "\n- **" in out
    elif fmt == "markdown":
        table = [line for line in out.splitlines() if line.startswith("|")]
        assert len(table) >= 3 and re.fullmatch(r"\|(-{3,}:?\|)+", table[1].replace("---:", "---"))
    elif fmt == "junit":
        assert ET.fromstring(out).tag == "testsuites"
    elif fmt == "github":
        assert all(not line.startswith("::") or line.startswith("::error ") for line in out.splitlines())
    else:
        assert not out.lstrip().startswith(("{", "[", "|", "<"))


def test_wide_characters_keep_the_columns_aligned() -> None:
    grid = Grid([text("Layer"), numeric("Params")], [["畳み込み1", 608], ["conv2", 3_216], ["e\u0301t\u00e9", 1]])
    rows = render_grid(grid)[2:5]
    ends = {text_width(line) for line in rows}
    assert len(ends) == 1, rows  # right-aligned numbers end in the same column
    assert text_width("畳み込み1") == 9 and text_width("e\u0301") == 1


#: grids that exercise every path of the table writer: wide characters, control characters,
#: a line that would be a workflow command, booleans and floats among numbers, text that
#: wraps, an empty body, a footer, a header wider than its cells
AWKWARD = [
    Grid(
        [numeric("#"), text("名前 long header"), text("Kind"), numeric("n")],
        [
            [1, "日本語の名前 x\x1b[31m", "a b c d e f g h", 10**12],
            [2, "é" * 30, "kind with many words in it", -5],
            [3, "", True, 0],
        ],
        ["", "Total", "", 7],
        "title",
    ),
    Grid([numeric("#"), text("a")], [[1, "::warning x"], [2, " ::x"], [3, "a::b"]], None, ""),
    Grid([numeric("#"), text("a")], [], None, "empty"),
    Grid([numeric("#"), text("a")], [], ["", ""], "only a footer"),
    Grid([numeric("#"), text("a very long header indeed")], [[1, "x"]], ["", ""], ""),
    Grid([numeric("b"), text("a")], [[1, "x"], [True, "y"], [1.5, "z"]], None, ""),  # type: ignore[list-item]
    Grid([numeric("n", priority=1), text("a")], [["in place", "x\ty"], [5, "\u202e"]], [1, "Total"], ""),
]
AWKWARD_WIDTHS = (None, 20, 30, 45, 60, 80)


def _awkward_text() -> str:
    return "".join(
        f"--- grid {k}, width {width}\n" + "\n".join(render_grid(grid, width)) + "\n"
        for k, grid in enumerate(AWKWARD)
        for width in AWKWARD_WIDTHS
    )


def test_awkward_grids_render_as_their_golden() -> None:
    path = GOLDEN / "awkward-grids.txt"
    if os.environ.get("CNNCALC_REGOLD"):
        path.write_text(_awkward_text(), encoding="utf-8")
    assert _awkward_text() == path.read_text(encoding="utf-8")


def test_json_is_laid_out_one_listed_object_a_line() -> None:
    from cnncalc.render.envelope import json_text, layout
    from cnncalc.render.summary import to_json

    document = to_json(analyze(load_spec("lenet5")))
    text = json_text(document)
    assert json.loads(text) == document
    lines = text.splitlines()
    start = lines.index('  "layers": [')
    rows = lines[start + 1 : start + 1 + len(document["layers"])]
    # each layer is one line holding one whole object, indented under its list
    assert [json.loads(line.strip().rstrip(",")) for line in rows] == document["layers"]
    assert '  "input_shape": [32, 32, 3],' in lines
    assert text.isascii() and layout({"a": "\u00e9"}) == '{\n  "a": "\\u00e9"\n}'
    assert layout([]) == "[]" and layout({}) == "{}" and layout([[1, 2], [3]]) == "[\n  [1, 2],\n  [3]\n]"


def _json_reports() -> list[tuple[str, object]]:
    """Every bundled network, rolled up and not, and names that JSON must escape."""
    from cnncalc.core.report import rollup
    from cnncalc.spec.loader import bundled_names

    cases: list[tuple[str, object]] = []
    for name in bundled_names():
        report = analyze(load_spec(name))
        cases.append((name, report))
        cases.append((f"{name} --depth 1", replace(report, rows=rollup(report, 1))))
    awkward = [*NAMES, 'q"uo\\te', "caf\u00e9 \u4e2d", '}, {"index": 9', ""]
    layers = "".join(
        f"  - {{kind: conv, filters: 2, kernel: 2, name: {_yaml_string(n or 'x')}}}\n  - {{kind: relu}}\n"
        for n in awkward
    )
    spec = load_spec_text(f"name: {_yaml_string(''.join(awkward))}\ninput: 40x40x1\nlayers:\n{layers}")
    cases.append(("awkward names", analyze(spec)))
    return cases


def test_json_rows_written_as_text_are_what_the_encoder_writes() -> None:
    """`summarize -f json` writes each row straight to text: it must equal the row's object,
    encoded, and the whole document must equal the document built the plain way."""
    from cnncalc.core.report import Report
    from cnncalc.render.envelope import json_text, one_line
    from cnncalc.render.summary import ROW_KEYS, _RowJson, json_document, to_json

    seen_half_pixel = seen_shared = False
    for label, report in _json_reports():
        assert isinstance(report, Report)
        plain, fast = _RowJson(report), _RowJson(report)
        for row in report.rows:
            obj = plain(row)
            assert tuple(obj) == ROW_KEYS, label
            assert fast.text(row) == one_line(obj), (label, row.name)
            seen_shared |= obj["shared_with"] is not None
            field = obj["receptive_field"]
            seen_half_pixel |= field is not None and any(isinstance(v, float) for v in field["start"])
        assert "".join(json_document(report)) == json_text(to_json(report)), label
    assert seen_half_pixel and seen_shared  # the cases cover both


def test_a_table_for_an_ascii_terminal_escapes_names_and_keeps_its_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the output cannot write a character, the table measures the escape it writes."""
    import io
    import sys

    spec = load_spec_text(
        'name: "caf\\u00e9"\ninput: 8x8x1\nlayers:\n  - {kind: conv, filters: 2, kernel: 3, name: "\\u4e2d1"}\n'
    )
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    lines = table_lines(analyze(spec), None)
    assert lines[0].startswith("caf\\xe9")
    header, rule, first, second = lines[2:6]
    assert rule.strip() == "-" * len(rule.strip())
    assert "\\u4e2d1" in second and all(line.isascii() for line in lines)
    # every column ends where the header's does: the escape was measured, not the character
    assert len(first) == len(second) == len(header)
