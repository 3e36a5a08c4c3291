"""Golden tests: the bundled networks and worked examples against the lecture material and papers.

Every expected value below comes from outside cnncalc: the lecture slides in shared/seeds
(cited as file + slide text), the original papers, or published framework figures (Caffe,
torchvision). None was copied from cnncalc's output. Where a slide figure is wrong, the test
asserts the true value, derived in the test from the slide's own formulas or rows, and the
erratum is listed in docs/errata.md.

Seed files (shared/seeds):
  000 = 000_1bdf8c8016dfdb38.txt   001 = 001_48a3e38ba1e756c3.txt   002 = 002_301dfe024320ff9c.txt
  003 = 003_2db409dce92503cf.txt   004 = 004_3c0cc2c179176623.txt
"""

from __future__ import annotations

import re
from functools import cache
from math import prod

import pytest

from cnncalc.core.conventions import Conventions
from cnncalc.core.report import LayerRow, Report
from cnncalc.core.walk import analyze
from cnncalc.errors import ShapeError
from cnncalc.spec import load_spec, load_spec_text
from cnncalc.spec.dsl import load_dsl
from cnncalc.spec.loader import specs_root

NO_BIAS = Conventions(bias=False)

BUNDLED = [
    "lenet5",
    "lenet5-classic",
    "exercise-valid",
    "exercise-same",
    "alexnet",
    "alexnet-cs231n",
    "zfnet",
    "vgg11",
    "vgg11-lrn",
    "vgg13",
    "vgg16-c",
    "vgg16",
    "vgg19",
]


@cache
def report(name: str, bias: bool = True) -> Report:
    return analyze(load_spec(name), None if bias else NO_BIAS)


def row(r: Report, name: str) -> LayerRow:
    matches = [x for x in r.rows if x.name == name]
    assert len(matches) == 1, f"{r.name}: no single row named {name!r} in {[x.name for x in r.rows]}"
    return matches[0]


def bundled_text(name: str) -> str:
    return (specs_root() / f"{name}.yaml").read_text(encoding="utf-8")


def one_layer(input_hwc: str, layer: str) -> Report:
    return analyze(load_spec_text(f"input: {input_hwc}\nlayers:\n  - {layer}\n"))


# --------------------------------------------------------------------------------------------
# Every bundled spec loads, names its source, and analyses without a shape error.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_spec_loads_and_names_its_source(name: str) -> None:
    text = bundled_text(name)
    assert text.startswith("# Source:"), "each bundled spec starts with a comment naming its source"
    r = report(name)
    assert r.name == name
    assert r.totals.params > 0


# --------------------------------------------------------------------------------------------
# 001, "CNN-Example to calculate parameters" (the LeNet-5-like table)
# --------------------------------------------------------------------------------------------

# (row name, Activation Shape, Activation Size, # Parameters), copied from the table of 001:
#   1. Input Layer: (32, 32, 3) 3072 0        2. CONV1 (f=5, s=1) (28, 28, 8) 6272 608
#   3. POOL1 (14, 14, 8) 1568 0               4. CONV2 (f=5, s=1) (10, 10, 16) 1600 3216
#   5. POOL2 (5, 5, 16) 400 0                 6. FC3 (120, 1) 120 48120
#   7. FC4 (84, 1) 84 10164                   8. Softmax (10, 1) 10 850
# The table writes a dense output as a column vector (n, 1); cnncalc shows it as (n,).
LENET5_TABLE = [
    ("input", (32, 32, 3), 3072, 0),
    ("CONV1", (28, 28, 8), 6272, 608),  # ((5*5*3)+1)*8 = 608
    ("POOL1", (14, 14, 8), 1568, 0),
    ("CONV2", (10, 10, 16), 1600, 3216),  # (((5*5*8)+1)*16) = 3216
    ("POOL2", (5, 5, 16), 400, 0),
    ("FC3", (120, 1), 120, 48120),  # 120*400+1*120 = 48120
    ("FC4", (84, 1), 84, 10164),  # 84*120+1*84 = 10164
    ("Softmax", (10, 1), 10, 850),  # 10*84+1*10 = 850
]


@pytest.mark.parametrize(("name", "shape", "size", "params"), LENET5_TABLE, ids=[c[0] for c in LENET5_TABLE])
def test_lenet5_table_row(name: str, shape: tuple[int, ...], size: int, params: int) -> None:
    r = report("lenet5")
    x = row(r, name)
    expected_shape = shape[:1] if len(shape) == 2 and shape[1] == 1 else shape
    assert r.shown(x.output_shape) == expected_shape
    assert x.activation_elements == size
    assert x.params == params


def test_lenet5_table_totals() -> None:
    r = report("lenet5")
    assert [x.name for x in r.rows] == [c[0] for c in LENET5_TABLE]  # exactly the table's rows
    assert r.totals.params == sum(c[3] for c in LENET5_TABLE) == 62_958
    assert r.totals.activation_elements == sum(c[2] for c in LENET5_TABLE)


# --------------------------------------------------------------------------------------------
# LeNet-5, LeCun et al. 1998 (simplified: no pooling coefficients, full C3, dense output)
# --------------------------------------------------------------------------------------------

LENET5_CLASSIC = [
    # name, shape (HWC), params; source: LeCun et al. 1998, Fig. 2 and section II.B
    ("C1", (28, 28, 6), (5 * 5 * 1 + 1) * 6),  # 001: "(5 x 5 + 1) x 6 ... which is equal to 156"
    ("S2", (14, 14, 6), 0),  # subsampling, here without the paper's 12 trainable coefficients
    ("C3", (10, 10, 16), (5 * 5 * 6 + 1) * 16),  # 2,416: all 6 maps to all 16 (paper's table: 1,516)
    ("S4", (5, 5, 16), 0),
    ("C5", (1, 1, 120), 48_120),  # paper: "C5 ... has 48,120 trainable connections"
    ("F6", (84,), 10_164),  # paper: "F6 ... has 10,164 trainable parameters"
    ("OUTPUT", (10,), (84 + 1) * 10),  # 850: dense output in place of the RBF units
]


