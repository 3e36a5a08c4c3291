"""`cnncalc report`: one self-contained HTML page about a network, readable offline.

The page holds everything inline (CSS, a few lines of JavaScript, SVG) and names no
other file or address, so it can be mailed, attached to a CI run or opened years later:
the totals, the layer table (sortable by clicking a header, or with `#sort=params` /
`#sort=-macs` in the address), the architecture diagram, bar charts of parameters, MACs
and activation memory per layer, receptive fields, warnings, the step-by-step explanation
with its formulas typeset as MathML (which browsers draw themselves), and the JSON of
`summarize --format json` in `<script type="application/json" id="cnncalc-data">`.

Layer and network names come from spec files cnncalc does not trust: every piece of user
text goes through `escape.html_text` (or `escape.svg_text` inside SVG), and the embedded
JSON through `escape.script_json`, so a name such as `</script><script>...` shows as
written and never runs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache

from cnncalc.core.algebra import MAX_TEXT
from cnncalc.core.report import LayerRow, Report
from cnncalc.features.explain.explanation import (
    Explanation,
    LayerExplanation,
    Line,
    display_lines,
    heading,
    total_lines,
)
from cnncalc.render.escape import html_text, script_json, svg_text
from cnncalc.render.human import format_bytes, format_count, format_field, format_shape, format_si
from cnncalc.render.summary import json_document

#: explanation sections open at first on networks up to this many layers (closed beyond)
OPEN_STEPS = 40


def report_html(explanation: Explanation, diagram_svg: str) -> str:
    """The whole page; `diagram_svg` is the architecture diagram (cnncalc.features.draw) to show inline."""
    report = explanation.report
    name = html_text(report.name)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{name}: cnncalc report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _header(report),
        _section("layers", "Layers", _table(report)),
        _section("architecture", "Architecture", f'<div class="diagram">{_inline_svg(diagram_svg)}</div>'),
        _section("charts", "Parameters, MACs and activation memory per layer", _charts(report)),
        _section("receptive-fields", "Receptive fields", _fields(report)),
        _section("warnings", "Warnings", _warnings(report)),
        _section("steps", "Step by step", _steps(explanation)),
        f"<footer><p>{html_text(report.conventions.footer())}</p></footer>",
        '<script type="application/json" id="cnncalc-data">',
        script_json("".join(json_document(report)).rstrip("\n")),
        "</script>",
        f"<script>{_SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h2>{title}</h2>\n{body}\n</section>'


def _header(report: Report) -> str:
    t = report.totals
    units = report.conventions.units
    shape = format_shape(report.shown(report.input_shape))
    facts = [
        ("params", format_count(t.params), f"{format_count(t.trainable_params)} trainable"),
        ("MACs", format_count(t.macs), format_si(t.macs, units)),
        ("FLOPs", format_count(t.flops), format_si(t.flops, units)),
        (
            "activations",
            format_bytes(t.activation_bytes, units),
            f"peak {format_bytes(t.peak_activation_bytes, units)}",
        ),
        ("parameter memory", format_bytes(t.param_bytes, units), f"training {format_bytes(t.training_bytes, units)}"),
    ]
    cards = "".join(f"<div><dt>{what}</dt><dd>{value}<small>{more}</small></dd></div>" for what, value, more in facts)
    links = " ".join(
        f'<a href="#{anchor}">{title}</a>'
        for anchor, title in (
            ("layers", "layers"),
            ("architecture", "architecture"),
            ("charts", "charts"),
            ("receptive-fields", "receptive fields"),
            ("warnings", f"warnings ({len(report.warnings)})"),
            ("steps", "step by step"),
        )
    )
    return (
        f"<header>\n<h1>{html_text(report.name)}</h1>\n"
        f"<p>input {shape} ({report.layout.upper()}), {html_text(report.dtype)}, batch {report.batch}, "
        f'{len(report.rows) - 1} layers</p>\n<dl class="totals">{cards}</dl>\n<nav>{links}</nav>\n</header>'
    )


# --- the layer table ------------------------------------------------------------------------

#: (key, heading, is a number): the keys are what `#sort=KEY` names
_COLUMNS = (
    ("index", "#", True),
    ("name", "layer", False),
    ("kind", "kind", False),
    ("output", "output", True),
    ("params", "params", True),
    ("macs", "MACs", True),
    ("flops", "FLOPs", True),
    ("memory", "activation memory", True),
    ("field", "receptive field", True),
)


def _table(report: Report) -> str:
    heads = "".join(
        f'<th data-key="{key}" data-type="{"number" if number else "text"}" aria-sort="none">'
        f'<button type="button">{title}</button></th>'
        for key, title, number in _COLUMNS
    )
    body = "\n".join(_table_row(report, row) for row in report.rows)
    t = report.totals
    units = report.conventions.units
    total = (
        f'<tfoot><tr><th scope="row" colspan="4">total</th><td>{format_count(t.params)}</td>'
        f"<td>{format_count(t.macs)}</td><td>{format_count(t.flops)}</td>"
        f"<td>{format_bytes(t.activation_bytes, units)}</td><td></td></tr></tfoot>"
    )
    return (
        '<p class="hint">Click a header to sort; click again to reverse.</p>\n'
        f'<div class="scroll"><table id="summary">\n<thead><tr>{heads}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n{total}\n</table></div>"
    )


def _table_row(report: Report, row: LayerRow) -> str:
    units = report.conventions.units
    what = f"{row.kind} {row.summary}".strip()
    if row.block:
        what += f" in {row.block[-1]}"
    if row.shared_with:
        what += f" (weights of {row.shared_with})"
    field = row.receptive_field
    field_size = 0 if field is None else _product(field.size)
    output_elements = _product(row.output_shape)
    cells = (
        (row.index, str(row.index)),
        (row.name, html_text(row.name)),
        (what, html_text(what)),
        (output_elements, format_shape(report.shown(row.output_shape))),
        (row.params, format_count(row.params)),
        (row.macs, format_count(row.macs)),
        (row.flops, format_count(row.flops)),
        (row.activation_bytes, format_bytes(row.activation_bytes, units)),
        (field_size, format_field(field)),
    )
    tds = "".join(f'<td data-v="{html_text(str(key))}">{shown}</td>' for key, shown in cells)
    return f'<tr data-index="{row.index}">{tds}</tr>'


def _product(values: Sequence[int]) -> int:
    out = 1
    for value in values:
        out *= value
    return out


# --- the diagram and the charts -------------------------------------------------------------


#: a small diagram is enlarged to fit about this box (px), at most by DIAGRAM_ZOOM; a big one
#: keeps its size and scrolls in its frame
DIAGRAM_WIDTH = 1200
DIAGRAM_HEIGHT = 720
DIAGRAM_ZOOM = 1.6


def _inline_svg(svg: str) -> str:
    """The diagram as an element of the page: without an XML declaration (HTML takes none),
    a small one enlarged so its labels read as well as the table's (its viewBox keeps it sharp)."""
    text = svg.strip()
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    root = re.match(r'<svg\b[^>]*?\swidth="([\d.]+)" height="([\d.]+)"', text)
    if root is None:
        return text
    width, height = float(root.group(1)), float(root.group(2))
    zoom = max(1.0, min(DIAGRAM_ZOOM, DIAGRAM_WIDTH / width, DIAGRAM_HEIGHT / height))
    size = f'width="{width * zoom:.1f}" height="{height * zoom:.1f}"'
    return text[: root.start(1) - 7] + size + text[root.end(2) + 1 :]


