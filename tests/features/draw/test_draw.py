"""`cnncalc draw`: the SVG read back (a labelled group per layer, an arrow per edge, nothing
overlapping), DOT and Mermaid sources, hostile names, files and PNG."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.core.report import Report, rollup
from cnncalc.core.walk import analyze
from cnncalc.features.draw.diagram import architecture_svg
from cnncalc.features.draw.dot import architecture_dot
from cnncalc.features.draw.layout import _pack, layered
from cnncalc.features.draw.mermaid import architecture_mermaid
from cnncalc.render.escape import terminal, xml_text
from cnncalc.spec import bundled_names, load_spec, load_spec_text

SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]  # left, top, right, bottom

#: the width of a character as a share of the font size, for text boxes: a wide sans-serif
#: average, measured independently of the estimate the layout uses
CHAR = 0.6


@cache
def report_of(name: str) -> Report:
    return analyze(load_spec(name))


def expected_edges(report: Report, depth: int | None) -> set[tuple[str, str]]:
    """The edges a picture must show, from the rows' inputs, each end mapped to its shown node."""

    def node(name: str) -> str:
        row = next(r for r in report.rows if r.name == name)
        return row.block[depth - 1] if depth is not None and len(row.block) >= depth else row.name

    edges = {(node(i), node(r.name)) for r in report.rows for i in r.inputs}
    return {(a, b) for a, b in edges if a != b}


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def element_box(element: ET.Element) -> Box | None:
    """The bounding box of a rect, polygon, line or text (text from its font size and length)."""
    tag = element.tag.removeprefix(SVG)
    if tag == "rect":
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        return x, y, x + float(element.get("width", 0)), y + float(element.get("height", 0))
    if tag == "polygon":
        values = _numbers(element.get("points", ""))
        xs, ys = values[0::2], values[1::2]
        return min(xs), min(ys), max(xs), max(ys)
    if tag == "text":
        size = float(element.get("font-size", 0))
        width = len(element.text or "") * size * CHAR
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[element.get("text-anchor", "start")]
        return left, y - size * 0.8, left + width, y + size * 0.25
    return None


def union(boxes: list[Box]) -> Box:
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def layers_of(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "layer" in (g.get("class") or "").split()]


def shown_edges(report: Report, names: list[str]) -> set[tuple[str, str]]:
    """The edges a picture showing the nodes `names` (rows or blocks, in order) must draw: each
    row belongs to the last node that starts at or before it (a collapsed `x N` covers the
    blocks it stands for)."""
    start: dict[str, int] = {}
    for row in report.rows:
        for name in (*row.block, row.name):
            start.setdefault(name, row.index)
    starts = sorted((start[name], name) for name in names)
    assert [n for _, n in starts] == names, "nodes out of order"

    def node(index: int) -> str:
        return [n for s, n in starts if s <= index][-1]

    by_name = {row.name: row for row in report.rows}
    edges = {(node(by_name[i].index), node(r.index)) for r in report.rows for i in r.inputs}
    return {(a, b) for a, b in edges if a != b}


