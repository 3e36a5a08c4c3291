"""Golden tests: MobileNet v1/v2, SqueezeNet 1.0, DenseNet-121 and three small graph examples.

Every expected value comes from outside cnncalc: the papers' tables, torchvision's published
weight metadata (`num_params`, `_ops` = GFLOPS, which torchvision counts as conv + linear
multiply-accumulates), or a hand computation written out below from the paper's layer table.
None was copied from cnncalc's output.

Sources:
  MobileNet v1: Howard et al. 2017 (arXiv:1704.04861), Table 1 (body), Table 2 (resource per
      layer type), Table 8 (1.0 MobileNet-224: 569 M mult-adds, 4.2 M parameters).
  MobileNetV2: torchvision MobileNet_V2_Weights.IMAGENET1K_V1: num_params 3,504,872, GFLOPS 0.30;
      Sandler et al. 2018 (arXiv:1801.04381), Table 2 (t, c, n, s and the input sizes).
  SqueezeNet 1.0: torchvision SqueezeNet1_0_Weights.IMAGENET1K_V1: num_params 1,248,424, GFLOPS 0.82;
      Iandola et al. 2016 (arXiv:1602.07360), Table 1 (fire module sizes s1x1, e1x1, e3x3).
  DenseNet-121: torchvision DenseNet121_Weights.IMAGENET1K_V1: num_params 7,978,856, GFLOPS 2.83;
      Huang et al. 2017 (arXiv:1608.06993), Table 1 (k = 32, blocks 6/12/24/16, output sizes).
  highway, siamese, encoder-decoder: illustrative networks (see each spec's comment); their
      expected figures are computed by hand here from the layer formulas.
"""

from __future__ import annotations

from functools import cache

import pytest

from cnncalc import Conventions, analyze, load_spec
from cnncalc.core.report import LayerRow, Report, rollup
from cnncalc.spec.loader import specs_root

SPECS = ["mobilenet-v1", "mobilenet-v2", "squeezenet1_0", "densenet121", "highway", "siamese", "encoder-decoder"]


@cache
def report(name: str) -> Report:
    return analyze(load_spec(name))


def row(r: Report, name: str) -> LayerRow:
    matches = [x for x in r.rows if x.name == name]
    assert len(matches) == 1, f"{r.name}: no single row named {name!r}"
    return matches[0]


def blocks(r: Report) -> dict[str, LayerRow]:
    """Top-level rows, each block call merged into one row."""
    return {x.name: x for x in rollup(r, depth=1)}