_CHART_ROW = 16
_NAME_WIDTH = 170
_PANEL = 330
_BAR = 230
_CHARTS: tuple[tuple[str, str, Callable[[LayerRow], int]], ...] = (
    ("params", "#4e79a7", lambda row: row.params),
    ("MACs", "#f28e2b", lambda row: row.macs),
    ("activation memory", "#59a14f", lambda row: row.activation_bytes),
)


def _charts(report: Report) -> str:
    """One SVG: a row per layer that has any of the three, a panel per quantity, bars to scale."""
    rows = [row for row in report.rows if any(value(row) for _, _, value in _CHARTS)]
    if not rows:
        return "<p>No layer has parameters, MACs or activations.</p>"
    units = report.conventions.units
    width = _NAME_WIDTH + _PANEL * len(_CHARTS)
    height = 24 + _CHART_ROW * len(rows) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="11">',
        f"<title>{svg_text(report.name)}: parameters, MACs and activation memory per layer</title>",
    ]
    for n, (title, colour, value) in enumerate(_CHARTS):
        x = _NAME_WIDTH + n * _PANEL
        out.append(f'<text x="{x}" y="14" font-weight="bold">{title}</text>')
        out.append(f'<line x1="{x}" y1="20" x2="{x}" y2="{height - 4}" stroke="#999"/>')
        largest = max(value(row) for row in rows) or 1
        for i, row in enumerate(rows):
            y = 24 + i * _CHART_ROW
            amount = value(row)
            if not amount:
                continue
            length = max(1.0, _BAR * amount / largest)
            shown = format_bytes(amount, units) if title == "activation memory" else format_si(amount, units)
            exact = f"{svg_text(row.name)}: {format_count(amount)} {'bytes' if title == 'activation memory' else title}"
            out.append(
                f'<g><title>{exact}</title><rect x="{x}" y="{y + 2}" width="{length:.1f}" '
                f'height="{_CHART_ROW - 4}" fill="{colour}"/>'
                f'<text x="{x + length + 4:.1f}" y="{y + _CHART_ROW - 4}">{shown}</text></g>'
            )
    for i, row in enumerate(rows):
        y = 24 + i * _CHART_ROW + _CHART_ROW - 4
        label = row.name if len(row.name) <= 26 else row.name[:25] + "\u2026"
        out.append(f'<text x="{_NAME_WIDTH - 8}" y="{y}" text-anchor="end">{svg_text(label)}</text>')
    out.append("</svg>")
    return '<div class="scroll tall">' + "\n".join(out) + "</div>"