def check_picture(svg: str, report: Report) -> ET.Element:
    """A default picture: it fits a 16:9 slide, nothing overlaps, every edge is drawn."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert max(width, height) <= 4000 and 0.3 <= width / height <= 4, (width, height)
    names = [g.get("data-name") or "" for g in layers_of(root)]
    check_svg(svg, report, None, names=names, edges=shown_edges(report, names))
    return root


def edges_of(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if "edge" in (p.get("class") or "").split()]


def check_svg(
    svg: str,
    report: Report,
    depth: int | None,
    names: list[str] | None = None,
    edges: set[tuple[str, str]] | None = None,
) -> ET.Element:
    """Everything a diagram promises, checked on the SVG as a browser would read it: a group per
    layer (or block; `names` when the picture chose them), an arrow per edge, nothing overlapping."""
    root = ET.fromstring(svg)
    layers = layers_of(root)
    if names is None:
        rows = rollup(report, depth) if depth is not None else report.rows
        names = [xml_text(r.name) for r in rows]
        edges = {(xml_text(a), xml_text(b)) for a, b in expected_edges(report, depth)}
    # one labelled group per layer (or block), in order, its name written in it
    assert [g.get("data-name") for g in layers] == names
    for g, name in zip(layers, names, strict=True):
        said = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
        assert name in said
    # one arrow per edge of the graph
    arrows = edges_of(root)
    assert all(p.get("marker-end") == "url(#arrow)" for p in arrows)
    shown = [(p.get("data-from"), p.get("data-to")) for p in arrows]
    assert len(shown) == len(set(shown))
    # a marker and the map it is drawn on need no arrow between them
    hosts = {g.get("data-name"): g.get("data-on") for g in layers if g.get("data-on")}
    assert set(shown) == {(a, b) for a, b in edges or set() if hosts.get(b, b) != hosts.get(a, a)}
    # nothing overlapping: each layer's solid and labels against every other layer's, and the
    # title; a marker (a ReLU on the map it acts on) is part of its map's picture
    index = {name: i for i, name in enumerate(names)}
    owner = [index.get(g.get("data-on") or "", i) for i, g in enumerate(layers)]
    boxes: list[Box] = []
    solids: list[Box] = []
    for i, g in enumerate(layers):
        parts = [b for e in g.iter() if (b := element_box(e)) is not None]
        solid = [b for e in g.iter() if e.tag != f"{SVG}text" and (b := element_box(e)) is not None]
        if owner[i] != i:
            boxes[owner[i]] = union([boxes[owner[i]], *parts])
            solids[owner[i]] = union([solids[owner[i]], *solid])
            parts, solid = [(-9.0, -9.0, -9.0, -9.0)], [(-9.0, -9.0, -9.0, -9.0)]  # nothing of its own
        boxes.append(union(parts))
        solids.append(union(solid))
    keep = [i for i in range(len(layers)) if owner[i] == i]
    rows_named = names
    title_box = union(
        [b for t in root.iter(f"{SVG}text") if t.get("class") in ("title", "note") if (b := element_box(t))]
    )
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    order = sorted(keep, key=lambda i: boxes[i][0])
    for n, i in enumerate(order):
        box = boxes[i]
        assert box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height, (rows_named[i], box)
        assert not overlap(box, title_box), rows_named[i]
        for j in order[n + 1 :]:
            if boxes[j][0] >= box[2]:
                break
            assert not overlap(box, boxes[j]), (rows_named[i], rows_named[j])
    # an edge's straight runs (past the ranks it skips) never cross a layer's solid
    for path in arrows:
        for x0, y0, x1, y1 in re.findall(r"(-?[\d.]+),(-?[\d.]+) L(-?[\d.]+),(-?[\d.]+)", path.get("d", "")):
            mx, my = (float(x0) + float(x1)) / 2, (float(y0) + float(y1)) / 2
            inside = [
                rows_named[i] for i in keep if solids[i][0] < mx < solids[i][2] and solids[i][1] < my < solids[i][3]
            ]
            assert not inside, (path.get("data-from"), path.get("data-to"), inside)
    return root


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_network_draws(runner: CliRunner, name: str) -> None:
    report = report_of(name)
    result = runner.invoke(app, ["draw", name])
    assert result.exit_code == 0, result.output
    check_picture(result.stdout, report)
    if len(report.rows) <= 200:
        check_svg(architecture_svg(report, depth="all"), report, None)
    check_svg(architecture_svg(report, depth=1), report, 1)
    check_dot(architecture_dot(report), report)
    check_mermaid(architecture_mermaid(report, depth=1), report, 1)


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "densenet121", "mobilenet-v2", "inception-v3-aux"])
def test_blocks_one_level_down(name: str) -> None:
    report = report_of(name)
    check_svg(architecture_svg(report, depth=2), report, 2)
    check_svg(architecture_svg(report, depth="all", style="graph"), report, None)


def test_default_picture_collapses_repeats_and_says_how_to_see_all() -> None:
    root = ET.fromstring(architecture_svg(report_of("resnet50")))
    layers = {g.get("data-name"): g for g in layers_of(root)}
    # layer3 holds six bottlenecks: the first (with its downsampling) and five identical ones
    assert "layer3.0" in layers and "layer3.2" not in layers
    badge = [t.text for t in layers["layer3.1"].iter(f"{SVG}text") if t.get("class") == "badge-text"]
    assert badge == ["\u00d75"]
    note = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "note"]
    assert len(note) == 1 and "--depth all" in note[0]
    # batch norm and ReLU that keep the shape are marked on the map they act on
    assert layers["bn1"].get("data-on") == "conv1" and layers["relu"].get("data-on") == "conv1"


def test_depth_all_draws_every_layer(runner: CliRunner) -> None:
    result = runner.invoke(app, ["draw", "resnet50", "--depth", "all"])
    assert result.exit_code == 0, result.output
    assert len(layers_of(ET.fromstring(result.stdout))) == len(report_of("resnet50").rows)
    bad = runner.invoke(app, ["draw", "resnet50", "--depth", "deep"])
    assert bad.exit_code == 2 and "'all'" in bad.stderr
    assert "--depth all" in " ".join(runner.invoke(app, ["draw", "--help"]).stdout.split())


def test_long_chain_wraps_onto_rows() -> None:
    root = ET.fromstring(architecture_svg(report_of("vgg16")))
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert width < 2274 and 1 <= width / height <= 3  # one row was 2,274 x 305
    assert len(layers_of(root)) == len(report_of("vgg16").rows)  # every layer still drawn


def test_output_is_deterministic() -> None:
    assert architecture_svg(report_of("googlenet")) == architecture_svg(analyze(load_spec("googlenet")))


def test_chain_is_drawn_as_volumes_sized_by_the_map() -> None:
    report = report_of("lenet5")
    root = ET.fromstring(architecture_svg(report))
    layers = {g.get("data-name"): g for g in layers_of(root)}

    def front_height(name: str) -> float:
        front = next(layers[name].iter(f"{SVG}polygon"))
        box = element_box(front)
        assert box is not None
        return box[3] - box[1]

    # a 28x28 map stands taller than a 14x14 one, and that than a 10x10 and a 5x5
    assert front_height("CONV1") > front_height("POOL1") > front_height("CONV2") > front_height("POOL2")
    texts = [t.text for t in layers["CONV1"].iter(f"{SVG}text")]
    assert texts == ["CONV1", "conv 5x5", "28x28x8"]
    # the window of each convolution and pooling is drawn on the map it slides over
    kernels = [g.get("data-layer") for g in root.iter(f"{SVG}g") if g.get("class") == "kernel"]
    assert kernels == ["CONV1", "POOL1", "CONV2", "POOL2"]


def test_graph_routes_a_skip_connection_around_the_block() -> None:
    report = report_of("resnet18")
    root = ET.fromstring(architecture_svg(report, depth="all"))
    skip = [p for p in edges_of(root) if p.get("data-from") == "maxpool" and p.get("data-to") == "layer1.0.add"]
    assert len(skip) == 1 and "skip" in (skip[0].get("class") or "")


# --- layout -----------------------------------------------------------------------------------


def test_longest_path_ranks_and_dummy_points() -> None:
    # 0 -> 1 -> 2 -> 3 and a skip 0 -> 3: the skip gets a point on ranks 1 and 2
    placed = layered([40, 40, 40, 40], [(0, 1), (1, 2), (2, 3), (0, 3)], gap=10, dummy=8)
    assert placed.rank == (0, 1, 2, 3)
    assert [r for _, r in placed.routes[3]] == [1, 2]
    for x, r in placed.routes[3]:
        node = r  # the node on the same rank
        assert abs(x - placed.x[node]) >= 20 + 4 + 10 - 1e-9


def test_pack_keeps_order_and_gaps() -> None:
    x = [0.0] * 3
    _pack([0, 1, 2], [5.0, 5.0, 5.0], [10.0, 20.0, 10.0], 4.0, x)
    assert x[1] - x[0] == pytest.approx(5 + 10 + 4) and x[2] - x[1] == pytest.approx(10 + 5 + 4)
    assert sum(x) / 3 == pytest.approx(5.0)  # as near the wanted places as the gaps allow


# --- hostile names ----------------------------------------------------------------------------

HOSTILE = [
    "</text><script>alert(1)</script>",
    "a&b\"c'd",
    "\x00\x1b[31m",
    '"]-->x; click x',
    "} digraph { \\n",
    "#quot;`",
]


def hostile_report(chain: bool) -> Report:
    import json

    lines = [f"name: {json.dumps(HOSTILE[0])}", "input: 8x8x1", "layers:"]
    for i, name in enumerate(HOSTILE):
        extra = "" if chain or i < 2 else ", from: input"
        lines.append(f"  - {{kind: conv, filters: 2, kernel: 3, padding: 1, name: {json.dumps(name)}{extra}}}")
    return analyze(load_spec_text("\n".join(lines) + "\n"))


@pytest.mark.parametrize("chain", [True, False])
def test_hostile_names_stay_text(chain: bool) -> None:
    report = hostile_report(chain)
    svg = architecture_svg(report)
    root = check_svg(svg, report, None)
    assert not list(root.iter(f"{SVG}script"))
    shown = [g.get("data-name") for g in layers_of(root)][1:]
    assert shown[0] == HOSTILE[0] and shown[1] == HOSTILE[1]
    assert shown[2] == "\\x00\\x1b[31m"  # what XML cannot carry is made visible


def test_hostile_names_in_dot_and_mermaid() -> None:
    report = hostile_report(False)
    dot = architecture_dot(report)
    check_dot(dot, report)
    mermaid = architecture_mermaid(report)
    check_mermaid(mermaid, report)
    assert "<script" not in mermaid and "\x00" not in dot and "\x00" not in mermaid


# --- DOT and Mermaid --------------------------------------------------------------------------


def check_dot(dot: str, report: Report, depth: int | None = None) -> None:
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)
    assert unquoted.count("{") == unquoted.count("}") == 1
    assert unquoted.startswith('digraph "" {')
    rows = rollup(report, depth) if depth is not None else report.rows
    nodes = re.findall(r"^  n(\d+) \[label=", dot, re.M)
    assert [int(n) for n in nodes] == list(range(len(rows)))
    edges = re.findall(r"^  n(\d+) -> n(\d+);$", dot, re.M)
    assert {(rows[int(a)].name, rows[int(b)].name) for a, b in edges} == expected_edges(report, depth)
    assert len(edges) == len(expected_edges(report, depth))


def check_mermaid(text: str, report: Report, depth: int | None = None) -> None:
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    rows = rollup(report, depth) if depth is not None else report.rows
    nodes = [re.fullmatch(r'  n(\d+)\["([^"]*)"\]', line) for line in lines[1 : len(rows) + 1]]
    assert all(nodes) and [int(m.group(1)) for m in nodes if m] == list(range(len(rows)))
    for m in nodes:
        assert m is not None and "<" not in m.group(2).replace("<br/>", "")
    edges = [re.fullmatch(r"  n(\d+) --> n(\d+)", line) for line in lines[len(rows) + 1 :]]
    found = [(rows[int(m.group(1))].name, rows[int(m.group(2))].name) for m in edges if m]
    assert set(found) == expected_edges(report, depth) and len(found) == len(set(found))


@pytest.mark.parametrize(("name", "depth"), [("lenet5", None), ("resnet18", None), ("googlenet", 1), ("siamese", None)])
def test_dot_and_mermaid(name: str, depth: int | None) -> None:
    report = report_of(name)
    check_dot(architecture_dot(report, depth=depth), report, depth)
    check_mermaid(architecture_mermaid(report, depth=depth), report, depth)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)")
@pytest.mark.parametrize("name", ["resnet18", "googlenet", "hostile"])
def test_graphviz_reads_the_dot(name: str) -> None:
    report = hostile_report(False) if name == "hostile" else report_of(name)
    done = subprocess.run(
        ["dot", "-Tsvg"], input=architecture_dot(report).encode(), capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(done.stdout)
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]) == len(report.rows)
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]) == len(expected_edges(report, None))
    titles = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "node" for t in g.iter(f"{SVG}text")]
    assert terminal(report.rows[1].name) in titles  # the label as written, escaped only for DOT


# --- the command ------------------------------------------------------------------------------


def test_cli_writes_svg_and_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    result = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    check_svg(out.read_text(encoding="utf-8"), report_of("lenet5"), None)
    again = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert runner.invoke(app, ["draw", "lenet5", "-o", str(out), "--force"]).exit_code == 0


def test_cli_format_from_suffix_and_stdout(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "net.dot"
    assert runner.invoke(app, ["draw", "siamese", "-o", str(out)]).exit_code == 0
    check_dot(out.read_text(encoding="utf-8"), report_of("siamese"))
    result = runner.invoke(app, ["draw", "resnet18", "--depth", "1", "-f", "mermaid"])
    assert result.exit_code == 0
    check_mermaid(result.stdout, report_of("resnet18"), 1)
    svg = runner.invoke(app, ["draw", "--dsl", "32x32x3 | conv5-8 p=0 | maxpool | fc-10"]).stdout
    assert ET.fromstring(svg).tag == f"{SVG}svg"


def test_cli_never_overwrites_its_input(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("name: n\ninput: 8x8x1\nlayers:\n  - {kind: conv, filters: 2, kernel: 3}\n", encoding="utf-8")
    result = runner.invoke(app, ["draw", str(spec), "-o", str(spec), "-f", "svg", "--force"])
    assert result.exit_code == 2 and "input of this run" in result.stderr
    assert spec.read_text(encoding="utf-8").startswith("name: n")


def test_cli_volumes_of_a_graph_is_an_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["draw", "googlenet", "--depth", "all", "--style", "volumes"])
    assert result.exit_code == 2 and "not a chain" in result.stderr and "Traceback" not in result.output


def test_png_without_a_renderer_names_what_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnncalc.features.draw.png as png

    monkeypatch.setattr(png, "renderer", lambda: None)
    out = tmp_path / "net.png"
    result = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert result.exit_code == 2
    assert "cairosvg" in result.stderr and "rsvg-convert" in result.stderr
    assert not out.exists()
    to_terminal = runner.invoke(app, ["draw", "lenet5", "-f", "png"])
    assert to_terminal.exit_code == 2 and "-o" in to_terminal.stderr


def test_png_with_a_renderer(runner: CliRunner, tmp_path: Path) -> None:
    from cnncalc.features.draw.png import renderer

    if renderer() is None:
        pytest.skip("no PNG renderer installed (pip install cairosvg, or apt-get install librsvg2-bin)")
    out = tmp_path / "net.png"
    result = runner.invoke(app, ["draw", "alexnet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    root = ET.fromstring(architecture_svg(report_of("alexnet")))
    assert abs(width - 2 * float(root.get("width", 0))) <= 1 and abs(height - 2 * float(root.get("height", 0))) <= 1


#: the diagrams docs/draw.md shows (docs/img also holds compare's plot, tested by
#: tests/features/compare/test_compare.py)
DIAGRAMS = [
    Path(__file__).resolve().parents[3] / "docs" / "img" / f"{name}.svg" for name in ("lenet5", "encoder-decoder")
]


@pytest.mark.parametrize("picture", DIAGRAMS, ids=lambda p: p.stem)
def test_pictures_in_the_docs_are_what_cnncalc_draws(picture: Path) -> None:
    """docs/img/NAME.svg is `cnncalc draw NAME`, byte for byte (regenerate it when the drawing changes)."""
    assert picture.read_text(encoding="utf-8") == architecture_svg(report_of(picture.stem))
