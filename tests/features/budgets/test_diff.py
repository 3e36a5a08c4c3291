"""`cnncalc diff`: layer matching, exact deltas for VGG-16 -> VGG-19 and ResNet-50 v1.5 -> v1, every format."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cnncalc import analyze, load_spec, load_spec_text
from cnncalc.cli import app
from cnncalc.features.budgets.diff import diff_reports


def conv3(c_in: int, c_out: int) -> int:
    """Params of a 3x3 conv with bias: (3*3*c_in + 1) * c_out."""
    return (9 * c_in + 1) * c_out


def conv3_macs(size: int, c_in: int, c_out: int) -> int:
    """MACs of a 3x3 'same' conv on a size x size map: positions x filters x 3*3*c_in."""
    return size * size * c_out * 9 * c_in


# VGG-19 (configuration E) = VGG-16 (D) plus conv3_4 (256 -> 256 at 56x56), conv4_4 and conv5_4
# (512 -> 512 at 28x28 and 14x14), Simonyan & Zisserman 2014, Table 1.
VGG_ADDED = {
    "conv3_4": (conv3(256, 256), conv3_macs(56, 256, 256), 56 * 56 * 256 * 4),
    "conv4_4": (conv3(512, 512), conv3_macs(28, 512, 512), 28 * 28 * 512 * 4),
    "conv5_4": (conv3(512, 512), conv3_macs(14, 512, 512), 14 * 14 * 512 * 4),
}


def test_vgg16_to_vgg19_exact_deltas() -> None:
    diff = diff_reports(analyze(load_spec("vgg16")), analyze(load_spec("vgg19")))
    params = {t.key: t for t in diff.totals}
    # torchvision num_params: vgg19 143,667,240 - vgg16 138,357,544 = 5,309,696
    assert params["params"].delta == 143_667_240 - 138_357_544 == 5_309_696
    assert params["params"].delta == sum(p for p, _, _ in VGG_ADDED.values())
    # 1,849,688,064 + 1,849,688,064 + 462,422,016; torchvision's GFLOPS 19.63 - 15.47
    assert params["macs"].delta == sum(m for _, m, _ in VGG_ADDED.values()) == 4_161_798_144
    assert params["activation_bytes"].delta == sum(b for _, _, b in VGG_ADDED.values()) == 5_218_304
    assert params["param_bytes"].delta == 4 * 5_309_696
    added = [c for c in diff.layers if c.status == "added"]
    assert {c.name: (c.delta("params"), c.delta("macs"), c.delta("activation_bytes")) for c in added} == VGG_ADDED
    assert (diff.count("removed"), diff.count("changed")) == (0, 0)
    assert [c.name for c in diff.layers if c.status != "unchanged"] == ["conv3_4", "conv4_4", "conv5_4"]
    # each added layer is listed where it sits: after the layer before it in VGG-19
    names = [c.name for c in diff.layers]
    assert names.index("conv3_4") == names.index("conv3_3") + 1 and names.index("pool3") == names.index("conv3_4") + 1


def test_resnet50_v15_to_v1_moves_the_stride_to_the_first_1x1() -> None:
    # v1 (the paper) strides the first 1x1 conv of layer2.0, layer3.0 and layer4.0; v1.5 (torchvision) the 3x3.
    # The 1x1 then runs on a quarter of the positions: (56^2 - 28^2) * 128 * 256 = (28^2 - 14^2) * 256 * 512
    # = (14^2 - 7^2) * 512 * 1024 = 77,070,336 MACs saved in each stage; the 3x3 is unchanged.
    saved = (56 * 56 - 28 * 28) * 128 * 256
    assert saved == (28 * 28 - 14 * 14) * 256 * 512 == (14 * 14 - 7 * 7) * 512 * 1024 == 77_070_336
    diff = diff_reports(analyze(load_spec("resnet50")), analyze(load_spec("resnet50-v1")))
    totals = {t.key: t for t in diff.totals}
    assert totals["params"].delta == 0  # both 25,557,032 (torchvision num_params)
    # paper-layout 3,857,973,248 vs torchvision's 4,089,184,256 (errata 12)
    assert totals["macs"].delta == -3 * saved == 3_857_973_248 - 4_089_184_256
    changed = {c.name: c for c in diff.layers if c.status == "changed"}
    stages = ("layer2.0", "layer3.0", "layer4.0")
    assert set(changed) == {f"{s}.{layer}" for s in stages for layer in ("conv1", "bn1", "relu", "conv2")}
    assert (diff.count("added"), diff.count("removed")) == (0, 0)
    for stage, size, width in (("layer2.0", 56, 128), ("layer3.0", 28, 256), ("layer4.0", 14, 512)):
        conv1 = changed[f"{stage}.conv1"]
        assert (conv1.delta("params"), conv1.delta("macs")) == (0, -saved)
        assert conv1.old is not None and conv1.new is not None
        assert conv1.old.output_shape == (width, size, size) and conv1.new.output_shape == (width, size // 2, size // 2)
        # conv1 and bn1 each allocate width x (size^2 - (size/2)^2) fewer float32 elements
        quarter = 4 * width * (size * size - size * size // 4)
        assert conv1.delta("activation_bytes") == changed[f"{stage}.bn1"].delta("activation_bytes") == -quarter
        assert changed[f"{stage}.conv2"].delta("macs") == 0
    fewer = 128 * (56**2 - 28**2) + 256 * (28**2 - 14**2) + 512 * (14**2 - 7**2)  # elements, conv1 and bn1 each
    assert totals["activation_bytes"].delta == -2 * 4 * fewer


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


OLD = """\
name: old
input: 8x8x3
layers:
  - {kind: conv, name: stem, filters: 4, kernel: 3, padding: 1}
  - {kind: conv, name: mid, filters: 4, kernel: 3, padding: 1}
  - {kind: relu, name: act}
  - {kind: max_pool, name: pool}
  - {kind: dense, name: head, units: 10}