# --- receptive fields and warnings ----------------------------------------------------------


def _fields(report: Report) -> str:
    rows = [row for row in report.rows if row.receptive_field is not None and row.kind != "input"]
    if not rows:
        return "<p>No layer has a spatial receptive field (the input is flat).</p>"
    lines = []
    for row in rows:
        field = row.receptive_field
        assert field is not None
        start = "x".join(_fraction(u) for u in field.start)
        lines.append(
            f"<tr><td>{html_text(row.name)}</td><td>{format_shape(field.size)}</td>"
            f"<td>{format_shape(field.jump)}</td><td>{start}</td></tr>"
        )
    return (
        "<p>The input pixels one output value sees (size), how far apart the windows of neighbouring "
        "outputs are (jump) and where the first window starts (start, in input pixels; negative "
        "inside the padding).</p>\n"
        '<div class="scroll"><table class="fields"><thead><tr><th>layer</th><th>size</th><th>jump</th>'
        f"<th>start</th></tr></thead>\n<tbody>\n{chr(10).join(lines)}\n</tbody></table></div>"
    )


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _warnings(report: Report) -> str:
    if not report.warnings:
        return '<p class="ok">No warnings.</p>'
    items = "".join(f"<li>{html_text(w)}</li>" for w in report.warnings)
    return f'<ul class="warnings">{items}</ul>'


# --- the explanation, formulas as MathML ----------------------------------------------------


def _steps(explanation: Explanation) -> str:
    report = explanation.report
    opened = " open" if len(explanation.layers) <= OPEN_STEPS else ""
    out = [
        "<p>Every number above worked out as on the slides: the formula, the same with this layer's "
        "numbers, and the value. Output size per axis: "
        f"{_math('floor((n + 2*p - f)/s) + 1')} (n input, p padding, f filter, s stride).</p>"
    ]
    for layer in explanation.layers:
        out.append(f"<details{opened}><summary>{_layer_heading(layer, report)}</summary>")
        out.append(_lines(display_lines(layer, report)))
        out += [f'<p class="warn">warning: {html_text(w)}</p>' for w in layer.warnings if "does not tile" not in w]
        out.append("</details>")
    if explanation.totals:
        out.append(f"<details{opened}><summary>Totals</summary>{_lines(total_lines(explanation))}</details>")
    return "\n".join(out)


def _layer_heading(layer: LayerExplanation, report: Report) -> str:
    title = heading(layer, report).replace("->", "\u2192")
    return f"{layer.row.index}. {html_text(title)}"


def _lines(lines: list[Line]) -> str:
    rows = []
    for line in lines:
        note = f'<td class="note">{html_text(line.note)}</td>' if line.note else "<td></td>"
        rows.append(f"<tr><th>{html_text(line.label)}</th><td>{_line_math(line)}</td>{note}</tr>")
    return '<table class="steps">' + "".join(rows) + "</table>"


