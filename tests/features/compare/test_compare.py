"""`cnncalc compare`: the figures against published ones, every output format parsed, the plot.

Golden values are torchvision's published `num_params`, GFLOPS and acc@1 (its model docs,
`*_Weights.IMAGENET1K_V1`) and the depths papers give their networks; none comes from
cnncalc's own output.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.features.compare.figures import Entry, compare, weight_depth
from cnncalc.features.compare.labels import Box, place_labels
from cnncalc.features.compare.plot import plot_svg
from cnncalc.spec import bundled_names, load_spec_text

ROOT = Path(__file__).resolve().parents[3]
SVG = "{http://www.w3.org/2000/svg}"
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}

#: torchvision's published num_params, GFLOPS (multiply-adds) and acc@1 of the IMAGENET1K_V1 weights
TORCHVISION: dict[str, tuple[int, float | None, float]] = {
    "resnet18": (11_689_512, 1.81, 69.758),
    "resnet34": (21_797_672, 3.66, 73.314),
    "resnet50": (25_557_032, 4.09, 76.130),
    "resnet101": (44_549_160, 7.80, 77.374),
    "resnet152": (60_192_808, 11.51, 78.312),
    "vgg11": (132_863_336, 7.61, 69.020),
    "vgg13": (133_047_848, 11.31, 69.928),
    "vgg16": (138_357_544, 15.47, 71.592),
    "vgg19": (143_667_240, 19.63, 72.376),
    "mobilenet-v2": (3_504_872, 0.30, 71.878),
    "densenet121": (7_978_856, 2.83, 74.434),
    "squeezenet1_0": (1_248_424, 0.82, 58.092),
    "googlenet-torchvision": (6_624_904, 1.50, 69.778),
    # num_params counts the auxiliary head; GFLOPS (5.71) is the eval-mode pass, without it: see below
    "inception-v3-aux": (27_161_264, None, 77.294),
}

#: depth in layers with weights, as the papers name or count them
PUBLISHED_DEPTH = {
    "alexnet": 8,  # 5 conv + 3 fully connected (Krizhevsky et al. 2012)
    "vgg16": 16,
    "vgg19": 19,
    "resnet18": 18,
    "resnet34": 34,
    "resnet50": 50,
    "resnet101": 101,
    "resnet152": 152,
    "googlenet": 22,  # "22 layers deep when counting only layers with parameters" (Szegedy et al. 2014)
    "inception-v3": 48,  # lecture 001's comparison table
    "densenet121": 121,
    "mobilenet-v1": 28,  # "counting depthwise and pointwise convolutions as separate layers, 28 layers"
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["compare", *args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# --- the figures ---


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_params_macs_and_top1_are_torchvisions(name: str) -> None:
    params, gflops, top1 = TORCHVISION[name]
    (entry,) = compare([name])
    assert entry.params == params
    if gflops is not None:
        assert round(entry.macs / 1e9, 2) == gflops
    assert entry.top1 == top1
    assert entry.param_bytes == 4 * params  # float32


def test_inception_v3_at_inference_is_torchvisions_gflops() -> None:
    (entry,) = compare(["inception-v3"])
    assert (round(entry.macs / 1e9, 2), entry.top1) == (5.71, 77.294)


@pytest.mark.parametrize("name", sorted(PUBLISHED_DEPTH))
def test_depth_is_the_published_one(name: str) -> None:
    (entry,) = compare([name])
    assert entry.depth == PUBLISHED_DEPTH[name]


def test_networks_laid_out_after_a_paper_quote_no_top1() -> None:
    """No published weights match them exactly, so they quote nothing."""
    for entry in compare(["alexnet", "googlenet", "resnet50-v1", "lenet5"]):
        assert entry.top1 is None


def test_depth_is_the_longest_path_of_weight_layers() -> None:
    """A shortcut with one conv beside a path of three: depth 3 + the classifier; relu, bn, pool don't count."""
    spec = load_spec_text(
        """
input: 8x8x3
layers:
  - {kind: conv, name: a, filters: 4, kernel: 3, padding: 1}
  - {kind: batch_norm, name: bn}
  - {kind: relu, name: r}
  - {kind: conv, name: b, filters: 4, kernel: 3, padding: 1}
  - {kind: conv, name: c, filters: 4, kernel: 3, padding: 1, id: main}
  - {kind: conv, name: s, filters: 4, kernel: 1, from: input, id: side}
  - {kind: add, name: add, from: [main, side]}
  - {kind: max_pool, name: pool}
  - {kind: dense, name: fc, units: 10}
"""
    )
    from cnncalc.core.walk import analyze

    assert weight_depth(analyze(spec)) == 4


