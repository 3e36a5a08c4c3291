"""Golden tests for errata 19-22 (docs/errata.md), checked against the decks in shared/seeds.

000 = 000_1bdf8c8016dfdb38.txt, 001 = 001_48a3e38ba1e756c3.txt. Every expected value is the
decks' own arithmetic or a published figure (He et al. 2015, Simonyan & Zisserman 2014,
torchvision's parameter counts), never cnncalc's output.
"""

from __future__ import annotations

from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.spec import load_spec
from cnncalc.spec.loader import load_spec_text

runner = CliRunner()


def test_erratum_19_a_projection_shortcut_has_parameters() -> None:
    # 000: "a projection to the output space. Either way – no additional training parameters"
    rows = {r.name: r for r in analyze(load_spec("resnet50")).rows}
    projection = rows["layer1.0.downsample.0"]
    assert projection.kind == "conv" and projection.params == 64 * 256 == 16_384
    assert rows["layer1.0.downsample.1"].params == 2 * 256  # its batch norm's scale and shift
    # one projection per stage: 64->256, 256->512, 512->1024, 1024->2048 1x1 convs
    convs = [r.params for name, r in rows.items() if name.endswith("downsample.0")]
    assert convs == [64 * 256, 256 * 512, 512 * 1024, 1024 * 2048]


POOL_7X7 = """
input: 7x7x1
layers:
  - {kind: max_pool, kernel: 2, stride: 2}
"""


def test_erratum_20_a_7x7_map_pooled_2x2_stride_2_is_3x3_the_drawn_4x4_is_ceil_mode() -> None:
    floor = analyze(load_spec_text(POOL_7X7)).rows[-1].output_shape
    assert sorted(floor) == [1, 3, 3]  # (7 - 2)//2 + 1 = 3
    ceil = analyze(load_spec_text(POOL_7X7.replace("stride: 2}", "stride: 2, ceil_mode: true}"))).rows[-1]
    assert sorted(ceil.output_shape) == [1, 4, 4]
    # the slide's map and its drawn 4x4 result: the values of ceil mode
    deck_map = (
        "0.77 0 0.11 0.33 0.55 0 0.33; 0 1.00 0 0.33 0 0.11 0; 0.11 0 1.00 0 0.11 0 0.55;"
        " 0.33 0.33 0 0.55 0 0.33 0.33; 0.55 0 0.11 0 1.00 0 0.11; 0 0.11 0 0.33 0 1.00 0;"
        " 0.33 0 0.55 0.33 0.11 0 0.77"
    )
    drawn = [[1.00, 0.33, 0.55, 0.33], [0.33, 1.00, 0.33, 0.55], [0.55, 0.33, 1.00, 0.11], [0.33, 0.55, 0.11, 0.77]]
    done = runner.invoke(app, ["pool", deck_map, "--ceil", "--format", "csv"])
    assert done.exit_code == 0, done.output
    values = [[float(x) for x in line.split(",")] for line in done.stdout.strip().splitlines() if line[:1].isdigit()]
    assert values == drawn
    floor_run = runner.invoke(app, ["pool", deck_map, "--format", "csv"])
    assert len([line for line in floor_run.stdout.strip().splitlines() if line[:1].isdigit()]) == 3


def test_erratum_21_vgg16_pools_after_each_block_not_each_conv() -> None:
    rows = analyze(load_spec("vgg16")).rows
    kinds = [r.kind for r in rows]
    assert kinds.count("conv") == 13 and kinds.count("max_pool") == 5
    before_pools = [rows[i - 1].name for i, r in enumerate(rows) if r.kind == "max_pool"]
    assert before_pools == ["conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"]
    # a 2x2/2 pool after each of 13 convs: 224 halved 13 times is 0 after the 8th
    side = 224
    for _ in range(8):
        side //= 2
    assert side == 0


def test_erratum_22_network_size_does_not_follow_from_the_parameters_at_4_bytes() -> None:
    # published counts: Caffe's bvlc_alexnet, torchvision's vgg16 and inception_v3 (no aux head)
    for name, params, mb, mib, deck in (
        ("alexnet", 60_965_224, 243.9, 232.6, 227),
        ("vgg16", 138_357_544, 553.4, 527.8, 515),
        ("inception-v3", 23_834_568, 95.3, 90.9, 89),
    ):
        assert analyze(load_spec(name)).totals.params == params, name
        assert round(params * 4 / 1e6, 1) == mb and round(params * 4 / 2**20, 1) == mib
        assert deck < min(mb, mib)
    # the table's own 23.9 M for Inception-v3: 95.6 MB, 91.2 MiB, not 89
    assert round(23.9e6 * 4 / 1e6, 1) == 95.6 and round(23.9e6 * 4 / 2**20, 1) == 91.2