#: formulas that are words: the shape is shown as it is (as Line.text does)
_WORDS = ("given", "unchanged")


def _line_math(line: Line) -> str:
    """'formula = expression = value', each part once, the arithmetic as MathML."""
    if line.formula in _WORDS:
        return f"{html_text(line.value)} ({html_text(line.formula)})"
    if line.formula == line.expression and line.value.replace(",", "").startswith(line.expression):
        return html_text(line.value)
    parts = [_math(line.formula)]
    if line.expression != line.formula:
        parts.append(_math(line.expression))
    if line.value.replace(",", "") != line.expression:
        parts.append(f'<span class="value">{html_text(line.value)}</span>')
    return " = ".join(parts)


@lru_cache(maxsize=4096)
def _math(text: str) -> str:
    """An expression of cnncalc.core.algebra as inline MathML; the text itself when it is none.

    Remembered: a network repeats its layers, and with them the same formulas and expressions.
    """
    node = _parsed(text)
    if node is None:
        return f'<span class="words">{html_text(text)}</span>'
    # names multiply with a dot (2 dot p), numbers with a cross (5 cross 5), as on the slides
    dot = any(isinstance(n, ast.Name) and n.id not in _CALLS for n in ast.walk(node))
    try:
        body = _mathml(node, dot)
    except ValueError:
        return f'<span class="words">{html_text(text)}</span>'
    return f"<math><mrow>{body}</mrow></math>"


def _parsed(text: str) -> ast.expr | None:
    if len(text) > MAX_TEXT or text.count("(") > 100:
        return None
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    # a long sum (the FLOPs of a 150-layer total) nests as deep as it has terms: shown as text,
    # since the recursive MathML writer below would run out of stack
    return node if _depth(node) <= MAX_MATH_DEPTH else None


#: deepest expression tree written as MathML
MAX_MATH_DEPTH = 60


def _depth(node: ast.AST) -> int:
    """Depth of an expression tree, found without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return deepest


_LEVEL = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 3, ast.FloorDiv: 3}
_FUNCTIONS = {"floor": ("\u230a", "\u230b"), "ceil": ("\u2308", "\u2309")}
_CALLS = ("floor", "ceil", "max", "min")


def _mathml(node: ast.expr, dot: bool) -> str:
    """MathML Core: <mn> numbers, <mi> names (c_in as c with a subscript), fractions as <mfrac>."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return f"<mn>{node.value}</mn>"
    if isinstance(node, ast.Name):
        base, _, sub = node.id.partition("_")
        name = f"<mi>{html_text(base)}</mi>"
        return f"<msub>{name}<mi>{html_text(sub)}</mi></msub>" if sub else name
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return f"<mo>{sign}</mo>{_wrapped(node.operand, 2, dot)}"
    if isinstance(node, ast.BinOp) and type(node.op) in _LEVEL:
        if isinstance(node.op, ast.Div | ast.FloorDiv):
            return f"<mfrac><mrow>{_mathml(node.left, dot)}</mrow><mrow>{_mathml(node.right, dot)}</mrow></mfrac>"
        level = _LEVEL[type(node.op)]
        left = _wrapped(node.left, level, dot)
        right = _wrapped(node.right, level + (1 if isinstance(node.op, ast.Sub) else 0), dot)
        symbol = {ast.Add: "+", ast.Sub: "\u2212", ast.Mult: "\u00b7" if dot else "\u00d7"}[type(node.op)]
        return f"{left}<mo>{symbol}</mo>{right}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        args = [f"<mrow>{_mathml(a, dot)}</mrow>" for a in node.args]
        if node.func.id in _FUNCTIONS and len(args) == 1:
            left, right = _FUNCTIONS[node.func.id]
            return f'<mrow><mo fence="true">{left}</mo>{args[0]}<mo fence="true">{right}</mo></mrow>'
        if node.func.id in ("max", "min") and args:
            inner = "<mo>,</mo>".join(args)
            return f"<mi>{node.func.id}</mi><mrow><mo>(</mo>{inner}<mo>)</mo></mrow>"
    raise ValueError("not an expression of the step language")