def test_a_network_without_weights_has_depth_0() -> None:
    from cnncalc.core.walk import analyze

    assert weight_depth(analyze(load_spec_text("input: 8x8x3\nlayers: [{kind: relu}, {kind: max_pool}]\n"))) == 0


def test_top1_outside_0_to_100_is_a_located_error(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("name: net\ntop1: 101\ninput: 8x8x3\nlayers: [{kind: relu}]\n", encoding="utf-8")
    code, out, err = invoke(str(spec))
    assert code == 2 and out == ""
    assert f"{spec}:2:" in err and "top1" in err


# --- every format, parsed ---

NAMES = ["alexnet", "vgg16", "resnet18", "mobilenet-v2"]


def test_csv_holds_exact_integers_and_a_blank_top1() -> None:
    code, out, _ = invoke(*NAMES, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == NAMES
    assert list(rows[0]) == ["name", "depth", "params", "macs", "flops", "activation_bytes", "param_bytes", "top1"]
    by_name = {r["name"]: r for r in rows}
    assert int(by_name["vgg16"]["params"]) == 138_357_544
    assert int(by_name["vgg16"]["depth"]) == 16
    assert int(by_name["vgg16"]["macs"]) == 15_470_264_320  # He et al. / torchvision's 15.47 G, to the unit
    assert int(by_name["resnet18"]["param_bytes"]) == 4 * 11_689_512
    assert float(by_name["resnet18"]["top1"]) == 69.758
    assert by_name["alexnet"]["top1"] == ""
    assert int(by_name["alexnet"]["params"]) == 60_965_224  # Caffe's bvlc_alexnet


def test_json_is_one_envelope() -> None:
    code, out, _ = invoke(*NAMES, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert next(iter(document)) == "schema_version"
    networks = document["networks"]
    assert [n["spec"] for n in networks] == NAMES
    vgg = networks[1]
    assert (vgg["params"], vgg["depth"], vgg["top1"]) == (138_357_544, 16, 71.592)
    assert isinstance(vgg["macs"], int) and isinstance(vgg["activation_bytes"], int)
    # the sum of the rows of lecture 002's VGG-16 memory table: 15,237,608 elements x 4 bytes
    assert vgg["activation_bytes"] == 60_950_432
    assert networks[0]["top1"] is None


def test_markdown_is_a_table_of_one_row_per_network() -> None:
    code, out, _ = invoke(*NAMES, "--format", "markdown")
    assert code == 0
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(NAMES)
    widths = {len(line.replace("\\|", "").split("|")) for line in table}
    assert len(widths) == 1  # every row has the header's number of cells
    assert set(table[1].replace("|", "")) <= set("-:")
    assert table[3].startswith("| vgg16 | 16 | 138,357,544 |") and table[3].endswith("| 71.592 |")


def test_markdown_and_csv_escape_hostile_names(tmp_path: Path) -> None:
    spec = tmp_path / "evil.yaml"
    spec.write_text("name: '=cmd|x'\ninput: 8x8x3\nlayers: [{kind: conv, filters: 2, kernel: 3}]\n")
    _, out, _ = invoke(str(spec), "--format", "csv")
    assert list(csv.reader(io.StringIO(out)))[1][0] == "'=cmd|x"
    _, out, _ = invoke(str(spec), "--format", "markdown")
    assert "| =cmd\\|x |" in out


def test_table_keeps_every_digit_and_says_how_depth_is_counted() -> None:
    code, out, _ = invoke(*NAMES)
    assert code == 0
    assert "138,357,544" in out and "15,470,264,320" in out and "71.592" in out
    assert "Depth: layers with weights" in out


def test_table_title_names_mixed_settings(tmp_path: Path) -> None:
    spec = tmp_path / "half.yaml"
    spec.write_text("name: half\ndtype: float16\ninput: 8x8x3\nlayers: [{kind: conv, filters: 2, kernel: 3}]\n")
    _, out, _ = invoke("lenet5", str(spec))
    assert out.startswith("2 networks (dtype and batch as each spec sets them)")


# --- the plot ---


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def networks(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "network"]


def box_of(element: ET.Element) -> Box:
    if element.tag == f"{SVG}circle":
        x, y, r = (float(element.get(k, "")) for k in ("cx", "cy", "r"))
        return Box(x - r, y - r, 2 * r, 2 * r)
    return Box(*(float(element.get(k, "")) for k in ("x", "y", "width", "height")))


def assert_no_overlap(root: ET.Element) -> None:
    labels, points = [], []
    for g in networks(root):
        rect = g.find(f"{SVG}rect")
        circle = g.find(f"{SVG}circle")
        assert rect is not None and circle is not None
        labels.append((g.get("data-name"), box_of(rect)))
        points.append((g.get("data-name"), box_of(circle)))
    for i, (name, label) in enumerate(labels):
        for other, box in labels[:i]:
            assert not label.overlaps(box), f"labels {name} and {other} overlap"
        for other, box in points:
            assert not label.overlaps(box), f"label {name} covers the point of {other}"


def ticks(root: ET.Element, axis: str) -> dict[str, float]:
    """Tick label -> its position along the axis (x for the x axis, y for the y axis)."""
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"{axis}-ticks")
    key = "x" if axis == "x" else "y"
    return {t.text or "": float(t.get(key, "")) for t in group.iter(f"{SVG}text")}


def log_position(value: int, decades: dict[int, float]) -> float:
    """Where a log axis through the given decade ticks puts `value`."""
    low = math.floor(math.log10(value))
    start, end = decades[low], decades[low + 1]
    return start + (math.log10(value) - low) * (end - start)


DOCS_SET = [
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "googlenet-torchvision",
    "inception-v3",
    "mobilenet-v2",
    "densenet121",
    "squeezenet1_0",
]


@pytest.fixture(scope="module")
def docs_entries() -> tuple[Entry, ...]:
    return compare(DOCS_SET)


def test_one_labelled_point_per_network(docs_entries: tuple[Entry, ...]) -> None:
    root = parse(plot_svg(docs_entries))
    groups = networks(root)
    assert [g.get("data-name") for g in groups] == DOCS_SET
    for g, entry in zip(groups, docs_entries, strict=True):
        label = next(t for t in g.iter(f"{SVG}text") if t.get("class") == "label")
        assert label.text == entry.name
        assert int(g.get("data-params", "")) == entry.params


def test_labels_overlap_neither_labels_nor_points(docs_entries: tuple[Entry, ...]) -> None:
    assert_no_overlap(parse(plot_svg(docs_entries)))


def test_no_overlap_with_every_bundled_network_at_once() -> None:
    """31 networks, some with the same figures (vgg11, vgg11-lrn): the crowded case."""
    assert_no_overlap(parse(plot_svg(compare(bundled_names()))))


def test_place_labels_separates_points_that_coincide() -> None:
    area = Box(0, 0, 600, 400)
    boxes, failed = place_labels([(300.0, 200.0)] * 10, [60.0] * 10, area)
    assert failed == []
    for i, box in enumerate(boxes):
        assert box.inside(area)
        assert not box.overlaps(Box(294, 194, 12, 12))
        assert all(not box.overlaps(other) for other in boxes[:i])


def test_axes_have_decade_tick_labels() -> None:
    root = parse(plot_svg(compare(["vgg16", "mobilenet-v2", "squeezenet1_0"])))
    assert {"100M", "1G", "10G"} <= set(ticks(root, "x"))
    assert {"1M", "10M", "100M"} <= set(ticks(root, "y"))


def test_points_sit_on_log_scales(docs_entries: tuple[Entry, ...]) -> None:
    """Each point where the decade ticks say its figures belong; order follows the values."""
    root = parse(plot_svg(docs_entries))
    units = {"K": 3, "M": 6, "G": 9, "T": 12}
    x_decades = {len(t) - 2 + units[t[-1]]: pos for t, pos in ticks(root, "x").items()}
    y_decades = {len(t) - 2 + units[t[-1]]: pos for t, pos in ticks(root, "y").items()}
    points = []
    for g in networks(root):
        circle = g.find(f"{SVG}circle")
        assert circle is not None
        macs, params = int(g.get("data-macs", "")), int(g.get("data-params", ""))
        x, y = float(circle.get("cx", "")), float(circle.get("cy", ""))
        assert x == pytest.approx(log_position(macs, x_decades), abs=0.01)
        assert y == pytest.approx(log_position(params, y_decades), abs=0.01)
        points.append((macs, params, x, y))
    by_macs = sorted(points)
    assert [p[2] for p in by_macs] == sorted(p[2] for p in points)  # more MACs: further right
    by_params = sorted(points, key=lambda p: p[1])
    assert [p[3] for p in by_params] == sorted((p[3] for p in points), reverse=True)  # more params: higher


def test_hostile_names_are_shown_not_run(tmp_path: Path) -> None:
    spec = tmp_path / "evil.yaml"
    spec.write_text(
        'name: "<script>alert(1)</script> & \\"q\\" \\e[31m\\u202e"\n'
        "input: 8x8x3\n"
        'layers: [{kind: conv, name: "</text><svg onload=x>", filters: 2, kernel: 3}, {kind: fc, units: 2}]\n',
        encoding="utf-8",
    )
    out = tmp_path / "p.svg"
    code, _, _ = invoke(str(spec), "lenet5", "--plot", str(out), "--profile", "--format", "json")
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    root = parse(text)  # well-formed
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    evil = networks(root)[0]
    label = next(t for t in evil.iter(f"{SVG}text") if t.get("class") == "label")
    assert label.text == '<script>alert(1)</script> & "q" \\x1b[31m\\u202e'
    assert evil.get("data-name") == label.text
    tips = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(tip.startswith("</text><svg onload=x>: ") for tip in tips)


def test_profile_draws_a_bar_per_layer_with_weights() -> None:
    (vgg,) = compare(["vgg16"])
    root = parse(plot_svg([vgg], profile=True))
    (panel,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "profile"]
    bars = [g for g in panel.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(bars) == int(panel.get("data-layers", "")) == 16  # 13 conv + 3 fc
    heights = []
    for bar in bars:
        up, down = (next(r for r in bar.iter(f"{SVG}rect") if r.get("class") == c) for c in ("macs", "params"))
        heights.append((float(up.get("height", "")), float(down.get("height", "")), bar))
    # fc6 holds the most params: 7·7·512·4096 + 4096 = 102,764,544
    tallest_down = max(heights, key=lambda h: h[1])[2]
    assert int(tallest_down.get("data-params", "")) == 7 * 7 * 512 * 4096 + 4096
    # conv1_2 (224·224·64 outputs x 3·3·64) and the other 64..512-channel 3x3 convs tie for the most MACs
    tallest_up = max(h[0] for h in heights)
    top = [int(b.get("data-macs", "")) for up, _, b in heights if up == tallest_up]
    assert 224 * 224 * 64 * 3 * 3 * 64 in top
    # heights are proportional to the figures
    for height, _, element in heights:  # written to 1/100 of a unit
        assert height == pytest.approx(tallest_up * int(element.get("data-macs", "")) / max(top), abs=0.01)


def test_without_profile_there_is_no_profile() -> None:
    root = parse(plot_svg(compare(["lenet5"])))
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "profile"]


def test_the_docs_plot_is_what_cnncalc_draws(tmp_path: Path) -> None:
    """docs/img/compare.svg is the output of the command docs/compare.md shows."""
    out = tmp_path / "compare.svg"
    code, _, _ = invoke(*DOCS_SET, "--plot", str(out), "--profile", "--format", "csv")
    assert code == 0
    shipped = (ROOT / "docs" / "img" / "compare.svg").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == shipped, "regenerate docs/img/compare.svg with the command in the docs"


# --- writing the plot safely ---


def test_plot_is_written_and_announced(tmp_path: Path) -> None:
    out = tmp_path / "p.svg"
    code, stdout, stderr = invoke("lenet5", "--plot", str(out))
    assert code == 0 and "lenet5" in stdout
    assert f"wrote {out}" in stderr
    assert networks(parse(out.read_text(encoding="utf-8")))


def test_an_existing_plot_is_replaced_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "p.svg"
    out.write_text("keep me", encoding="utf-8")
    code, stdout, stderr = invoke("lenet5", "--plot", str(out))
    assert code == 2 and "already exists" in stderr and "--force" in stderr
    assert stdout == ""  # refused before any work
    assert out.read_text(encoding="utf-8") == "keep me"
    code, _, _ = invoke("lenet5", "--plot", str(out), "--force")
    assert code == 0 and out.read_text(encoding="utf-8").startswith("<?xml")


def test_the_plot_never_replaces_an_input(tmp_path: Path) -> None:
    spec = tmp_path / "net.svg"  # an input with the plot's suffix
    spec.write_text("input: 8x8x3\nlayers: [{kind: conv, filters: 2, kernel: 3}]\n", encoding="utf-8")
    code, _, stderr = invoke(str(spec), "--plot", str(spec), "--force")
    assert code == 2 and "input of this run" in stderr
    assert spec.read_text(encoding="utf-8").startswith("input:")


def test_the_plot_is_never_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / "p.svg"
    link.symlink_to(victim)
    code, _, stderr = invoke("lenet5", "--plot", str(link), "--force")
    assert code == 2 and "symbolic link" in stderr
    assert victim.read_text(encoding="utf-8") == "precious" and link.is_symlink()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lenet5", "--profile"], "--profile draws into the plot"),
        (["lenet5", "--plot", "p.png"], "the plot is an SVG file"),
        (["lenet5", "--format", "junit"], "not a format of this command"),
        (["no-such-network"], "no spec file or bundled network named"),
        ([], "Missing argument"),
    ],
)
def test_mistakes_are_errors_with_exit_2(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, stderr = invoke(*args)
    assert code == 2 and message in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "p.png").exists()


def test_a_long_name_is_shortened_on_the_plot_only() -> None:
    spec = load_spec_text(
        f"name: {'n' * 30}-{'m' * 30}\ninput: 8x8x3\nlayers: [{{kind: conv, filters: 2, kernel: 3}}]\n"
    )
    from cnncalc.core.walk import analyze
    from cnncalc.features.compare.figures import entry

    root = parse(plot_svg([entry(analyze(spec), "x")]))
    (g,) = networks(root)
    label = next(t for t in g.iter(f"{SVG}text") if t.get("class") == "label")
    assert g.get("data-name") == spec.name  # whole in the data and the tooltip
    assert label.text is not None and len(label.text) <= 40 and "\u2026" in label.text
    assert label.text.startswith("nnnn") and label.text.endswith("mmmm")


def test_networks_with_the_same_figures_get_a_label_each() -> None:
    """Eight points on one spot (the same network under eight names), beside two others."""
    (lenet,) = compare(["lenet5"])
    crowd = [Entry(**{**lenet.__dict__, "name": f"copy{i}"}) for i in range(8)]
    root = parse(plot_svg([*crowd, *compare(["lenet5-classic", "highway"])]))
    assert len(networks(root)) == 10
    assert_no_overlap(root)