@pytest.mark.parametrize(("name", "shape", "params"), LENET5_CLASSIC, ids=[c[0] for c in LENET5_CLASSIC])
def test_lenet5_classic_layer(name: str, shape: tuple[int, ...], params: int) -> None:
    r = report("lenet5-classic")
    x = row(r, name)
    assert r.shown(x.output_shape) == shape
    assert x.params == params


def test_lenet5_classic_total() -> None:
    r = report("lenet5-classic")
    assert r.rows[0].output_shape == (1, 32, 32)  # 32x32 grayscale
    assert row(r, "C1").params == 156  # 001: "(5 x 5 + 1) x 6 ... equal to 156"
    assert r.totals.params == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    assert round(r.totals.params, -4) == 60_000  # 001: "Parameters: 60k" (approximate)


# --------------------------------------------------------------------------------------------
# 000, "Sample Exercises": the 128x128 RGB design exercise, by hand
# --------------------------------------------------------------------------------------------

# valid: 128-3+1 = 126; 126/2 = 63; 63-3+1 = 61; floor(61/2) = 30
EXERCISE_VALID = [
    ("conv1", (126, 126, 32), (3 * 3 * 3 + 1) * 32),  # 896
    ("pool1", (63, 63, 32), 0),
    ("conv2", (61, 61, 32), (3 * 3 * 32 + 1) * 32),  # 9,248
    ("pool2", (30, 30, 32), 0),
    ("fc1", (128,), 30 * 30 * 32 * 128 + 128),  # 3,686,528
    ("output", (10,), 128 * 10 + 10),  # 1,290
]
# same: pad 1 keeps 128; 128/2 = 64; 64; 64/2 = 32
EXERCISE_SAME = [
    ("conv1", (128, 128, 32), 896),
    ("pool1", (64, 64, 32), 0),
    ("conv2", (64, 64, 32), 9_248),
    ("pool2", (32, 32, 32), 0),
    ("fc1", (128,), 32 * 32 * 32 * 128 + 128),  # 4,194,432
    ("output", (10,), 1_290),
]


@pytest.mark.parametrize(
    ("spec", "name", "shape", "params"),
    [("exercise-valid", *c) for c in EXERCISE_VALID] + [("exercise-same", *c) for c in EXERCISE_SAME],
    ids=[f"valid-{c[0]}" for c in EXERCISE_VALID] + [f"same-{c[0]}" for c in EXERCISE_SAME],
)
def test_exercise_layer(spec: str, name: str, shape: tuple[int, ...], params: int) -> None:
    r = report(spec)
    x = row(r, name)
    assert r.shown(x.output_shape) == shape
    assert x.params == params


@pytest.mark.parametrize(
    ("spec", "conv", "fc", "total"),
    [
        ("exercise-valid", 896 + 9_248, 3_686_528, 3_697_962),
        ("exercise-same", 896 + 9_248, 4_194_432, 4_205_866),
    ],
)
def test_exercise_totals(spec: str, conv: int, fc: int, total: int) -> None:
    # 000: "Calculate the total number of parameters in the convolutional layers, the fully
    # connected layer, and the entire network."
    r = report(spec)
    assert sum(x.params for x in r.rows if x.kind == "conv") == conv == 10_144
    assert row(r, "fc1").params == fc
    assert r.totals.params == conv + fc + 1_290 == total


def test_exercise_valid_warns_about_the_dropped_row() -> None:
    # floor(61/2) = 30: the 61st row and column never reach a pooling window
    assert report("exercise-same").warnings == ()
    warnings = report("exercise-valid").warnings
    assert len(warnings) == 2  # H and W of pool2
    assert all("pool2" in w and "1 pixel" in w for w in warnings)


# --------------------------------------------------------------------------------------------
# Worked examples of single layers
# --------------------------------------------------------------------------------------------

SMALL = [
    # id, input (HWC), layer, expected output (HWC), expected params, source
    # 002 "Examples time": 32x32x3, 10 5x5 filters stride 1 pad 2 -> 32x32x10; 76 x 10 = 760
    ("cs231n-pad2", "32x32x3", "{kind: conv, filters: 10, kernel: 5, stride: 1, padding: 2}", (32, 32, 10), 760),
    # 000 "If you have 10 filters that are 3x3x3 ...": (3*3*3 + 1) * 10 = 280
    ("ng-10-filters-3x3x3", "32x32x3", "{kind: conv, filters: 10, kernel: 3}", (30, 30, 10), 280),
    # 003 "32 filters of 5*5 on a color image -> 2432 parameters to learn": (5*5*3 + 1) * 32
    ("32-filters-5x5-rgb", "32x32x3", "{kind: conv, filters: 32, kernel: 5}", (28, 28, 32), 2_432),
    # 000 "6x6 * 3x3 -> 4x4" (valid) and "6 + 2 - 3 + 1 = 6" (pad 1, same)
    ("ng-6x6-valid", "6x6x1", "{kind: conv, filters: 1, kernel: 3}", (4, 4, 1), 10),
    ("ng-6x6-pad1", "6x6x1", "{kind: conv, filters: 1, kernel: 3, padding: 1}", (6, 6, 1), 10),
    # 000 "(7 + 0 - 3)/2 + 1 = 3"
    ("ng-7x7-s2", "7x7x1", "{kind: conv, filters: 1, kernel: 3, stride: 2}", (3, 3, 1), 10),
    # 002 "stride 1 => (7 - 3)/1 + 1 = 5", "stride 2 => (7 - 3)/2 + 1 = 3"
    ("cs231n-7x7-s1", "7x7x1", "{kind: conv, filters: 1, kernel: 3, stride: 1}", (5, 5, 1), 10),
    ("cs231n-7x7-s2", "7x7x1", "{kind: conv, filters: 1, kernel: 3, stride: 2}", (3, 3, 1), 10),
    # 002 "pad with 1 pixel border => what is the output? 7x7 output!"
    ("cs231n-7x7-pad1", "7x7x1", "{kind: conv, filters: 1, kernel: 3, padding: 1}", (7, 7, 1), 10),
    # 002 AlexNet CONV1: "(227-11)/4+1 = 55", params "(11 x 11 x 3) x 96" weights + 96 biases
    ("alexnet-conv1", "227x227x3", "{kind: conv, filters: 96, kernel: 11, stride: 4}", (55, 55, 96), 34_944),
    # 002 AlexNet POOL1: "(55-3)/2+1 = 27", "Parameters: 0!"
    ("alexnet-pool1", "55x55x96", "{kind: max_pool, kernel: 3, stride: 2}", (27, 27, 96), 0),
    # 000 pooling "f=2, s=2" on 4x4 -> 2x2 (average pooling example); no parameters to learn
    ("ng-avgpool-4x4", "4x4x1", "{kind: avg_pool, kernel: 2, stride: 2}", (2, 2, 1), 0),
    # 004 max pool 4x4 -> [[6,8],[3,4]] (2x2)
    ("004-maxpool-4x4", "4x4x1", "{kind: max_pool, kernel: 2}", (2, 2, 1), 0),
]