def _wrapped(node: ast.expr, level: int, dot: bool) -> str:
    inner = _mathml(node, dot)
    if isinstance(node, ast.BinOp) and _LEVEL.get(type(node.op), 9) < level:
        return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>"
    return inner


# --- style and behaviour --------------------------------------------------------------------

_CSS = """
:root { --ink: #1d2330; --muted: #5b6472; --line: #d5dae1; --head: #e8edf3; --accent: #1f5f99; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1340px; padding: 16px 24px 40px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; background: #fff; }
h1 { font-size: 26px; margin: 4px 0; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid var(--head); padding-bottom: 3px; }
header p { margin: 0 0 8px; color: var(--muted); }
dl.totals { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
dl.totals div { background: #f4f6f9; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
dl.totals dt { color: var(--muted); font-size: 12px; }
dl.totals dd { margin: 0; font-size: 17px; font-weight: 600; }
dl.totals small { display: block; font-size: 11px; font-weight: 400; color: var(--muted); }
nav a { color: var(--accent); margin-right: 12px; }
.hint { color: var(--muted); margin: 0 0 4px; font-size: 12px; }
.scroll { overflow: auto; max-height: 560px; border: 1px solid var(--line); border-radius: 4px; }
.scroll.tall { max-height: 720px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eef0f3; text-align: left; white-space: nowrap; }
#summary td:nth-child(n+4), #summary tfoot td { text-align: right; }
#summary tbody td:nth-child(3) { white-space: normal; min-width: 16em; width: 35%; }
#summary th[data-type="number"]:not([data-key="index"]) { text-align: right; }
thead th { position: sticky; top: 0; background: var(--head); z-index: 1; }
thead th button { all: unset; cursor: pointer; font-weight: 600; }
thead th button:focus-visible { outline: 2px solid var(--accent); }
th[aria-sort="ascending"] button::after { content: " \\25b2"; }
th[aria-sort="descending"] button::after { content: " \\25bc"; }
tbody tr:hover { background: #f7f9fc; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); background: #fafbfc; }
.diagram { overflow: auto; max-height: 760px; border: 1px solid var(--line); border-radius: 4px; padding: 8px; }
.diagram svg { display: block; margin: 0 auto; max-width: none; }
svg.bars { display: block; }
ul.warnings li { color: #8a4b00; }
.ok { color: #2e7d32; }
details { border: 1px solid var(--line); border-radius: 4px; margin: 6px 0; padding: 4px 10px; }
summary { cursor: pointer; font-weight: 600; }
table.steps th { width: 150px; color: var(--muted); font-weight: 500; }
table.steps td { white-space: normal; }
table.steps td:nth-child(2) { width: 62%; }
table.steps td.note { color: var(--muted); font-size: 12px; }
math { font-size: 1.15em; math-style: normal; }
.warn { color: #8a4b00; margin: 4px 0; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
"""

#: sorting the table (by a click, or by `#sort=KEY` / `#sort=-KEY` in the address); at the end
#: the body gets data-ready="1", which says the page's script ran to its end without an error
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cnncalc-data").textContent);
  var table = document.getElementById("summary");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function sortBy(key, descending) {
    var col = -1;
    for (var i = 0; i < heads.length; i++) { if (heads[i].dataset.key === key) { col = i; } }
    if (col < 0) { return; }
    var numeric = heads[col].dataset.type === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      if (descending) { order = -order; }
      // equal values keep the network's order, whichever way the column is sorted
      return order !== 0 ? order : Number(a.dataset.index) - Number(b.dataset.index);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    for (var j = 0; j < heads.length; j++) {
      heads[j].setAttribute("aria-sort", j === col ? (descending ? "descending" : "ascending") : "none");
    }
    table.dataset.sorted = (descending ? "-" : "") + key;
  }
  Array.prototype.forEach.call(heads, function (head) {
    head.querySelector("button").addEventListener("click", function () {
      var state = head.getAttribute("aria-sort");
      var descending = state === "none" ? head.dataset.type === "number" : state === "ascending";
      sortBy(head.dataset.key, descending);
    });
  });
  var asked = /^#sort=(-?)([a-z]+)$/.exec(window.location.hash);
  if (asked) { sortBy(asked[2], asked[1] === "-"); }
  document.body.dataset.layers = String(data.layers.length);
  document.body.dataset.ready = "1";
})();
"""


__all__ = ["OPEN_STEPS", "report_html"]