# --------------------------------------------------------------------------------------------
# Every spec loads, names its source, and analyses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SPECS)
def test_spec_loads_and_names_its_source(name: str) -> None:
    text = (specs_root() / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Source:")
    r = report(name)
    assert r.name == name
    assert r.totals.params > 0


@pytest.mark.parametrize("name", [s for s in SPECS if s != "squeezenet1_0"])
def test_spec_tiles_exactly(name: str) -> None:
    assert report(name).warnings == ()


def test_squeezenet_conv1_drops_a_pixel() -> None:
    # 7x7 stride 2 without padding on 224: (224 - 7)/2 + 1 = 109.5 -> 109; pixel 224 is never read
    warnings = report("squeezenet1_0").warnings
    assert len(warnings) == 2  # H and W
    assert all("features.0" in w and "1 pixel" in w for w in warnings)


# --------------------------------------------------------------------------------------------
# MobileNet v1 (Howard et al. 2017)
# --------------------------------------------------------------------------------------------

# Table 1, one row per depthwise-separable block: (block, input channels, output channels,
# stride, output size). The 13th "Conv dw / s2" of the table keeps 7x7 (a typo: stride 1).
MOBILENET_V1_BLOCKS = [
    ("block1", 32, 64, 1, 112),
    ("block2", 64, 128, 2, 56),
    ("block3", 128, 128, 1, 56),
    ("block4", 128, 256, 2, 28),
    ("block5", 256, 256, 1, 28),
    ("block6", 256, 512, 2, 14),
    *[(f"block{i}", 512, 512, 1, 14) for i in range(7, 12)],  # "5x" in Table 1
    ("block12", 512, 1024, 2, 7),
    ("block13", 1024, 1024, 1, 7),
]


@pytest.mark.parametrize(
    ("block", "c_in", "c_out", "stride", "size"), MOBILENET_V1_BLOCKS, ids=[b[0] for b in MOBILENET_V1_BLOCKS]
)
def test_mobilenet_v1_table1_block(block: str, c_in: int, c_out: int, stride: int, size: int) -> None:
    r = report("mobilenet-v1")
    dw, pw = row(r, f"{block}.dw"), row(r, f"{block}.pw")
    # Table 1: "Conv dw / s{stride}, 3x3x{c_in} dw" then "Conv / s1, 1x1x{c_in}x{c_out}"
    assert r.shown(dw.output_shape) == (size, size, c_in)
    assert r.shown(pw.output_shape) == (size, size, c_out)
    assert dw.params == 3 * 3 * c_in  # one 3x3 filter per channel, no bias
    assert pw.params == c_in * c_out  # no bias: BN follows
    assert row(r, f"{block}.dw_bn").params == 2 * c_in  # gamma + beta
    assert row(r, f"{block}.pw_bn").params == 2 * c_out
    assert dw.macs == size * size * 3 * 3 * c_in  # D_K * D_K * M * D_F * D_F (paper eq. 5, first term)
    assert pw.macs == size * size * c_in * c_out  # M * N * D_F * D_F (eq. 5, second term)


def test_mobilenet_v1_ends() -> None:
    r = report("mobilenet-v1")
    assert r.shown(row(r, "conv1").output_shape) == (112, 112, 32)  # "Conv / s2, 3x3x3x32", 112x112
    assert r.shown(row(r, "avgpool").output_shape) == (1, 1, 1024)  # "Avg Pool / s1, Pool 7x7"
    assert r.shown(row(r, "fc").output_shape) == (1000,)  # "FC / s1, 1024 x 1000"
    assert r.rows[-1].kind == "softmax"


# Hand count from Table 1 (no conv bias, BN after every conv, FC with bias):
MNV1_CONV1_W = 3 * 3 * 3 * 32  # 864
MNV1_DW_W = sum(9 * ci for _, ci, _, _, _ in MOBILENET_V1_BLOCKS)  # 44,640
MNV1_PW_W = sum(ci * co for _, ci, co, _, _ in MOBILENET_V1_BLOCKS)  # 3,139,584
MNV1_FC_W = 1024 * 1000
MNV1_BN_CHANNELS = 32 + sum(ci + co for _, ci, co, _, _ in MOBILENET_V1_BLOCKS)  # 10,944
MNV1_WEIGHTS = MNV1_CONV1_W + MNV1_DW_W + MNV1_PW_W + MNV1_FC_W  # 4,209,088
MNV1_CONV1_MACS = 112 * 112 * 32 * 27
MNV1_DW_MACS = sum(s * s * 9 * ci for _, ci, _, _, s in MOBILENET_V1_BLOCKS)
MNV1_PW_MACS = sum(s * s * ci * co for _, ci, co, _, s in MOBILENET_V1_BLOCKS)
MNV1_FC_MACS = 1024 * 1000
MNV1_MACS = MNV1_CONV1_MACS + MNV1_DW_MACS + MNV1_PW_MACS + MNV1_FC_MACS


def test_mobilenet_v1_params_by_hand() -> None:
    # The paper's "4.2 Million" parameters (Table 8, 1.0 MobileNet-224) is weights only: its
    # Table 2 percentages come out of exactly 4,209,088 = conv + FC weights (see the next test).
    # cnncalc counts as torchvision/Keras do: + FC bias + BN gamma and beta, 2 per channel:
    # 4,209,088 + 1,000 + 2 * 10,944 = 4,231,976 (Keras's MobileNet "Trainable params").
    # Both round to the paper's 4.2 M, so the paper's figure cannot tell whether BN is counted.
    assert MNV1_WEIGHTS == 4_209_088
    assert MNV1_BN_CHANNELS == 10_944
    r = report("mobilenet-v1")
    assert sum(x.weights for x in r.rows if x.kind in ("conv", "depthwise_conv", "dense")) == MNV1_WEIGHTS
    assert sum(x.params for x in r.rows if x.kind == "batch_norm") == 2 * MNV1_BN_CHANNELS
    assert row(r, "fc").params == MNV1_FC_W + 1000
    assert r.totals.params == MNV1_WEIGHTS + 1000 + 2 * MNV1_BN_CHANNELS == 4_231_976
    assert round(r.totals.params / 1e6, 1) == round(MNV1_WEIGHTS / 1e6, 1) == 4.2  # Table 8: 4.2
    # Keras-style counting adds the running mean and variance as non-trainable: 21,888 more
    keras = analyze(load_spec("mobilenet-v1"), Conventions(bn_running_stats=True))
    assert keras.totals.non_trainable_params == 2 * MNV1_BN_CHANNELS == 21_888
    assert keras.totals.params == 4_253_864


def test_mobilenet_v1_mult_adds_by_hand() -> None:
    r = report("mobilenet-v1")
    assert r.totals.macs == MNV1_MACS == 568_740_352
    assert round(r.totals.macs / 1e6) == 569  # Table 8: "569" million mult-adds


# Table 2, "Resource per layer type": (type, % mult-adds, % parameters) as printed.
MOBILENET_V1_TABLE2 = [
    ("conv1x1", 94.86, 74.59),
    ("conv_dw3x3", 3.06, 1.06),
    ("conv3x3", 1.19, 0.02),  # erratum: the mult-adds are 1.91 %, see below
    ("fc", 0.18, 24.33),
]


@pytest.mark.parametrize(
    ("kind", "macs_pct", "params_pct"), MOBILENET_V1_TABLE2, ids=[t[0] for t in MOBILENET_V1_TABLE2]
)
def test_mobilenet_v1_table2(kind: str, macs_pct: float, params_pct: float) -> None:
    r = report("mobilenet-v1")
    selected = {
        "conv1x1": [x for x in r.rows if x.name.endswith(".pw")],
        "conv_dw3x3": [x for x in r.rows if x.kind == "depthwise_conv"],
        "conv3x3": [row(r, "conv1")],
        "fc": [row(r, "fc")],
    }[kind]
    macs = sum(x.macs for x in selected)
    weights = sum(x.weights for x in selected)  # Table 2 counts weights: no FC bias, no BN
    assert round(100 * weights / MNV1_WEIGHTS, 2) == params_pct
    if kind == "conv3x3":
        # 10,838,016 / 568,740,352 = 1.91 %: the paper's "1.19" swaps two digits (with it the
        # mult-adds column sums to 99.29 %; with 1.91 to 100.01 %)
        assert round(100 * macs / r.totals.macs, 2) == 1.91 != macs_pct
        assert round(sum(t[1] for t in MOBILENET_V1_TABLE2) - macs_pct + 1.91, 2) == 100.01
    else:
        assert round(100 * macs / r.totals.macs, 2) == macs_pct


# --------------------------------------------------------------------------------------------
# MobileNetV2 (torchvision)
# --------------------------------------------------------------------------------------------

# Sandler et al. Table 2 / torchvision inverted_residual_setting: t, c, n, s
MNV2_SETTING = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def mobilenet_v2_by_hand() -> tuple[list[tuple[str, int, int, int]], int, int]:
    """Per block (name, params, output size, output channels), total params and MACs.

    Block with input inp at size h_in, expansion t, output c, stride s: hidden = inp * t;
    expand 1x1 (t != 1): inp*hidden weights + BN 2*hidden; depthwise 3x3: 9*hidden + 2*hidden;
    project 1x1: hidden*c + 2*c. No conv biases.
    """
    params = 3 * 3 * 3 * 32 + 2 * 32  # features.0: conv 3x3/2 + BN
    macs = 112 * 112 * 32 * 27
    rows = []
    inp, size, index = 32, 112, 1
    for t, c, n, s in MNV2_SETTING:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = inp * t
            out = size // stride
            p = (inp * hidden + 2 * hidden if t != 1 else 0) + 9 * hidden + 2 * hidden + hidden * c + 2 * c
            m = (size * size * inp * hidden if t != 1 else 0) + out * out * (9 * hidden + hidden * c)
            rows.append((f"features.{index}", p, out, c))
            params, macs = params + p, macs + m
            inp, size, index = c, out, index + 1
    params += 320 * 1280 + 2 * 1280 + 1280 * 1000 + 1000  # features.18 + BN, classifier.1
    macs += 7 * 7 * 320 * 1280 + 1280 * 1000
    return rows, params, macs


MNV2_BLOCKS, MNV2_PARAMS, MNV2_MACS = mobilenet_v2_by_hand()


@pytest.mark.parametrize(("block", "params", "size", "channels"), MNV2_BLOCKS, ids=[b[0] for b in MNV2_BLOCKS])
def test_mobilenet_v2_block(block: str, params: int, size: int, channels: int) -> None:
    r = report("mobilenet-v2")
    x = blocks(r)[block]
    assert x.params == params
    assert r.shown(x.output_shape) == (size, size, channels)  # Table 2's next "Input" column


def test_mobilenet_v2_residuals() -> None:
    # a residual add where stride 1 and in == out: n - 1 per stage = 0+1+2+3+2+2+0 = 10 adds
    r = report("mobilenet-v2")
    adds = [x.name for x in r.rows if x.kind == "add"]
    expected = [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]
    assert adds == [f"features.{i}.add" for i in expected]
    assert len(adds) == sum(n - 1 for _, _, n, _ in MNV2_SETTING)
    # features.1 has t = 1: no expansion conv, the depthwise conv reads the stem directly
    assert row(r, "features.1.dw").inputs == ("features.0.2",)
    assert not [x for x in r.rows if x.name == "features.1.expand"]


def test_mobilenet_v2_totals() -> None:
    r = report("mobilenet-v2")
    assert MNV2_PARAMS == 3_504_872  # torchvision num_params
    assert r.totals.params == MNV2_PARAMS
    assert r.totals.macs == MNV2_MACS
    assert round(r.totals.macs / 1e9, 2) == 0.30  # torchvision GFLOPS 0.30
    assert r.shown(row(r, "features.18.0").output_shape) == (7, 7, 1280)  # Table 2: 7^2 x 1280
    assert r.shown(r.rows[-1].output_shape) == (1000,)


# --------------------------------------------------------------------------------------------
# SqueezeNet 1.0 (torchvision)
# --------------------------------------------------------------------------------------------

# Iandola et al. Table 1 (s1x1, e1x1 = e3x3) with torchvision's module index, input channels
# and torchvision's spatial size (109 -> ceil pools 54, 27, 13; the paper's 111/55 use padding).
FIRES = [
    # name, paper name, c_in, squeeze, expand, size
    ("features.3", "fire2", 96, 16, 64, 54),
    ("features.4", "fire3", 128, 16, 64, 54),
    ("features.5", "fire4", 128, 32, 128, 54),
    ("features.7", "fire5", 256, 32, 128, 27),
    ("features.8", "fire6", 256, 48, 192, 27),
    ("features.9", "fire7", 384, 48, 192, 27),
    ("features.10", "fire8", 384, 64, 256, 27),
    ("features.12", "fire9", 512, 64, 256, 13),
]


def fire_params(c_in: int, s: int, e: int) -> int:
    return (c_in * s + s) + (s * e + e) + (9 * s * e + e)


def fire_macs(c_in: int, s: int, e: int, size: int) -> int:
    return size * size * (c_in * s + s * e + 9 * s * e)


@pytest.mark.parametrize(("name", "paper", "c_in", "s", "e", "size"), FIRES, ids=[f[1] for f in FIRES])
def test_squeezenet_fire(name: str, paper: str, c_in: int, s: int, e: int, size: int) -> None:
    r = report("squeezenet1_0")
    x = blocks(r)[name]
    assert x.params == fire_params(c_in, s, e)  # fire2: 1,552 + 1,088 + 9,280 = 11,920
    assert x.macs == fire_macs(c_in, s, e, size)
    assert r.shown(x.output_shape) == (size, size, 2 * e)  # expand1x1 and expand3x3 concatenated
    assert row(r, f"{name}.concat").inputs == (f"{name}.expand1x1_activation", f"{name}.expand3x3_activation")


def test_squeezenet_totals() -> None:
    r = report("squeezenet1_0")
    assert fire_params(96, 16, 64) == 11_920
    conv1 = 7 * 7 * 3 * 96 + 96  # 14,208
    conv10 = 512 * 1000 + 1000  # 513,000
    params = conv1 + sum(fire_params(c, s, e) for _, _, c, s, e, _ in FIRES) + conv10
    assert params == 1_248_424  # torchvision num_params
    assert r.totals.params == params
    macs = 109 * 109 * 96 * 147 + sum(fire_macs(c, s, e, n) for _, _, c, s, e, n in FIRES) + 13 * 13 * 512 * 1000
    assert r.totals.macs == macs
    assert round(r.totals.macs / 1e9, 2) == 0.82  # torchvision GFLOPS 0.82
    # (224 - 7)//2 + 1 = 109; ceil((109 - 3)/2) + 1 = 54; ceil(51/2) + 1 = 27; ceil(24/2) + 1 = 13
    shapes = {"features.0": 109, "features.2": 54, "features.6": 27, "features.11": 13}
    for name, size in shapes.items():
        assert r.shown(row(r, name).output_shape)[:2] == (size, size), name
    assert r.shown(row(r, "classifier.1").output_shape) == (13, 13, 1000)  # paper: conv10 13x13x1000
    assert r.shown(r.rows[-1].output_shape) == (1000,)


# --------------------------------------------------------------------------------------------
# DenseNet-121 (torchvision)
# --------------------------------------------------------------------------------------------

GROWTH, BOTTLENECK = 32, 4 * 32
DENSE_STAGES = [(6, 56), (12, 28), (24, 14), (16, 7)]  # Huang et al. Table 1: layers, output size


def dense_layer_params(c: int) -> int:
    # norm1 2c, conv1 c x 128 (1x1), norm2 2 x 128, conv2 3x3 x 128 x 32; no conv bias
    return 2 * c + c * BOTTLENECK + 2 * BOTTLENECK + 9 * BOTTLENECK * GROWTH


def densenet_by_hand() -> tuple[list[tuple[str, int, int, int, int]], int, int]:
    """Per block (name, params, MACs, output size, output channels), total params and MACs."""
    params = 7 * 7 * 3 * 64 + 2 * 64  # conv0 + norm0
    macs = 112 * 112 * 64 * 147
    rows = []
    c = 64
    for i, (layers, size) in enumerate(DENSE_STAGES, start=1):
        p = m = 0
        for _ in range(layers):
            p += dense_layer_params(c)
            m += size * size * (c * BOTTLENECK + 9 * BOTTLENECK * GROWTH)
            c += GROWTH
        rows.append((f"denseblock{i}", p, m, size, c))
        params, macs = params + p, macs + m
        if i < len(DENSE_STAGES):  # transition: norm 2c, conv 1x1 c -> c/2, avg pool 2
            p, m = 2 * c + c * (c // 2), size * size * c * (c // 2)
            c //= 2
            rows.append((f"transition{i}", p, m, size // 2, c))
            params, macs = params + p, macs + m
    params += 2 * c + c * 1000 + 1000  # norm5, classifier
    macs += c * 1000
    return rows, params, macs


DENSE_BLOCKS, DENSE_PARAMS, DENSE_MACS = densenet_by_hand()


@pytest.mark.parametrize(
    ("block", "params", "macs", "size", "channels"), DENSE_BLOCKS, ids=[b[0] for b in DENSE_BLOCKS]
)
def test_densenet_block(block: str, params: int, macs: int, size: int, channels: int) -> None:
    r = report("densenet121")
    x = blocks(r)[block]
    assert x.params == params
    assert x.macs == macs
    assert r.shown(x.output_shape) == (size, size, channels)


def test_densenet_channels() -> None:
    # 64 + 6*32 = 256 -> 128; 128 + 12*32 = 512 -> 256; 256 + 24*32 = 1024 -> 512; 512 + 16*32 = 1024
    assert [b[4] for b in DENSE_BLOCKS] == [256, 128, 512, 256, 1024, 512, 1024]
    r = report("densenet121")
    first = [x for x in r.rows if x.name.startswith("denseblock1.0.")]
    assert [x.name.removeprefix("denseblock1.0.") for x in first] == [
        "norm1", "relu1", "conv1", "norm2", "relu2", "conv2", "concat",
    ]  # fmt: skip
    assert r.shown(row(r, "denseblock1.0.concat").output_shape) == (56, 56, 64 + 32)


def test_densenet_totals() -> None:
    r = report("densenet121")
    assert DENSE_PARAMS == 7_978_856  # torchvision num_params
    assert r.totals.params == DENSE_PARAMS
    assert r.totals.macs == DENSE_MACS
    assert round(r.totals.macs / 1e9, 2) == 2.83  # torchvision GFLOPS 2.83
    assert r.shown(row(r, "pool0").output_shape) == (56, 56, 64)  # Table 1: pooling, 56x56
    assert r.shown(r.rows[-1].output_shape) == (1000,)


# --------------------------------------------------------------------------------------------
# highway: untied highway blocks on a 784-vector
# --------------------------------------------------------------------------------------------


def test_highway_by_hand() -> None:
    r = report("highway")
    dense50 = 50 * 50 + 50  # 2,550 for each of H, T, C
    for i in range(3):
        for gate, act in (("H", "relu"), ("T", "sigmoid"), ("C", "sigmoid")):
            x = row(r, f"highway.{i}.{gate}")
            assert x.params == dense50
            assert x.macs == 50 * 50
            assert act in x.summary
        assert row(r, f"highway.{i}.HT").inputs == (f"highway.{i}.H", f"highway.{i}.T")
        reads = "plain" if i == 0 else f"highway.{i - 1}.y"
        assert row(r, f"highway.{i}.xC").inputs == (reads, f"highway.{i}.C")  # x * C: the carry
        assert row(r, f"highway.{i}.y").inputs == (f"highway.{i}.HT", f"highway.{i}.xC")
        assert r.shown(row(r, f"highway.{i}.y").output_shape) == (50,)
    params = (784 * 50 + 50) + 3 * 3 * dense50 + (50 * 10 + 10)
    assert params == 62_710
    assert r.totals.params == params
    assert r.totals.macs == 784 * 50 + 9 * 50 * 50 + 50 * 10  # 62,200
    # a tied highway layer (C = 1 - T) would have 2 dense layers: 3 * 2,550 fewer params
    assert params - 3 * dense50 == 55_060


# --------------------------------------------------------------------------------------------
# siamese: two towers, one set of weights
# --------------------------------------------------------------------------------------------

TOWER = [
    # layer, output (HWC), params, MACs
    ("conv1", (24, 24, 32), 5 * 5 * 1 * 32 + 32, 24 * 24 * 32 * 25),  # 832; 460,800
    ("pool1", (12, 12, 32), 0, 0),
    ("conv2", (8, 8, 64), 5 * 5 * 32 * 64 + 64, 8 * 8 * 64 * 800),  # 51,264; 3,276,800
    ("pool2", (4, 4, 64), 0, 0),
    ("embed", (128,), 4 * 4 * 64 * 128 + 128, 1024 * 128),  # 131,200; 131,072
]
TOWER_PARAMS = sum(t[2] for t in TOWER)  # 183,296
TOWER_MACS = sum(t[3] for t in TOWER)  # 3,868,672


@pytest.mark.parametrize(("layer", "shape", "params", "macs"), TOWER, ids=[t[0] for t in TOWER])
def test_siamese_towers(layer: str, shape: tuple[int, ...], params: int, macs: int) -> None:
    r = report("siamese")
    a, b = row(r, f"tower_a.{layer}"), row(r, f"tower_b.{layer}")
    assert r.shown(a.output_shape) == r.shown(b.output_shape) == shape
    assert (a.params, a.shared_with) == (params, None)
    # counted once, in tower_a; layers without weights (pooling) have nothing to share
    assert (b.params, b.shared_with) == (0, f"tower_a.{layer}" if params else None)
    assert a.macs == b.macs == macs  # but both towers run


def test_siamese_totals() -> None:
    r = report("siamese")
    assert TOWER_PARAMS == 183_296
    assert row(r, "tower_a.conv1").inputs == row(r, "tower_b.conv1").inputs == ("input",)
    assert r.shown(row(r, "merge").output_shape) == (256,)  # two 128-d embeddings
    head = 256 * 1 + 1
    assert r.totals.params == TOWER_PARAMS + head == 183_553  # the tower once
    assert r.totals.macs == 2 * TOWER_MACS + 256 == 7_737_600  # the tower twice
    blocked = blocks(r)
    assert blocked["tower_a"].params == TOWER_PARAMS
    assert blocked["tower_b"].params == 0
    assert blocked["tower_b"].macs == TOWER_MACS


# --------------------------------------------------------------------------------------------
# encoder-decoder: small U-Net, 128x128x3 -> 128x128x21
# --------------------------------------------------------------------------------------------


def conv3(c_in: int, c_out: int) -> int:
    return 3 * 3 * c_in * c_out + c_out


ENCODER_DECODER = [
    # layer, output (HWC), params, MACs
    ("enc1.conv1", (128, 128, 16), conv3(3, 16), 128 * 128 * 16 * 27),  # 448
    ("enc1.conv2", (128, 128, 16), conv3(16, 16), 128 * 128 * 16 * 144),  # 2,320
    ("pool1", (64, 64, 16), 0, 0),
    ("enc2.conv1", (64, 64, 32), conv3(16, 32), 64 * 64 * 32 * 144),  # 4,640
    ("enc2.conv2", (64, 64, 32), conv3(32, 32), 64 * 64 * 32 * 288),  # 9,248
    ("pool2", (32, 32, 32), 0, 0),
    ("bottleneck.conv1", (32, 32, 64), conv3(32, 64), 32 * 32 * 64 * 288),  # 18,496
    ("bottleneck.conv2", (32, 32, 64), conv3(64, 64), 32 * 32 * 64 * 576),  # 36,928
    # transposed 2x2/2: every input pixel scatters 2x2x32 outputs from its 64 channels
    ("up2", (64, 64, 32), 2 * 2 * 64 * 32 + 32, 32 * 32 * 64 * 32 * 4),  # 8,224
    ("skip2", (64, 64, 64), 0, 0),  # 32 (decoder) + 32 (encoder)
    ("dec2.conv1", (64, 64, 32), conv3(64, 32), 64 * 64 * 32 * 576),  # 18,464
    ("dec2.conv2", (64, 64, 32), conv3(32, 32), 64 * 64 * 32 * 288),  # 9,248
    ("up1", (128, 128, 32), 0, 0),
    ("up1_conv", (128, 128, 16), conv3(32, 16), 128 * 128 * 16 * 288),  # 4,624
    ("skip1", (128, 128, 32), 0, 0),  # 16 + 16
    ("dec1.conv1", (128, 128, 16), conv3(32, 16), 128 * 128 * 16 * 288),  # 4,624
    ("dec1.conv2", (128, 128, 16), conv3(16, 16), 128 * 128 * 16 * 144),  # 2,320
    ("head", (128, 128, 21), 16 * 21 + 21, 128 * 128 * 21 * 16),  # 357
    ("softmax", (128, 128, 21), 0, 0),
]


@pytest.mark.parametrize(("layer", "shape", "params", "macs"), ENCODER_DECODER, ids=[t[0] for t in ENCODER_DECODER])
def test_encoder_decoder_layer(layer: str, shape: tuple[int, ...], params: int, macs: int) -> None:
    r = report("encoder-decoder")
    x = row(r, layer)
    assert r.shown(x.output_shape) == shape
    assert x.params == params
    assert x.macs == macs


def test_encoder_decoder_totals() -> None:
    r = report("encoder-decoder")
    assert r.shown(r.rows[0].output_shape) == (128, 128, 3)
    assert r.shown(r.rows[-1].output_shape) == (128, 128, 21)  # image in, label image out
    assert row(r, "skip2").inputs == ("up2", "enc2.conv2")
    assert row(r, "skip1").inputs == ("up1_conv", "enc1.conv2")
    params = sum(t[2] for t in ENCODER_DECODER)
    assert params == 119_941
    assert r.totals.params == params
    assert r.totals.macs == sum(t[3] for t in ENCODER_DECODER)