@pytest.mark.parametrize(("inp", "layer", "shape", "params"), [c[1:] for c in SMALL], ids=[c[0] for c in SMALL])
def test_small_example(inp: str, layer: str, shape: tuple[int, ...], params: int) -> None:
    r = one_layer(inp, layer)
    x = r.rows[1]
    assert r.shown(x.output_shape) == shape
    assert x.params == params
    assert r.warnings == ()  # all of these tile exactly


def test_stride_3_does_not_fit_7x7() -> None:
    # 002: "7x7 input ... 3x3 filter applied with stride 3? doesn't fit! ... (7 - 3)/3 + 1 = 2.33"
    # Frameworks floor it to 2 and leave the last pixel unused; cnncalc must say so.
    r = analyze(load_spec_text("input: 7x7x1\nlayers:\n  - {kind: conv, name: C, filters: 1, kernel: 3, stride: 3}\n"))
    assert r.shown(r.rows[1].output_shape) == (2, 2, 1)  # floor(2.33) = 2
    assert len(r.warnings) == 2  # along H and along W
    for w in r.warnings:
        assert "layer 'C'" in w
        assert "1 pixel" in w  # 7 - ((2 - 1)*3 + 3) = 1 pixel dropped


# --------------------------------------------------------------------------------------------
# AlexNet as Caffe's bvlc_alexnet (grouped) -- 004 parameter / neuron table
# --------------------------------------------------------------------------------------------


def test_alexnet_total_is_the_caffe_figure() -> None:
    # Caffe bvlc_alexnet: 60,965,224 parameters (sum of the per-layer blobs, weights + biases):
    caffe = {
        "conv1": 11 * 11 * 3 * 96 + 96,  # 34,944
        "conv2": 5 * 5 * 48 * 256 + 256,  # 307,456 (group 2: 96/2 = 48 input channels per filter)
        "conv3": 3 * 3 * 256 * 384 + 384,  # 885,120
        "conv4": 3 * 3 * 192 * 384 + 384,  # 663,936 (group 2)
        "conv5": 3 * 3 * 192 * 256 + 256,  # 442,624 (group 2)
        "fc6": 6 * 6 * 256 * 4096 + 4096,  # 37,752,832
        "fc7": 4096 * 4096 + 4096,  # 16,781,312
        "fc8": 4096 * 1000 + 1000,  # 4,097,000
    }
    r = report("alexnet")
    for name, params in caffe.items():
        assert row(r, name).params == params, name
    assert r.totals.params == sum(caffe.values()) == 60_965_224


def _shown_value(figure: str) -> tuple[float, int]:
    """'35 K' -> (35, 1000); '37 M' -> (37, 10**6)."""
    m = re.fullmatch(r"([\d.]+)\s*([KM])", figure)
    assert m
    return float(m.group(1)), {"K": 1_000, "M": 1_000_000}[m.group(2)]


# 004 "Parameters :" row: [(11x11x3)+1]x96 = 35 K | [5x5x48]x256 = 307 K | [3x3x256]x384 = 884 K |
# 663 K | 442 K | 37 M | 16 M | 4 M | 60 M. All but conv1 are weights only ("[5x5x48]x256").
# The slide is inconsistent in how it shortens: conv1 is rounded (34,944 -> 35K), the others are
# truncated (884,736 -> 884K, not 885K; 663,552 -> 663K; 37,748,736 -> 37M; 16,777,216 -> 16M).
# The "how" column records which; both ways are asserted to be what they are.
ALEXNET_004_WEIGHTS = [
    # layer, slide figure, exact weights from the slide's formula, how the slide shortened it
    ("conv1", "35 K", 11 * 11 * 3 * 96, "round"),  # 34,848 (34,944 with biases): both round to 35K
    ("conv2", "307 K", 5 * 5 * 48 * 256, "both"),  # 307,200
    ("conv3", "884 K", 3 * 3 * 256 * 384, "floor"),  # 884,736: rounds to 885K
    ("conv4", "663 K", 3 * 3 * 192 * 384, "floor"),  # 663,552: rounds to 664K
    ("conv5", "442 K", 3 * 3 * 192 * 256, "both"),  # 442,368
    ("fc6", "37 M", 6 * 6 * 256 * 4096, "floor"),  # 37,748,736: rounds to 38M
    ("fc7", "16 M", 4096 * 4096, "floor"),  # 16,777,216: rounds to 17M
    ("fc8", "4 M", 4096 * 1000, "both"),  # 4,096,000
]


@pytest.mark.parametrize(
    ("name", "figure", "weights", "how"), ALEXNET_004_WEIGHTS, ids=[c[0] for c in ALEXNET_004_WEIGHTS]
)
def test_alexnet_004_weights_row(name: str, figure: str, weights: int, how: str) -> None:
    x = row(report("alexnet", bias=False), name)
    assert x.biases == 0
    assert x.params == weights
    value, unit = _shown_value(figure)
    rounded, floored = round(weights / unit), weights // unit
    if how in ("round", "both"):
        assert rounded == value
    if how in ("floor", "both"):
        assert floored == value
    if name == "conv1":  # "[(11x11x3)+1]x96 = 35 K": the slide's own formula includes biases
        assert round(row(report("alexnet"), "conv1").params / unit) == value


