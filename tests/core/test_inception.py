"""Golden tests: GoogLeNet (paper and torchvision) and Inception v3 (torchvision).

Expected values come from outside cnncalc: the GoogLeNet table of the lecture slides
(shared/seeds/002_301dfe024320ff9c.txt, "Case Study: GoogLeNet", a copy of Table 1 of Szegedy et
al., "Going Deeper with Convolutions", 2014), the counts derived by hand in this file from that
table's own filter columns, and torchvision's published figures (num_params and GFLOPS in the
weights' meta of torchvision/models/googlenet.py and inception.py). None was copied from cnncalc's
output. Where the table is wrong, the test asserts the true value and says why.

The table's units (checked row by row below):
  params column: K = 1024. "112K" is 114,944 / 1024 = 112.25 (114,688 weights = exactly 112 * 1024;
    SI would give 115K); "1000K" for the 1024 -> 1000 linear is 1,024,000 weights / 1024 (SI: 1024K).
  ops column: M = 10**6, NOT 1024 * 1024. "360M" is 359,661,568 multiply-adds (in 2**20 units: 343);
    "128M" is 128,049,152 (2**20 units: 122).
  The table both truncates (159.9K -> 159K, 73.6M -> 73M) and rounds (379.6K -> 380K, 118.5M -> 119M),
  so a figure agrees when it lies within one unit of its last digit: |true / unit - published| < 1.
"""

from __future__ import annotations

from functools import cache

import pytest

from cnncalc import analyze, load_spec, load_spec_text
from cnncalc.core.report import LayerRow, Report, rollup
from cnncalc.spec.loader import specs_root

K = 1024  # the table's params unit
M = 1_000_000  # the table's ops unit

SPECS = ["googlenet", "googlenet-torchvision", "inception-v3", "inception-v3-aux"]


@cache
def report(name: str) -> Report:
    return analyze(load_spec(name))


@cache
def top_rows(name: str) -> dict[str, LayerRow]:
    """Top-level rows, each block call merged into one row (as the table lists a module)."""
    return {x.name: x for x in rollup(report(name), depth=1)}


def row(r: Report, name: str) -> LayerRow:
    matches = [x for x in r.rows if x.name == name]
    assert len(matches) == 1, f"{r.name}: no single row named {name!r}"
    return matches[0]


