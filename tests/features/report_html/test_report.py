"""`cnncalc report`: the HTML page read back (every layer in the table, the diagram, the charts,
the formulas as MathML, the embedded JSON), nothing fetched from anywhere, hostile names
inert, and the files rules. tests/features/report_html/test_report_browser.py opens the page in a real browser."""

from __future__ import annotations

import json
import re
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.core.conventions import Conventions
from cnncalc.core.report import Report
from cnncalc.core.walk import analyze
from cnncalc.features.draw.diagram import architecture_svg
from cnncalc.features.explain.explanation import explain
from cnncalc.features.report_html.page import _math, report_html
from cnncalc.render.escape import html_text, script_json, xml_text
from cnncalc.render.summary import to_json
from cnncalc.spec import bundled_names, load_spec, load_spec_text
from cnncalc.spec.model import Spec

VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "embed", "source", "track", "wbr"}


class Page(HTMLParser):
    """The parts of the page the tests look at, and a check that every element is closed in order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []  # the cells of #summary's body rows
        self.row_names: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.svg_roots = 0
        self.text: list[str] = []
        self._in_summary = False
        self._in_body = False
        self._cell: list[str] | None = None
        self._script: tuple[dict[str, str | None], list[str]] | None = None
        self.feed(text)
        self.close()
        assert not self.open, f"elements left open: {self.open}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "svg" and "svg" not in self.open:
            self.svg_roots += 1
        if tag == "table" and attributes.get("id") == "summary":
            self._in_summary = True
        if self._in_summary and tag == "tbody":
            self._in_body = True
        if self._in_body and tag == "tr":
            self.rows.append([])
        if self._in_body and tag == "td":
            self._cell = []
        if tag == "script":
            self._script = (attributes, [])
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))  # <rect/> in SVG: opened and closed at once

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        if tag == "tbody":
            self._in_body = self._in_summary = False
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._script is not None:
            self._script[1].append(data)


#: the classes of a drawn layer: a volume or box, or a marker on the map it acts on
LAYER_CLASSES = ("layer", "layer marker")


@cache
def page_of(name: str) -> tuple[Report, str]:
    explanation = explain(load_spec(name), Conventions())
    return explanation.report, report_html(explanation, architecture_svg(explanation.report, depth="all"))


def check_page(text: str, report: Report) -> Page:
    """What every page holds, whatever the network."""
    page = Page(text)
    # one row per layer, in execution order, with its exact numbers
    assert [int(cells[0]) for cells in page.rows] == [row.index for row in report.rows]
    assert [cells[1] for cells in page.rows] == [unescape(html_text(row.name)) for row in report.rows]
    assert [cells[4] for cells in page.rows] == [f"{row.params:,}" for row in report.rows]
    assert [cells[5] for cells in page.rows] == [f"{row.macs:,}" for row in report.rows]
    # the embedded JSON is the summary's, exactly
    data = [body for attrs, body in page.scripts if attrs.get("id") == "cnncalc-data"]
    assert len(data) == 1 and json.loads(data[0]) == to_json(report)
    assert [attrs.get("type") for attrs, _ in page.scripts] == ["application/json", None]
    # the diagram and the bar chart, inline; and the formulas as MathML
    assert page.svg_roots == 2
    drawn = [
        attrs.get("data-name") or "" for tag, attrs in page.tags if tag == "g" and attrs.get("class") in LAYER_CLASSES
    ]
    assert sorted(drawn) == sorted(xml_text(row.name) for row in report.rows)
    assert any(tag == "math" for tag, _ in page.tags)
    for section in ("layers", "architecture", "charts", "receptive-fields", "warnings", "steps"):
        assert any(attrs.get("id") == section for tag, attrs in page.tags if tag == "section"), section
    # nothing from anywhere else: no address in src or href, no stylesheet link, no url() in CSS
    for tag, attrs in page.tags:
        for key in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
    assert not re.search(r"url\(\s*['\"]?(?!#)", text) and "@import" not in text  # url(#arrow) is in the page
    for warning in report.warnings:
        assert warning in "".join(page.text)
    return page


def quick_check(text: str, report: Report) -> None:
    """The cheap part of check_page, by pattern: a row per layer, the JSON, the diagram, nothing fetched."""
    assert [int(i) for i in re.findall(r'<tr data-index="(\d+)">', text)] == [row.index for row in report.rows]
    data = re.search(r'<script type="application/json" id="cnncalc-data">\n(.*?)\n</script>', text, re.DOTALL)
    assert data is not None and json.loads(data.group(1)) == to_json(report)
    # every layer is drawn: a volume or box, or a marker on the map a shape-keeping layer acts on
    assert text.count('<g class="layer"') + text.count('<g class="layer marker"') == len(report.rows)
    assert "<math>" in text and text.count("<script") == 2
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(?!#)", text) and "@import" not in text and "<link" not in text
    shown = re.search(r'<section id="warnings">(.*?)</section>', text, re.DOTALL)
    assert shown is not None and shown.group(1).count("<li>") == len(report.warnings)
    assert all(html_text(warning) in shown.group(1) for warning in report.warnings)


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_network_makes_a_page(name: str) -> None:
    report, text = page_of(name)
    quick_check(text, report)


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "googlenet", "siamese"])
def test_page_reads_back(name: str) -> None:
    report, text = page_of(name)
    check_page(text, report)


def test_page_shows_the_lecture_numbers() -> None:
    """lenet5 of the lecture's table: CONV1 has ((5*5*3)+1)*8 = 608 params, 62,958 in all."""
    _, text = page_of("lenet5")
    page = Page(text)
    conv1 = next(cells for cells in page.rows if cells[1] == "CONV1")
    assert conv1[3] == "28x28x8" and conv1[4] == "608" and conv1[8] == "5"
    assert "62,958" in "".join(page.text)
    # CONV2's receptive field: 5 + (5 - 1) * 2 = 14 input pixels
    assert "<tr><td>CONV2</td><td>14x14</td><td>2x2</td>" in text