"""
# 'mid' becomes 'middle' with 8 filters (matched by position), 'act' is removed, 'extra' is added
NEW = """\
name: new
input: 8x8x3
layers:
  - {kind: conv, name: stem, filters: 4, kernel: 3, padding: 1}
  - {kind: conv, name: middle, filters: 8, kernel: 3, padding: 1}
  - {kind: max_pool, name: pool}
  - {kind: dense, name: extra, units: 16}
  - {kind: dense, name: head, units: 10}
"""


def test_layers_match_by_name_then_by_position() -> None:
    diff = diff_reports(analyze(load_spec_text(OLD)), analyze(load_spec_text(NEW)))
    got = [(c.name, c.status, c.renamed_from) for c in diff.layers]
    assert got == [
        ("input", "unchanged", None),
        ("stem", "unchanged", None),
        ("middle", "changed", "mid"),
        ("act", "removed", None),
        ("pool", "changed", None),
        ("extra", "added", None),
        ("head", "changed", None),
    ]
    middle = diff.layers[2]
    # (3*3*4 + 1) * 8 - (3*3*4 + 1) * 4 = 148; MACs 8*8 * 36 * (8 - 4) = 9,216
    assert (middle.delta("params"), middle.delta("macs")) == (148, 9_216)
    head = diff.layers[6]
    # head reads 16 features instead of 4*4*4 = 64: (16 + 1) * 10 - (64 + 1) * 10 = -480
    assert head.delta("params") == -480


def test_diff_table_markdown_and_json(runner: CliRunner, tmp_path: Path) -> None:
    old, new = write(tmp_path, "old.yaml", OLD), write(tmp_path, "new.yaml", NEW)
    table = runner.invoke(app, ["diff", old, new])
    assert table.exit_code == 0, table.output
    assert "1 layer(s) added, 1 removed, 3 changed, 2 unchanged" in table.stdout
    assert "renamed from mid" in table.stdout and "8x8x4 -> 8x8x8" in table.stdout
    assert "stem" not in table.stdout and "stem" in runner.invoke(app, ["diff", old, new, "--all"]).stdout

    markdown = runner.invoke(app, ["diff", old, new, "--format", "markdown"]).stdout
    lines = markdown.splitlines()
    assert lines[0] == "### cnncalc diff: `old` → `new`"
    # old: 112 + 148 + 650 = 910 params; new: 112 + 296 + 2,064 + 170 = 2,642
    assert "| Params | 910 | 2,642 | +1,732 | +190.3% |" in lines
    assert "| `middle` | renamed from mid | 8x8x4 → 8x8x8 | 148 | 296 | +148 |" in markdown
    assert "| `act` | removed | 8x8x4 |" in markdown
    header = next(line for line in lines if line.startswith("| Layer |"))
    assert header.count("|") - 1 == 12

    data = json.loads(runner.invoke(app, ["diff", old, new, "-f", "json"]).stdout)
    assert data["counts"] == {"added": 1, "removed": 1, "changed": 3, "unchanged": 2}
    assert data["totals"]["params"] == {"before": 910, "after": 2_642, "delta": 1_732}
    extra = next(layer for layer in data["layers"] if layer["name"] == "extra")
    assert (extra["params_before"], extra["params_after"], extra["params_delta"]) == (
        None,
        129 * 16,
        2_064,
    )  # 4x4x8 = 128 inputs + a bias, 16 units
    assert extra["output_shape_before"] is None and extra["output_shape_after"] == [16]


def test_diff_of_identical_specs_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    same = runner.invoke(app, ["diff", "lenet5", "lenet5", "-f", "markdown"])
    assert same.exit_code == 0
    assert "| Params | 62,958 | 62,958 | 0 |  |" in same.stdout and "no layer differs" in same.stdout
    bad = runner.invoke(app, ["diff", "lenet5", write(tmp_path, "bad.yaml", "input: 8x8x3\nlayers: [{kind: x}]\n")])
    assert bad.exit_code == 2 and "bad.yaml:2:17: error: unknown layer kind 'x'" in bad.stderr
    # two revisions of one spec share a name: the title names the files
    revision = write(tmp_path, "lenet5.yaml", OLD.replace("name: old", "name: lenet5"))
    twice = runner.invoke(app, ["diff", "lenet5", revision, "-f", "markdown"])
    assert twice.exit_code == 0 and twice.stdout.startswith(f"### cnncalc diff: `lenet5` → `{revision}`")
    missing = runner.invoke(app, ["diff", "lenet5", "vgg61"])
    assert missing.exit_code == 2 and "no spec file or bundled network named 'vgg61'" in missing.stderr