@pytest.mark.parametrize("name", SPECS)
def test_spec_loads_and_names_its_source(name: str) -> None:
    text = (specs_root() / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Source:")
    r = report(name)
    assert r.name == name
    assert r.warnings == ()  # every window fits exactly (ceil_mode where the table needs it)


# --------------------------------------------------------------------------------------------
# GoogLeNet, the paper's Table 1 (slides 002, "Case Study: GoogLeNet")
# --------------------------------------------------------------------------------------------


def conv_counts(c_in: int, filters: int, kernel: int, hw: int) -> tuple[int, int]:
    """(params with biases, multiply-adds) of a stride-1 'same' conv on an hw x hw map."""
    weights = kernel * kernel * c_in * filters
    return weights + filters, weights * hw * hw


def inception_counts(c_in: int, hw: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int) -> tuple[int, int]:
    """(params, multiply-adds) of an inception module, from the table's filter columns."""
    parts = [
        conv_counts(c_in, c1, 1, hw),  # #1x1
        conv_counts(c_in, c3r, 1, hw),  # #3x3 reduce
        conv_counts(c3r, c3, 3, hw),  # #3x3
        conv_counts(c_in, c5r, 1, hw),  # #5x5 reduce
        conv_counts(c5r, c5, 5, hw),  # #5x5
        conv_counts(c_in, pp, 1, hw),  # pool proj (after the 3x3/1 max pool, which has no weights)
    ]
    return sum(p for p, _ in parts), sum(m for _, m in parts)


def _conv2() -> tuple[int, int]:
    reduce, conv = conv_counts(64, 64, 1, 56), conv_counts(64, 192, 3, 56)
    return reduce[0] + conv[0], reduce[1] + conv[1]


# The table's rows with weights, as the slide prints them:
#   type  patch/stride  output size  depth  #1x1 #3x3reduce #3x3 #5x5reduce #5x5 poolproj  params ops
# Each case: (spec rows that make up the table row, true (params, MACs) derived by hand from the
# row's columns and the output size of the row above, published params in K, published ops in M,
# whether the published params / ops agree with the true value within their last digit).
GOOGLENET_TABLE = [
    # convolution 3x3/1 56x56x192 depth 2, #3x3 reduce 64, #3x3 192: 112K 360M
    ("conv2", ["conv2_reduce", "conv2"], _conv2(), 112, 360, True, True),
    # inception (3a) 28x28x256: 64 96 128 16 32 32, 159K 128M
    ("3a", ["inception_3a"], inception_counts(192, 28, 64, 96, 128, 16, 32, 32), 159, 128, True, True),
    # inception (3b) 28x28x480: 128 128 192 32 96 64, 380K 304M
    ("3b", ["inception_3b"], inception_counts(256, 28, 128, 128, 192, 32, 96, 64), 380, 304, True, True),
    # inception (4a) 14x14x512: 192 96 208 16 48 64, 364K 73M
    # ERRATUM: true 376,176 = 367.4K. (73M is 364K * 1024 * 14 * 14 = 73.06M: derived from the wrong 364K;
    # the true 73.6M still lies within the column's last digit.)
    ("4a", ["inception_4a"], inception_counts(480, 14, 192, 96, 208, 16, 48, 64), 364, 73, False, True),
    # inception (4b) 14x14x512: 160 112 224 24 64 64, 437K 88M
    # ERRATUM: true 449,160 = 438.6K (438.0K without biases): neither rounds nor truncates to 437.
    ("4b", ["inception_4b"], inception_counts(512, 14, 160, 112, 224, 24, 64, 64), 437, 88, False, True),
    # inception (4c) 14x14x512: 128 128 256 24 64 64, 463K 100M
    # ERRATUM: true 510,104 = 498.1K; the ops (99.85M -> 100M) are right.
    ("4c", ["inception_4c"], inception_counts(512, 14, 128, 128, 256, 24, 64, 64), 463, 100, False, True),
    # inception (4d) 14x14x528: 112 144 288 32 64 64, 580K 119M
    # ERRATUM: true 605,376 = 591.2K; the ops (118.5M -> 119M) are right.
    ("4d", ["inception_4d"], inception_counts(512, 14, 112, 144, 288, 32, 64, 64), 580, 119, False, True),
    # inception (4e) 14x14x832: 256 160 320 32 128 128, 840K 170M
    # ERRATUM: true 868,352 = 848.0K; the ops (169.996M -> 170M) are right.
    ("4e", ["inception_4e"], inception_counts(528, 14, 256, 160, 320, 32, 128, 128), 840, 170, False, True),
    # inception (5a) 7x7x832: 256 160 320 32 128 128, 1072K 54M
    # ERRATUM (both): true 1,043,456 = 1019.0K and 51,079,168 = 51.1M. 54M is the wrong 1072K * 1024 * 7 * 7
    # = 53.8M: the ops were computed from the wrong params.
    ("5a", ["inception_5a"], inception_counts(832, 7, 256, 160, 320, 32, 128, 128), 1072, 54, False, False),
    # inception (5b) 7x7x1024: 384 192 384 48 128 128, 1388K 71M
    # ERRATUM: true 1,444,080 = 1410.2K; the ops (70.7M -> 71M) are right.
    ("5b", ["inception_5b"], inception_counts(832, 7, 384, 192, 384, 48, 128, 128), 1388, 71, False, True),
    # linear 1x1x1000: 1000K 1M. 1024 * 1000 + 1000 = 1,025,000 = 1000.98K (the weights alone: 1000K exactly)
    ("linear", ["fc"], (1024 * 1000 + 1000, 1024 * 1000), 1000, 1, True, True),
]
TABLE_IDS = [c[0] for c in GOOGLENET_TABLE]


def table_row_counts(rows: list[str]) -> tuple[int, int]:
    tops = top_rows("googlenet")
    return sum(tops[n].params for n in rows), sum(tops[n].macs for n in rows)


@pytest.mark.parametrize(
    ("label", "rows", "true", "params_k", "ops_m", "params_agree", "ops_agree"), GOOGLENET_TABLE, ids=TABLE_IDS
)
def test_googlenet_table_row_true_counts(
    label: str,
    rows: list[str],
    true: tuple[int, int],
    params_k: int,
    ops_m: int,
    params_agree: bool,
    ops_agree: bool,
) -> None:
    assert table_row_counts(rows) == true


@pytest.mark.parametrize(
    ("label", "rows", "true", "params_k", "ops_m", "params_agree", "ops_agree"), GOOGLENET_TABLE, ids=TABLE_IDS
)
def test_googlenet_table_row_published(
    label: str,
    rows: list[str],
    true: tuple[int, int],
    params_k: int,
    ops_m: int,
    params_agree: bool,
    ops_agree: bool,
) -> None:
    params, macs = table_row_counts(rows)
    # within one unit of the last printed digit (the table truncates some figures, rounds others)
    assert (abs(params / K - params_k) < 1) == params_agree, f"{label}: {params / K:.2f}K vs published {params_k}K"
    assert (abs(macs / M - ops_m) < 1) == ops_agree, f"{label}: {macs / M:.2f}M vs published {ops_m}M"


def test_googlenet_table_units() -> None:
    """K = 1024 for params, but M = 10**6 for ops: the SI / binary alternatives miss."""
    params, macs = _conv2()  # the "convolution 3x3/1" row: 112K, 360M
    assert round(params / 1024) == 112 and round(params / 1000) == 115
    assert round(macs / 10**6) == 360 and round(macs / 2**20) == 343
    assert round(1024 * 1000 / 1024) == 1000  # linear: "1000K" (SI: 1024K)


def test_googlenet_first_row_erratum() -> None:
    # Table row 1: convolution 7x7/2, 112x112x64, params 2.7K, ops 34M. On the RGB input that layer
    # has 7*7*3*64 + 64 = 9,472 params and 112*112*64*(7*7*3) = 118,013,952 multiply-adds.
    conv1 = top_rows("googlenet")["conv1"]
    assert report("googlenet").shown(conv1.output_shape) == (112, 112, 64)
    assert conv1.params == 7 * 7 * 3 * 64 + 64 == 9_472
    assert conv1.macs == 112 * 112 * 64 * 147 == 118_013_952
    # A single-channel input does not explain 2.7K either: 7*7*1*64 = 3,136 (3.1K, or 3.06 in K = 1024)
    # and 112*112*3,136 = 39.3M ops. What the row does count, to the digit, is a depthwise-separable
    # 7x7/2 convolution with depth multiplier 8 (3 -> 24 depthwise, then 1x1 24 -> 64), without biases:
    # 7*7*3*8 + 24*64 = 1,176 + 1,536 = 2,712 = 2.7K and 112*112*2,712 = 34,019,328 = 34M (both SI).
    # (Google's own BN-Inception code builds its Conv2d_1a_7x7 exactly so: tensorflow/models,
    # research/slim/nets/inception_v2.py, separable_conv2d with depthwise_multiplier min(64 // 3, 8) = 8.)
    sep = analyze(
        load_spec_text(
            "input: {shape: [224, 224, 3], layout: hwc}\nlayers:\n"
            "  - {kind: separable_conv, filters: 64, kernel: 7, stride: 2, padding: 3, multiplier: 8, bias: false}\n"
        )
    )
    assert sep.totals.params == 7 * 7 * 3 * 8 + 3 * 8 * 64 == 2_712
    assert sep.totals.macs == 112 * 112 * 2_712 == 34_019_328
    assert round(sep.totals.params / 1000, 1) == 2.7 and round(sep.totals.macs / M) == 34


# The table's "output size" column, and the pools between its rows. 3x3/2 pools need ceil_mode:
# floor((112 - 3) / 2) + 1 = 55, ceil gives the table's 56 (likewise 28, 14, 7).
GOOGLENET_SHAPES = [
    ("conv1", (112, 112, 64)),
    ("pool1", (56, 56, 64)),
    ("conv2", (56, 56, 192)),
    ("pool2", (28, 28, 192)),
    ("inception_3a", (28, 28, 256)),
    ("inception_3b", (28, 28, 480)),
    ("pool3", (14, 14, 480)),
    ("inception_4a", (14, 14, 512)),
    ("inception_4b", (14, 14, 512)),
    ("inception_4c", (14, 14, 512)),
    ("inception_4d", (14, 14, 528)),
    ("inception_4e", (14, 14, 832)),
    ("pool4", (7, 7, 832)),
    ("inception_5a", (7, 7, 832)),
    ("inception_5b", (7, 7, 1024)),
    ("pool5", (1, 1, 1024)),  # avg pool 7x7/1
    ("drop", (1, 1, 1024)),  # dropout (40%)
    ("fc", (1000,)),  # linear 1x1x1000
    ("prob", (1000,)),  # softmax
]


@pytest.mark.parametrize(("name", "shape"), GOOGLENET_SHAPES, ids=[c[0] for c in GOOGLENET_SHAPES])
def test_googlenet_output_size(name: str, shape: tuple[int, ...]) -> None:
    assert report("googlenet").shown(top_rows("googlenet")[name].output_shape) == shape


def test_googlenet_totals() -> None:
    r = report("googlenet")
    conv1 = (7 * 7 * 3 * 64 + 64, 112 * 112 * 64 * 147)
    true = [conv1] + [c[2] for c in GOOGLENET_TABLE]  # LRN, pools, dropout, softmax have no weights
    params, macs = sum(p for p, _ in true), sum(m for _, m in true)
    assert r.totals.params == params == 6_998_552
    assert r.totals.macs == macs == 1_582_671_872
    # Paper: "about 6.8M" params is the sum of its own table column (6,797.7K), errata included.
    # The true total is 7.0 M in SI units and 6.7 M in binary ones: neither rounding gives 6.8.
    assert round(2.7 + sum(c[3] for c in GOOGLENET_TABLE)) == 6798
    assert round(params / 10**6, 1) == 7.0 and round(params / 2**20, 1) == 6.7
    # Paper: "1.5 billion multiply-adds" (the ops column sums to 1,502M). The true network does
    # 1.58 G (SI; 1.47 G in 2**30 units). With the separable first layer the table's row 1 counts
    # (34,019,328 instead of 118,013,952) it is 1,498,677,248: 1.5 G in SI units.
    assert 34 + sum(c[4] for c in GOOGLENET_TABLE) == 1502
    assert round(macs / 10**9, 2) == 1.58 and round(macs / 2**30, 1) == 1.5
    assert round((macs - 118_013_952 + 34_019_328) / 10**9, 1) == 1.5
    # Slide "Only 5 million params!", "12X less params" than AlexNet (60M / 12 = 5M): the true count
    # is 7.0 M, 8.7x fewer than Caffe's AlexNet (60,965,224).
    assert round(60_965_224 / params, 1) == 8.7


# --------------------------------------------------------------------------------------------
# GoogLeNet as torchvision builds it (torchvision/models/googlenet.py, no aux heads)
# --------------------------------------------------------------------------------------------


def test_googlenet_torchvision_published() -> None:
    r = report("googlenet-torchvision")
    assert r.totals.params == 6_624_904  # GoogLeNet_Weights.IMAGENET1K_V1 meta "num_params"
    assert round(r.totals.macs / 1e9, 2) == 1.50  # meta "_ops": 1.498 (GFLOPS = multiply-adds)
    # the "5x5" branch is a 3x3 conv (googlenet.py: "kernel_size=3 instead of kernel_size=5 is a known bug")
    assert row(r, "inception3a.branch3.1.conv").params == 3 * 3 * 16 * 32
    assert row(r, "inception3a.branch3.1.bn").params == 2 * 32  # gamma + beta
    assert r.shown(row(r, "inception5b.cat").output_shape) == (7, 7, 1024)


def test_googlenet_torchvision_vs_paper_by_hand() -> None:
    """torchvision's 6,624,904 from the paper's total, changed layer by layer by hand."""
    convs = [(3, 64, 7), (64, 64, 1), (64, 192, 3)]
    modules = [  # (c_in, c1, c3r, c3, c5r, c5, pp) of the table
        (192, 64, 96, 128, 16, 32, 32),
        (256, 128, 128, 192, 32, 96, 64),
        (480, 192, 96, 208, 16, 48, 64),
        (512, 160, 112, 224, 24, 64, 64),
        (512, 128, 128, 256, 24, 64, 64),
        (512, 112, 144, 288, 32, 64, 64),
        (528, 256, 160, 320, 32, 128, 128),
        (832, 256, 160, 320, 32, 128, 128),
        (832, 384, 192, 384, 48, 128, 128),
    ]
    filters = sum(f for _, f, _ in convs) + sum(sum(m[1:]) for m in modules)
    five_by_five = sum((25 - 9) * m[4] * m[5] for m in modules)  # weights lost by the 3x3 "5x5"
    # conv biases (one per filter) become batch norm gamma + beta (two per filter)
    assert 6_998_552 - filters + 2 * filters - five_by_five == 6_624_904


# --------------------------------------------------------------------------------------------
# Inception v3 as torchvision builds it (torchvision/models/inception.py), 299x299
# --------------------------------------------------------------------------------------------

# AuxLogits (InceptionAux(768, 1000)), by hand: BasicConv2d = conv without bias + BN (gamma, beta)
AUX_PARAMS = (
    (768 * 128 + 2 * 128)  # conv0: 1x1, 768 -> 128
    + (5 * 5 * 128 * 768 + 2 * 768)  # conv1: 5x5, 128 -> 768
    + (768 * 1000 + 1000)  # fc: 768 -> 1000
)


def test_inception_v3_aux_published() -> None:
    # Inception_V3_Weights.IMAGENET1K_V1 meta "num_params": the state dict, with the aux head
    r = report("inception-v3-aux")
    assert r.totals.params == 27_161_264
    assert top_rows("inception-v3-aux")["AuxLogits"].params == AUX_PARAMS == 3_326_696
    # the aux branch reads Mixed_6e (17x17x768), pools 5x5/3 to 5x5, and its 5x5 conv gives 1x1
    assert row(r, "AuxLogits.pool").inputs == ("Mixed_6e.cat",)
    assert r.shown(row(r, "AuxLogits.pool").output_shape) == (5, 5, 768)
    assert r.shown(row(r, "AuxLogits.conv1.conv").output_shape) == (1, 1, 768)
    assert row(r, "AuxLogits.fc").output_shape == (1000,)
    # ... and dangles: the main output is the last layer, the 2048 -> 1000 fc
    assert r.rows[-1].name == "fc" and r.rows[-1].params == 2048 * 1000 + 1000


def test_inception_v3_published() -> None:
    r = report("inception-v3")
    assert r.totals.params == 27_161_264 - AUX_PARAMS == 23_834_568
    assert round(r.totals.macs / 1e9, 2) == 5.71  # meta "_ops": 5.713 (GFLOPS = multiply-adds)
    assert not [x for x in r.rows if x.name.startswith("AuxLogits")]


# Shapes from the comments of Inception3._forward ("N x 288 x 35 x 35", ...)
INCEPTION_V3_SHAPES = [
    ("Conv2d_1a_3x3", (149, 149, 32)),
    ("Conv2d_2a_3x3", (147, 147, 32)),
    ("Conv2d_2b_3x3", (147, 147, 64)),
    ("maxpool1", (73, 73, 64)),
    ("Conv2d_3b_1x1", (73, 73, 80)),
    ("Conv2d_4a_3x3", (71, 71, 192)),
    ("maxpool2", (35, 35, 192)),
    ("Mixed_5b", (35, 35, 256)),
    ("Mixed_5c", (35, 35, 288)),
    ("Mixed_5d", (35, 35, 288)),
    ("Mixed_6a", (17, 17, 768)),
    ("Mixed_6b", (17, 17, 768)),
    ("Mixed_6c", (17, 17, 768)),
    ("Mixed_6d", (17, 17, 768)),
    ("Mixed_6e", (17, 17, 768)),
    ("Mixed_7a", (8, 8, 1280)),
    ("Mixed_7b", (8, 8, 2048)),
    ("Mixed_7c", (8, 8, 2048)),
    ("avgpool", (2048,)),
    ("fc", (1000,)),
]


@pytest.mark.parametrize("spec", ["inception-v3", "inception-v3-aux"])
def test_inception_v3_shapes(spec: str) -> None:
    tops = top_rows(spec)
    shown = {name: report(spec).shown(tops[name].output_shape) for name, _ in INCEPTION_V3_SHAPES}
    assert shown == dict(INCEPTION_V3_SHAPES)


def test_inception_v3_factorised_convs() -> None:
    r = report("inception-v3")
    # Mixed_6b (channels_7x7 = 128): 1x7 then 7x1, padding (0, 3) / (3, 0) keep 17x17
    assert row(r, "Mixed_6b.branch7x7_2.conv").params == 1 * 7 * 128 * 128
    assert row(r, "Mixed_6b.branch7x7_3.conv").params == 7 * 1 * 128 * 192
    assert r.shown(row(r, "Mixed_6b.branch7x7_3.conv").output_shape) == (17, 17, 192)
    # Mixed_7b: the 1x3 and 3x1 branches both read branch3x3_1 and are concatenated (384 + 384)
    assert row(r, "Mixed_7b.branch3x3_2b.conv").inputs == ("Mixed_7b.branch3x3_1.relu",)
    assert r.shown(row(r, "Mixed_7b.branch3x3").output_shape) == (8, 8, 768)