def test_warnings_are_listed() -> None:
    """exercise-valid: POOL2's 2-wide window with stride 2 on 61 pixels leaves one unused, on each axis."""
    report, text = page_of("exercise-valid")
    assert len(report.warnings) == 2
    listed = re.findall(r"<li>(.*?)</li>", text)
    assert len(listed) == 2 and all("does not tile" in item for item in listed)
    assert 'href="#warnings">warnings (2)</a>' in text


def test_receptive_field_column_sorts_by_size() -> None:
    _, text = page_of("lenet5")
    keys = re.findall(r'<tr data-index="(\d+)">(?:<td data-v="[^"]*">[^<]*</td>){8}<td data-v="(\d+)">', text)
    assert dict(keys)["3"] == str(14 * 14)


def test_formulas_are_mathml() -> None:
    floor = _math("floor((n + 2*p - f)/s) + 1")
    assert floor.startswith("<math>") and floor.endswith("</math>")
    assert "<mfrac><mrow><mi>n</mi><mo>+</mo><mn>2</mn><mo>\u00b7</mo><mi>p</mi><mo>\u2212</mo><mi>f</mi>" in floor
    assert "\u230a" in floor and "\u230b" in floor
    # numbers multiply with a cross, as on the slides, and keep their parentheses
    params = _math("((5*5*3)+1)*8")
    assert params == (
        "<math><mrow><mrow><mo>(</mo><mn>5</mn><mo>\u00d7</mo><mn>5</mn><mo>\u00d7</mo><mn>3</mn><mo>+</mo>"
        "<mn>1</mn><mo>)</mo></mrow><mo>\u00d7</mo><mn>8</mn></mrow></math>"
    )
    assert _math("c_in") == "<math><mrow><msub><mi>c</mi><mi>in</mi></msub></mrow></math>"
    # what is not arithmetic is shown as text, escaped
    assert _math("<b>not math") == '<span class="words">&lt;b&gt;not math</span>'
    assert _math("__import__('os')") == '<span class="words">__import__(&#x27;os&#x27;)</span>'


# --- hostile names ----------------------------------------------------------------------------

HOSTILE = [
    "</script><script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "a&b\"c'd",
    "\u2028line\u2029break",
    "\x1b[31m<!--",
]