def test_alexnet_004_totals() -> None:
    r = report("alexnet")
    # 004 "60 M" (last column): 60,965,224 -> 60M (truncated; rounds to 61M)
    assert r.totals.params // 10**6 == 60
    # 004 "About 57 M parameters are in the fully connected layers": the true count is
    # 37,752,832 + 16,781,312 + 4,097,000 = 58,631,144 (58.6M), not 57M.
    fc = sum(row(r, n).params for n in ("fc6", "fc7", "fc8"))
    assert fc == (9216 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000 == 58_631_144


# 004 "Neurons :" row: 253,440 | 27x27x256 = 186,624 | 13x13x384 = 64,896 | 13x13x384 = 64,896 |
# 13x13x256 = 43,264 | 4096 | 4096 | 1000 | 0.63 M
# conv1's "253,440" is wrong: conv1's output is 55x55x96 = 290,400 (docs/errata.md, #5).
ALEXNET_004_NEURONS = [
    ("conv1", 55 * 55 * 96),  # 290,400; the slide says 253,440
    ("conv2", 27 * 27 * 256),  # 186,624
    ("conv3", 13 * 13 * 384),  # 64,896
    ("conv4", 13 * 13 * 384),  # 64,896
    ("conv5", 13 * 13 * 256),  # 43,264
    ("fc6", 4096),
    ("fc7", 4096),
    ("fc8", 1000),
]


@pytest.mark.parametrize(("name", "neurons"), ALEXNET_004_NEURONS, ids=[c[0] for c in ALEXNET_004_NEURONS])
def test_alexnet_004_neurons_row(name: str, neurons: int) -> None:
    assert row(report("alexnet"), name).activation_elements == neurons


def test_alexnet_004_neurons_erratum() -> None:
    r = report("alexnet")
    slide = 253_440  # 004's conv1 neurons
    side = (227 - 11) // 4 + 1  # conv1: 11x11 kernel, stride 4, no padding on 227x227 -> 55
    conv1 = row(r, "conv1").activation_elements
    assert conv1 == side * side * 96 == 290_400
    assert conv1 != slide
    # "0.63 M": the true sum of the row is 659,272 (0.66M); with the slide's 253,440 it is
    # 622,312 (0.62M). Neither gives 0.63M.
    total = sum(row(r, n).activation_elements for n, _ in ALEXNET_004_NEURONS)
    assert total == sum(n for _, n in ALEXNET_004_NEURONS) == 659_272


ALEXNET_SHAPES = [
    # 002 "Full (simplified) AlexNet architecture", shapes in brackets; same for both variants
    ("conv1", (55, 55, 96)),
    ("pool1", (27, 27, 96)),
    ("conv2", (27, 27, 256)),
    ("pool2", (13, 13, 256)),
    ("conv3", (13, 13, 384)),
    ("conv4", (13, 13, 384)),
    ("conv5", (13, 13, 256)),
    ("pool5", (6, 6, 256)),
    ("fc6", (4096,)),
    ("fc7", (4096,)),
    ("fc8", (1000,)),
]


# --------------------------------------------------------------------------------------------
# AlexNet of the CS231n slides (002): no groups, NORM after the pools
# --------------------------------------------------------------------------------------------

CS231N_ALEXNET = [
    # 002: "[55x55x96] CONV1 ... [27x27x96] MAX POOL1 ... [27x27x96] NORM1 ... [27x27x256] CONV2 ...
    # [13x13x256] MAX POOL2 ... [13x13x256] NORM2 ... [13x13x384] CONV3 ... [13x13x384] CONV4 ...
    # [13x13x256] CONV5 ... [6x6x256] MAX POOL3 ... [4096] FC6 ... [4096] FC7 ... [1000] FC8"
    ("CONV1", (55, 55, 96)),
    ("POOL1", (27, 27, 96)),
    ("NORM1", (27, 27, 96)),
    ("CONV2", (27, 27, 256)),
    ("POOL2", (13, 13, 256)),
    ("NORM2", (13, 13, 256)),
    ("CONV3", (13, 13, 384)),
    ("CONV4", (13, 13, 384)),
    ("CONV5", (13, 13, 256)),
    ("POOL3", (6, 6, 256)),
    ("FC6", (4096,)),
    ("FC7", (4096,)),
    ("FC8", (1000,)),
]


def test_alexnet_cs231n_params() -> None:
    r = report("alexnet-cs231n")
    # 002: "Parameters: (11 x 11 x 3) x 96 = 35K" (weights only)
    assert row(report("alexnet-cs231n", bias=False), "CONV1").params == 34_848
    assert round(34_848 / 1000) == 35
    expected = {  # ungrouped convs: every filter sees every input channel
        "CONV1": 11 * 11 * 3 * 96 + 96,
        "CONV2": 5 * 5 * 96 * 256 + 256,  # 614,656
        "CONV3": 3 * 3 * 256 * 384 + 384,  # 885,120
        "CONV4": 3 * 3 * 384 * 384 + 384,  # 1,327,488
        "CONV5": 3 * 3 * 384 * 256 + 256,  # 884,992
        "FC6": 6 * 6 * 256 * 4096 + 4096,
        "FC7": 4096 * 4096 + 4096,
        "FC8": 4096 * 1000 + 1000,
    }
    for name, params in expected.items():
        assert row(r, name).params == params, name
    assert r.totals.params == sum(expected.values()) == 62_378_344


# --------------------------------------------------------------------------------------------
# 001 AlexNet slide errata: "stride = 4" on every conv, "9261 nodes"
# --------------------------------------------------------------------------------------------


def _cs231n_with_stride(layers: tuple[str, ...], stride: int) -> str:
    text = bundled_text("alexnet-cs231n")
    for name in layers:
        text, n = re.subn(rf"(name: {name}, .*?stride: )1\b", rf"\g<1>{stride}", text)
        assert n == 1, name
    return text


def test_alexnet_slide_stride_4_on_conv2_is_wrong() -> None:
    # 001: "A CL of 256 filters of size 5 X 5 and stride = 4 is used once more."
    # With stride 4, conv2 gives floor((27 + 2*2 - 5)/4) + 1 = 7, not the 27x27x256 of the paper.
    true = report("alexnet-cs231n")
    assert true.shown(row(true, "CONV2").output_shape) == (27, 27, 256)
    wrong = analyze(load_spec_text(_cs231n_with_stride(("CONV2",), 4)))
    assert wrong.shown(row(wrong, "CONV2").output_shape) == ((27 + 2 * 2 - 5) // 4 + 1,) * 2 + (256,) == (7, 7, 256)


def test_alexnet_slide_stride_4_everywhere_does_not_fit() -> None:
    # 001 puts "stride = 4" on conv2..conv5 too: 27 -> 7 (conv2) -> 3 (pool2) -> 1 (conv3, p1)
    # -> 1 -> 1 -> the 3x3 POOL3 no longer fits at all.
    with pytest.raises(ShapeError):
        analyze(load_spec_text(_cs231n_with_stride(("CONV2", "CONV3", "CONV4", "CONV5"), 4)))


@pytest.mark.parametrize("spec", ["alexnet", "alexnet-cs231n"])
def test_alexnet_slide_9261_nodes_is_9216(spec: str) -> None:
    # 001: "it has 9261 nodes, all of which are fully connected to a hidden layer with 4096 nodes"
    # The last pool gives 6x6x256 = 9216 (9261 = 21^3 is a digit swap).
    r = report(spec)
    fc6 = next(i for i, x in enumerate(r.rows) if x.name.lower() == "fc6")
    feeding = r.rows[fc6 - 1]
    slide = 9261  # 001's "9261 nodes"
    side = (13 - 3) // 2 + 1  # the last 3x3 stride-2 max pool on conv5's 13x13x256 -> 6
    assert feeding.activation_elements == side * side * 256 == 9216
    assert feeding.activation_elements != slide
    assert r.rows[fc6].weights == 9216 * 4096


# --------------------------------------------------------------------------------------------
# ZFNet, Zeiler & Fergus 2013, Fig. 3
# --------------------------------------------------------------------------------------------

ZFNET = [
    # Fig. 3: 224 -> 110 (layer 1) -> 55 (pool) -> 26 (layer 2) -> 13 (pool) -> 13 -> 13 -> 13 -> 6
    ("conv1", (110, 110, 96)),
    ("pool1", (55, 55, 96)),
    ("conv2", (26, 26, 256)),
    ("pool2", (13, 13, 256)),
    ("conv3", (13, 13, 384)),
    ("conv4", (13, 13, 384)),
    ("conv5", (13, 13, 256)),
    ("pool5", (6, 6, 256)),
    ("fc6", (4096,)),
    ("fc7", (4096,)),
    ("fc8", (1000,)),
]


def test_zfnet_params() -> None:
    # the same layers as the ungrouped AlexNet but a 7x7x3 first layer: only conv1 differs
    zf, alex = report("zfnet"), report("alexnet-cs231n")
    assert row(zf, "conv1").params == 7 * 7 * 3 * 96 + 96
    assert zf.totals.params == alex.totals.params - (11 * 11 * 3 * 96) + (7 * 7 * 3 * 96)


# --------------------------------------------------------------------------------------------
# VGG family: paper Table 2 (also 001 "VGG Family Architecture Comparison", 002 "Table 2"),
# torchvision's published num_params
# --------------------------------------------------------------------------------------------

VGG_PAPER = [
    # spec, "Number of parameters (millions)" of Simonyan & Zisserman Table 2 / 001's table
    ("vgg11", 133),  # A
    ("vgg11-lrn", 133),  # A-LRN
    ("vgg13", 133),  # B
    ("vgg16-c", 134),  # C
    ("vgg16", 138),  # D
    ("vgg19", 144),  # E
]


@pytest.mark.parametrize(("spec", "millions"), VGG_PAPER, ids=[c[0] for c in VGG_PAPER])
def test_vgg_paper_param_count(spec: str, millions: int) -> None:
    assert round(report(spec).totals.params / 1e6) == millions


VGG_TORCHVISION = [
    # torchvision.models docs, "num_params" of the ImageNet weights
    ("vgg11", 132_863_336),
    ("vgg13", 133_047_848),
    ("vgg16", 138_357_544),
    ("vgg19", 143_667_240),
]


@pytest.mark.parametrize(("spec", "params"), VGG_TORCHVISION, ids=[c[0] for c in VGG_TORCHVISION])
def test_vgg_torchvision_param_count(spec: str, params: int) -> None:
    assert report(spec).totals.params == params


def test_vgg11_lrn_adds_no_params() -> None:
    assert report("vgg11-lrn").totals.params == 132_863_336
    assert report("vgg11-lrn").rows[2].kind == "lrn"  # right after the first conv (paper Table 1)


def test_vgg16_c_one_by_one_convs() -> None:
    # C = D with conv1 (1x1) as third conv of blocks 3, 4, 5: D minus the 3x3 weights plus the 1x1
    r = report("vgg16-c")
    assert row(r, "conv3_3").params == 1 * 1 * 256 * 256 + 256
    assert row(r, "conv4_3").params == row(r, "conv5_3").params == 1 * 1 * 512 * 512 + 512
    assert r.totals.params == 138_357_544 - (9 - 1) * (256 * 256 + 2 * 512 * 512) == 133_638_952


VGG_WEIGHT_LAYERS = [("vgg11", 11), ("vgg11-lrn", 11), ("vgg13", 13), ("vgg16-c", 16), ("vgg16", 16), ("vgg19", 19)]


@pytest.mark.parametrize(("spec", "depth"), VGG_WEIGHT_LAYERS, ids=[c[0] for c in VGG_WEIGHT_LAYERS])
def test_vgg_weight_layers(spec: str, depth: int) -> None:
    # paper Table 1 header: "11 weight layers" ... "19 weight layers"
    r = report(spec)
    assert sum(1 for x in r.rows if x.kind in ("conv", "dense")) == depth
    assert r.shown(r.rows[-1].output_shape) == (1000,)
    assert r.shown(row(r, "pool5").output_shape) == (7, 7, 512)


# --------------------------------------------------------------------------------------------
# 002 VGG-16 table: "memory" (elements) and "params (not counting biases)" per row
# --------------------------------------------------------------------------------------------

VGG16_SLIDE = [
    # row in vgg16.yaml, slide row: "[shape] memory: product=rounded  params: formula = value"
    ("input", (224, 224, 3), 224 * 224 * 3, 0),  # INPUT: memory 224*224*3=150K, params 0
    ("conv1_1", (224, 224, 64), 224 * 224 * 64, 1_728),  # =3.2M, (3*3*3)*64 = 1,728
    ("conv1_2", (224, 224, 64), 224 * 224 * 64, 36_864),  # =3.2M, (3*3*64)*64 = 36,864
    ("pool1", (112, 112, 64), 112 * 112 * 64, 0),  # POOL2: =800K
    ("conv2_1", (112, 112, 128), 112 * 112 * 128, 73_728),  # =1.6M, (3*3*64)*128 = 73,728
    ("conv2_2", (112, 112, 128), 112 * 112 * 128, 147_456),  # =1.6M, (3*3*128)*128 = 147,456
    ("pool2", (56, 56, 128), 56 * 56 * 128, 0),  # =400K
    ("conv3_1", (56, 56, 256), 56 * 56 * 256, 294_912),  # =800K, (3*3*128)*256 = 294,912
    ("conv3_2", (56, 56, 256), 56 * 56 * 256, 589_824),  # =800K, (3*3*256)*256 = 589,824
    ("conv3_3", (56, 56, 256), 56 * 56 * 256, 589_824),  # =800K, (3*3*256)*256 = 589,824
    ("pool3", (28, 28, 256), 28 * 28 * 256, 0),  # =200K
    ("conv4_1", (28, 28, 512), 28 * 28 * 512, 1_179_648),  # =400K, (3*3*256)*512 = 1,179,648
    ("conv4_2", (28, 28, 512), 28 * 28 * 512, 2_359_296),  # =400K, (3*3*512)*512 = 2,359,296
    ("conv4_3", (28, 28, 512), 28 * 28 * 512, 2_359_296),  # =400K, (3*3*512)*512 = 2,359,296
    ("pool4", (14, 14, 512), 14 * 14 * 512, 0),  # =100K
    ("conv5_1", (14, 14, 512), 14 * 14 * 512, 2_359_296),  # =100K, (3*3*512)*512 = 2,359,296
    ("conv5_2", (14, 14, 512), 14 * 14 * 512, 2_359_296),  # =100K, (3*3*512)*512 = 2,359,296
    ("conv5_3", (14, 14, 512), 14 * 14 * 512, 2_359_296),  # =100K, (3*3*512)*512 = 2,359,296
    ("pool5", (7, 7, 512), 7 * 7 * 512, 0),  # =25K
    ("fc6", (4096,), 4096, 102_760_448),  # FC [1x1x4096] memory 4096, 7*7*512*4096 = 102,760,448
    ("fc7", (4096,), 4096, 16_777_216),  # FC [1x1x4096] memory 4096, 4096*4096 = 16,777,216
    ("fc8", (1000,), 1000, 4_096_000),  # FC [1x1x1000] memory 1000, 4096*1000 = 4,096,000
]


@pytest.mark.parametrize(("name", "shape", "memory", "weights"), VGG16_SLIDE, ids=[c[0] for c in VGG16_SLIDE])
def test_vgg16_slide_row(name: str, shape: tuple[int, ...], memory: int, weights: int) -> None:
    r = report("vgg16", bias=False)
    x = row(r, name)
    assert r.shown(x.output_shape) == shape
    assert x.activation_elements == memory == prod(shape)
    assert x.params == x.weights == weights


def test_vgg16_slide_totals() -> None:
    # 002: "TOTAL params: 138M parameters" -- 138,357,544 with biases (torchvision's figure);
    # the slide's rows (weights only) sum to 138,344,128.
    assert report("vgg16").totals.params == 138_357_544
    assert report("vgg16", bias=False).totals.params == sum(c[3] for c in VGG16_SLIDE) == 138_344_128
    assert 138_357_544 - 138_344_128 == 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512 + 2 * 4096 + 1000  # biases


def test_vgg16_slide_total_memory_is_not_24m() -> None:
    # 002: "TOTAL memory: 24M * 4 bytes ~= 93MB / image (only forward! ~*2 for bwd)".
    # The slide's own rows sum to 15.2M elements, not 24M:
    rows_sum = (
        224 * 224 * 3
        + 2 * 224 * 224 * 64
        + 112 * 112 * 64
        + 2 * 112 * 112 * 128
        + 56 * 56 * 128
        + 3 * 56 * 56 * 256
        + 28 * 28 * 256
        + 3 * 28 * 28 * 512
        + 14 * 14 * 512
        + 3 * 14 * 14 * 512
        + 7 * 7 * 512
        + 4096
        + 4096
        + 1000
    )
    assert rows_sum == 15_237_608
    r = report("vgg16")
    # in-place rows (dropout, softmax) allocate nothing; every other row is one slide row
    assert all(x.activation_elements == 0 for x in r.rows if x.kind in ("dropout", "softmax"))
    assert r.totals.activation_elements == rows_sum
    assert r.totals.activation_bytes == 4 * rows_sum == 60_950_432  # float32: ~61 MB, not 93 MB


def test_vgg16_peak_activation_memory() -> None:
    # by hand: inference keeps at most a layer's input and output alive; the largest pair is
    # conv1_1's and conv1_2's 224x224x64 outputs while conv1_2 runs (float32)
    assert report("vgg16").totals.peak_activation_bytes == 2 * 224 * 224 * 64 * 4 == 25_690_112


# --------------------------------------------------------------------------------------------
# 001 "VGG Family Architecture Comparison" rows drop the fifth conv block
# --------------------------------------------------------------------------------------------


def test_001_vgg16_row_as_written_is_not_138m() -> None:
    # 001's VGG-16 row: Conv3-64 x2, Max pool, Conv3-128 x2, Max pool, Conv3-256 x3, Max pool,
    # Conv3-512 x3, Max pool, FC-4096, FC-4096, FC-1000 -- only four conv blocks (10 + 3 = 13
    # weight layers, not 16). Taken literally, FC6 sees 14x14x512 and the network has ~430M params.
    layers = [(64, 2), (128, 2), (256, 3), (512, 3)]
    text = ["input: 224x224x3", "layers:"]
    for filters, n in layers:
        text += [f"  - {{kind: conv, filters: {filters}, kernel: 3, padding: 1}}"] * n
        text += ["  - {kind: max_pool, kernel: 2}"]
    text += ["  - {kind: dense, units: 4096}", "  - {kind: dense, units: 4096}", "  - {kind: dense, units: 1000}"]
    r = analyze(load_spec_text("\n".join(text) + "\n"))
    convs = (
        (3 * 9 + 1) * 64 + (64 * 9 + 1) * 64
        + (64 * 9 + 1) * 128 + (128 * 9 + 1) * 128
        + (128 * 9 + 1) * 256 + 2 * (256 * 9 + 1) * 256
        + (256 * 9 + 1) * 512 + 2 * (512 * 9 + 1) * 512
    )  # fmt: skip
    fcs = (14 * 14 * 512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert r.totals.params == convs + fcs == 439_559_464  # ~440M
    assert round(r.totals.params / 1e6) != 138


# --------------------------------------------------------------------------------------------
# 000: "VGG-16/19 nets has 15.3/19.6 billion FLOPS" (He et al. 2015) -- multiply-adds
# --------------------------------------------------------------------------------------------


def _vgg_conv_macs(blocks: list[int]) -> int:
    """Multiply-adds of VGG's 3x3 convs: out_h*out_w*c_out*(3*3*c_in), block by block."""
    total, c_in = 0, 3
    for size, c_out, n in zip((224, 112, 56, 28, 14), (64, 128, 256, 512, 512), blocks, strict=True):
        for _ in range(n):
            total += size * size * c_out * 9 * c_in
            c_in = c_out
    return total


FC_MACS = 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * 1000  # 123,633,664


@pytest.mark.parametrize(
    ("spec", "blocks", "billions", "counted"),
    [
        ("vgg16", [2, 2, 3, 3, 3], 15.3, "conv"),  # 15,346,630,656 conv MACs; with FC 15.47G
        ("vgg19", [2, 2, 4, 4, 4], 19.6, "all"),  # 19,508,428,800 conv + 123,633,664 FC = 19.63G
    ],
)
def test_vgg_flops_claim_is_multiply_adds(spec: str, blocks: list[int], billions: float, counted: str) -> None:
    r = report(spec)
    conv = _vgg_conv_macs(blocks)
    assert sum(x.macs for x in r.rows if x.kind == "conv") == conv
    assert r.totals.macs == conv + FC_MACS
    shown = conv if counted == "conv" else conv + FC_MACS
    assert round(shown / 1e9, 1) == billions
    assert r.totals.flops > 2 * r.totals.macs  # true FLOPs are twice that and more


# --------------------------------------------------------------------------------------------
# Published per-network cost figures
# --------------------------------------------------------------------------------------------

VGG_TORCHVISION_GFLOPS = [
    # torchvision.models docs, "GFLOPS" column (torchvision counts multiply-adds)
    ("vgg11", 7.61),
    ("vgg13", 11.31),
    ("vgg16", 15.47),
    ("vgg19", 19.63),
]


@pytest.mark.parametrize(("spec", "gmacs"), VGG_TORCHVISION_GFLOPS, ids=[c[0] for c in VGG_TORCHVISION_GFLOPS])
def test_vgg_torchvision_gflops_are_macs(spec: str, gmacs: float) -> None:
    assert round(report(spec).totals.macs / 1e9, 2) == gmacs


SZE_2017 = [
    # V. Sze, Y.-H. Chen, T.-J. Yang, J. Emer, "Efficient Processing of Deep Neural Networks: A
    # Tutorial and Survey", Proc. IEEE 2017, Table 2 (AlexNet is the grouped Caffe model):
    # spec, conv weights, conv MACs, FC weights, FC MACs, total weights, total MACs, unit per column
    ("alexnet", (2.3e6, 666e6, 58.6e6, 58.6e6, 61e6, 724e6), (0.1e6, 1e6, 0.1e6, 0.1e6, 1e6, 1e6)),
    ("vgg16", (14.7e6, 15.3e9, 124e6, 124e6, 138e6, 15.5e9), (0.1e6, 0.1e9, 1e6, 1e6, 1e6, 0.1e9)),
]


@pytest.mark.parametrize(("spec", "figures", "units"), SZE_2017, ids=[c[0] for c in SZE_2017])
def test_sze_2017_table(spec: str, figures: tuple[float, ...], units: tuple[float, ...]) -> None:
    r = report(spec)
    conv = [x for x in r.rows if x.kind == "conv"]
    fc = [x for x in r.rows if x.kind == "dense"]
    ours = (
        sum(x.params for x in conv),
        sum(x.macs for x in conv),
        sum(x.params for x in fc),
        sum(x.macs for x in fc),
        r.totals.params,
        r.totals.macs,
    )
    for got, figure, unit in zip(ours, figures, units, strict=True):
        assert round(got / unit) == round(figure / unit), (got, figure)


def test_alexnet_004_conv_share_of_computation() -> None:
    # 004: "Convolutional layers cumulatively contain about 90-95% of computation, only about 5%
    # of the parameters" -- 665,784,864 of 724,406,816 MACs (91.9%); 2,334,080 of 60,965,224
    # params (3.8%).
    r = report("alexnet")
    conv_macs = sum(x.macs for x in r.rows if x.kind == "conv")
    conv_params = sum(x.params for x in r.rows if x.kind == "conv")
    assert conv_macs == (
        55 * 55 * 96 * (11 * 11 * 3) + 27 * 27 * 256 * (5 * 5 * 48) + 13 * 13 * 384 * (3 * 3 * 256)
        + 13 * 13 * 384 * (3 * 3 * 192) + 13 * 13 * 256 * (3 * 3 * 192)
    )  # fmt: skip
    assert 0.90 <= conv_macs / r.totals.macs <= 0.95
    assert conv_params / r.totals.params < 0.05


SHAPE_TABLES = {"alexnet": ALEXNET_SHAPES, "alexnet-cs231n": CS231N_ALEXNET, "zfnet": ZFNET}
SHAPE_CASES = [(net, name, shape) for net, table in SHAPE_TABLES.items() for name, shape in table]


@pytest.mark.parametrize(("net", "name", "shape"), SHAPE_CASES, ids=[f"{c[0]}-{c[1]}" for c in SHAPE_CASES])
def test_published_shapes(net: str, name: str, shape: tuple[int, ...]) -> None:
    r = report(net)
    assert r.shown(row(r, name).output_shape) == shape


# --------------------------------------------------------------------------------------------
# Errata 14-18 (docs/errata.md): the deck's figure is its own arithmetic with the input's depth,
# a network or a layer left out; the true value follows from the same arithmetic done in full
# --------------------------------------------------------------------------------------------


def dsl_params(text: str, bias: bool = True) -> int:
    return analyze(load_dsl(text), Conventions(bias=bias)).totals.params


def test_erratum_14_001_parameter_sharing_forgets_the_depth() -> None:
    # 001 "Why Convolutions?": a 32x32x3 input, 6 filters of 5x5 giving 28x28x6: "(5 x 5 + 1) x 6
    # (if there are 6 filters), which is equal to 156". Each filter spans the 3 input channels.
    r = analyze(load_dsl("32x32x3 | conv5-6 p=0"))
    assert r.shown(r.rows[1].output_shape) == (28, 28, 6)
    assert r.totals.params == (5 * 5 * 3 + 1) * 6 == 456
    # the deck's 156 is the same layer on a one-channel input
    assert dsl_params("32x32x1 | conv5-6 p=0") == (5 * 5 + 1) * 6 == 156
    # its fully connected comparison is right: 32x32x3 x 28x28x6 = 14,450,688, "nearly 14 million"
    assert 32 * 32 * 3 * 28 * 28 * 6 == 14_450_688


def test_erratum_15_002_only_10000_forgets_the_depth() -> None:
    # 002 slide 53: "Given a 200 x 200 x 3 RGB Image and we use 100 Filters of size 10 x 10. How
    # many parameters do we need to learn? Only 10,000!"
    assert dsl_params("200x200x3 | conv10-100 p=0") == (10 * 10 * 3 + 1) * 100 == 30_100
    assert dsl_params("200x200x3 | conv10-100 p=0", bias=False) == 10 * 10 * 3 * 100 == 30_000
    # the deck's 10,000 counts one channel and no bias
    assert dsl_params("200x200x1 | conv10-100 p=0", bias=False) == 10 * 10 * 100 == 10_000


def test_erratum_16_001_comparison_table_resnet_rows_are_shifted() -> None:
    # 001 "Comparison": "ResNet18 18 25.6 96" and "ResNet50 50 44.6 167" (Parameter [M]).
    # torchvision's num_params: resnet18 11,689,512, resnet50 25,557,032, resnet101 44,549,160.
    # 25.6 M is ResNet-50's count and 44.6 M ResNet-101's.
    params = {name: report(name).totals.params for name in ("resnet18", "resnet50", "resnet101")}
    assert params == {"resnet18": 11_689_512, "resnet50": 25_557_032, "resnet101": 44_549_160}
    assert round(params["resnet18"] / 1e6, 1) == 11.7 != 25.6
    assert round(params["resnet50"] / 1e6, 1) == 25.6 != 44.6
    # 44,549,160 is 44.5 M to one decimal (44.55 M to two, which rounds on to the table's 44.6);
    # no other ResNet comes near it: resnet50 25.6 M, resnet152 60.2 M
    assert abs(params["resnet101"] - 44.6e6) < 0.06e6
    assert round(report("resnet152").totals.params / 1e6, 1) == 60.2
    # the table's other rows agree: "Alexnet 8 61", "GoogLeNet 22 7", "VGG-16 16 138"
    assert round(report("alexnet").totals.params / 1e6) == 61
    assert round(report("googlenet").totals.params / 1e6) == 7
    assert round(report("vgg16").totals.params / 1e6) == 138


def test_erratum_17_002_googlenet_is_not_5_million() -> None:
    # 002 slide 115: "Only 5 million params! (Removes FC layers completely)". The table on the
    # same slide (Szegedy et al., Table 1) keeps a linear layer of 1000K params; the network has
    # 6,998,552 params (7.0 M), 5,973,552 without that layer: neither is 5 million.
    r = report("googlenet")
    fc = [x for x in r.rows if x.kind == "dense"]
    assert [x.params for x in fc] == [1024 * 1000 + 1000]
    assert r.totals.params == 6_998_552
    assert round(r.totals.params / 1e6, 1) == 7.0
    assert round((r.totals.params - fc[0].params) / 1e6, 1) == 6.0
    # the "12X less params" of the same slide gives 5 M from AlexNet's 60 M; true ratio 8.7
    assert round(report("alexnet").totals.params / r.totals.params, 1) == 8.7


def test_erratum_18_002_locally_connected_forgets_the_depth() -> None:
    # 002 slides 4-5: a 200 x 200 x 3 RGB image; "if we have 1000 hidden units and each unit
    # corresponds to a patch size of 10 x 10 how many parameters will we have to learn?
    # 100,000 parameters!" Each unit sees a 10x10x3 patch: 1000 x 300 weights. As a locally
    # connected layer: 10x10 positions (10x10 windows, stride 20) x 10 units each = 1000 units.
    text = "200x200x3 | lc10-10 s=20"
    r = analyze(load_dsl(text))
    assert prod(r.rows[1].output_shape) == 1000
    assert dsl_params(text, bias=False) == 1000 * 10 * 10 * 3 == 300_000
    assert dsl_params(text) == 300_000 + 1000 == 301_000  # one bias per unit
    # the deck's 100,000 is the same layer on a one-channel image
    assert dsl_params("200x200x1 | lc10-10 s=20", bias=False) == 1000 * 10 * 10 == 100_000
    # and its fully connected figure is right: "~120,000,000 parameters" = 200*200*3 x 1000
    assert dsl_params("200x200x3 | fc-1000", bias=False) == 120_000_000