def hostile_spec() -> Spec:
    lines = [f"name: {json.dumps(HOSTILE[0])}", f"description: {json.dumps(HOSTILE[1])}", "input: 8x8x1", "layers:"]
    lines += [f"  - {{kind: conv, filters: 2, kernel: 3, padding: 1, name: {json.dumps(name)}}}" for name in HOSTILE]
    return load_spec_text("\n".join(lines) + "\n")


def test_hostile_names_are_shown_never_run() -> None:
    explanation = explain(hostile_spec(), Conventions())
    report = explanation.report
    text = report_html(explanation, architecture_svg(report, depth="all"))
    quick_check(text, report)
    page = check_page(text, report)
    assert len(page.scripts) == 2  # the data and the page's own script, nothing a name opened
    assert not any(tag == "img" for tag, _ in page.tags)
    assert not re.search("[\u2028\u2029]", page.scripts[0][1])
    shown = "".join(page.text)
    assert HOSTILE[0] in shown and HOSTILE[1] not in text
    # the JSON gives the names back exactly as written
    data = json.loads(next(body for attrs, body in page.scripts if attrs.get("id") == "cnncalc-data"))
    assert [layer["name"] for layer in data["layers"][1:]] == HOSTILE


def test_escaping_functions() -> None:
    assert html_text("<a href='x'>&</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"
    assert html_text("\x1b[2J") == "\\x1b[2J"
    embedded = script_json(json.dumps({"n": "</script><!--\u2028"}, ensure_ascii=False))
    assert "<" not in embedded and "\u2028" not in embedded
    assert json.loads(embedded) == {"n": "</script><!--\u2028"}


# --- the command ------------------------------------------------------------------------------


def test_cli_writes_the_page_and_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "lenet5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    _, text = page_of("lenet5")
    assert out.read_text(encoding="utf-8") == text
    again = runner.invoke(app, ["report", "lenet5", "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert runner.invoke(app, ["report", "lenet5", "-o", str(out), "--force"]).exit_code == 0


def test_cli_options_reach_the_page(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "lenet5", "--no-bias", "--batch", "4", "--input", "64x64x3"])
    assert result.exit_code == 0, result.output
    spec = load_spec("lenet5")
    expected = analyze(spec.model_copy(update={"batch": 4}), Conventions(bias=False))
    page = Page(result.stdout)
    data = json.loads(next(body for attrs, body in page.scripts if attrs.get("id") == "cnncalc-data"))
    assert data["batch"] == 4 and data["input_shape"] == [64, 64, 3]
    conv1 = next(layer for layer in data["layers"] if layer["name"] == "CONV1")
    assert conv1["params"] == 5 * 5 * 3 * 8 == next(r.params for r in expected.rows if r.name == "CONV1")
    assert conv1["output_shape"] == [60, 60, 8]
    dsl = runner.invoke(app, ["report", "--dsl", "32x32x3 | conv5-8 p=0 | maxpool | fc-10"])
    assert dsl.exit_code == 0 and dsl.stdout.startswith("<!DOCTYPE html>")


def test_cli_depth_opens_blocks_in_the_diagram(runner: CliRunner) -> None:
    whole = runner.invoke(app, ["report", "resnet18"]).stdout
    blocks = runner.invoke(app, ["report", "resnet18", "--depth", "1"]).stdout
    assert whole.count('<g class="layer"') > blocks.count('<g class="layer"') > 0


def test_cli_never_overwrites_its_input(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("name: n\ninput: 8x8x1\nlayers:\n  - {kind: conv, filters: 2, kernel: 3}\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(spec), "-o", str(spec), "--force"])
    assert result.exit_code == 2 and "input of this run" in result.stderr
    assert spec.read_text(encoding="utf-8").startswith("name: n")


def test_cli_refuses_a_link(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    result = runner.invoke(app, ["report", "lenet5", "-o", str(link), "--force"])
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_cli_bad_spec_is_a_located_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "--dsl", "32x32x3 | conv5-8 | nonsense"])
    assert result.exit_code == 2 and "error:" in result.stderr and "Traceback" not in result.output
