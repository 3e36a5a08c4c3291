"""The one-line DSL: every construct, the lecture examples, YAML equivalence, located errors."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc.core.report import Report
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError, Location, ShapeError, SpecError
from cnncalc.spec.dsl import load_dsl, parse_dsl
from cnncalc.spec.dsl_lexer import MAX_DSL_CHARS, MAX_LAYERS
from cnncalc.spec.dsl_words import ACTIVATIONS
from cnncalc.spec.loader import load_spec_text

VGG16 = (
    "224x224x3 | 2x conv3-64 | maxpool | 2x conv3-128 | maxpool | 3x conv3-256 | maxpool | 3x conv3-512 | maxpool"
    " | 3x conv3-512 | maxpool | fc-4096 | fc-4096 | fc-1000 | softmax"
)
LENET = (
    "32x32x3 | CONV1:conv5-8 p=0 | POOL1:maxpool | CONV2:conv5-16 p=0 | POOL2:maxpool | FC3:fc-120 | FC4:fc-84"
    " | Softmax:fc-10 act=softmax"
)
#: one string with every layer word of the grammar, valid end to end
EVERYTHING = (
    "64x64x4 name=all batch=2 dtype=float16 | 2x c:conv3-8 s=1 | conv3x5-8 p=1x2 d=2 g=2 nobias act=relu"
    " | dwconv3 s=2 m=2 | sepconv3-16 m=2 | deconv2-8 s=2 op=0 g=2 | lc3-4 p=same | maxpool3/2 ceil | avgpool"
    " | sumpool p=1 | l2pool1 | bn eps=1e-3 | batchnorm noaffine | lrn5 alpha=0.001 beta=0.5 k=1 | relu6"
    " | leaky_relu slope=0.2 | dropout-0.3 | gap | dense-16 act=gelu | fc16 | flatten | softmax"
)


def layers_of(text: str) -> list[dict[str, Any]]:
    layers = parse_dsl(text)[0]["layers"]
    assert isinstance(layers, list)
    return layers


def same_numbers(a: Report, b: Report) -> None:
    assert a.rows == b.rows
    assert a.totals == b.totals
    assert a.layout == b.layout


# --- the lecture examples --------------------------------------------------------------------


def test_vgg16_has_the_published_parameter_count() -> None:
    report = analyze(load_dsl(VGG16))
    # Simonyan & Zisserman 2014, config D; torchvision vgg16 num_params: 138,357,544
    assert report.totals.params == 138_357_544
    assert len(report.rows) == 1 + 13 + 5 + 3 + 1
    assert report.shown(report.rows[2].output_shape) == (224, 224, 64)  # conv3-64 keeps the size
    assert report.shown(report.rows[18].output_shape) == (7, 7, 512)  # after the fifth maxpool
    assert report.rows[19].trainable_params == 7 * 7 * 512 * 4096 + 4096


def test_lenet_table_of_the_lecture() -> None:
    report = analyze(load_dsl(LENET))
    rows = [(r.name, report.shown(r.output_shape), r.trainable_params) for r in report.rows[1:]]
    assert rows == [
        ("CONV1", (28, 28, 8), 608),  # (5*5*3 + 1) * 8
        ("POOL1", (14, 14, 8), 0),
        ("CONV2", (10, 10, 16), 3216),  # (5*5*8 + 1) * 16
        ("POOL2", (5, 5, 16), 0),
        ("FC3", (120,), 48120),  # (400 + 1) * 120
        ("FC4", (84,), 10164),  # (120 + 1) * 84
        ("Softmax", (10,), 850),  # (84 + 1) * 10
    ]


# --- what each construct parses into ---------------------------------------------------------

CONV = {"kind": "conv", "filters": 64, "kernel": 3, "padding": "same"}
DW = {"kind": "depthwise_conv", "kernel": 3, "padding": "same"}
DECONV = {"kind": "conv_transpose", "filters": 8, "kernel": 4, "padding": "same"}
LC = {"kind": "locally_connected", "filters": 4, "kernel": 3, "padding": 0}  # no padding, as Keras

# (layer item after the input `32x32x8 |`, the layer data a YAML spec would hold)
DATA_CASES: list[tuple[str, dict[str, Any]]] = [
    ("conv3-64", CONV),
    ("Conv3-64", CONV),
    ("CONV3-64", CONV),
    ("conv3-64 s=1 d=1 g=1", CONV),  # defaults are left out
    ("conv3x3-64", {**CONV, "kernel": [3, 3]}),
    ("conv3x5-8 p=0", {"kind": "conv", "filters": 8, "kernel": [3, 5], "padding": 0}),
    ("conv3-64 p=1", {**CONV, "padding": 1}),
    ("conv3-64 p=valid", {**CONV, "padding": "valid"}),
    ("conv3-64 p=SAME", CONV),
    ("conv3-64 p=1x2", {**CONV, "padding": [1, 2]}),
    ("conv3-64 p=0/1x0/1", {**CONV, "padding": [[0, 1], [0, 1]]}),
    ("conv3-64 p=0/1,2", {**CONV, "padding": [[0, 1], 2]}),
    ("conv3-64 s=2", {**CONV, "stride": 2}),
    ("conv3-64 s=2x1", {**CONV, "stride": [2, 1]}),
    ("conv3-64 d=2 g=2", {**CONV, "dilation": 2, "groups": 2}),
    ("conv3-64 nobias act=relu", {**CONV, "bias": False, "activation": "relu"}),
    ("conv3-64 act=LeakyReLU", {**CONV, "activation": "leaky_relu"}),
    ("conv3-64 frozen", {**CONV, "trainable": False}),
    (
        "sepconv3-16 frozen",
        {"kind": "separable_conv", "filters": 16, "kernel": 3, "padding": "same", "trainable": False},
    ),
    ("conv3-64 act=silu", {**CONV, "activation": "swish"}),
    ("conv3-64 act=hard-swish", {**CONV, "activation": "hard_swish"}),
    (
        "conv3-64 stride=2 padding=0 dilation=2 groups=2",
        {**CONV, "stride": 2, "padding": 0, "dilation": 2, "groups": 2},
    ),
    ("conv3-64 activation=relu", {**CONV, "activation": "relu"}),
    ("dwconv3", DW),
    ("dwconv3 s=2 m=2 p=1 d=2", {**DW, "stride": 2, "padding": 1, "dilation": 2, "multiplier": 2}),
    ("dwconv3 nobias act=relu6", {**DW, "bias": False, "activation": "relu6"}),
    ("sepconv3-16 m=2", {"kind": "separable_conv", "filters": 16, "kernel": 3, "padding": "same", "multiplier": 2}),
    ("deconv4-8 s=2 op=1 g=2", {**DECONV, "stride": 2, "groups": 2, "output_padding": 1}),
    ("lc3-4", LC),
    ("lc3-4 p=same act=tanh", {**LC, "padding": "same", "activation": "tanh"}),
    ("maxpool", {"kind": "max_pool"}),
    ("MaxPool", {"kind": "max_pool"}),
    ("maxpool2/2", {"kind": "max_pool"}),  # stride = kernel = 2 are the defaults
    ("maxpool3", {"kind": "max_pool", "kernel": 3}),
    ("maxpool3/2", {"kind": "max_pool", "kernel": 3, "stride": 2}),
    ("max_pool3/2", {"kind": "max_pool", "kernel": 3, "stride": 2}),
    ("maxpool3 s=2 p=1 ceil", {"kind": "max_pool", "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("maxpool2x2", {"kind": "max_pool", "kernel": [2, 2]}),
    ("avgpool3/1", {"kind": "avg_pool", "kernel": 3, "stride": 1}),
    ("sumpool", {"kind": "sum_pool"}),
    ("l2pool", {"kind": "l2_pool"}),
    ("gap", {"kind": "global_avg_pool"}),
    ("globalavgpool", {"kind": "global_avg_pool"}),
    ("GlobalAvgPool keepdims", {"kind": "global_avg_pool", "keepdims": True}),
    ("gmp", {"kind": "global_max_pool"}),
    ("globalmaxpool", {"kind": "global_max_pool"}),
    ("fc-4096", {"kind": "dense", "units": 4096}),
    ("fc4096", {"kind": "dense", "units": 4096}),
    ("FC-4096", {"kind": "dense", "units": 4096}),
    ("dense-4096", {"kind": "dense", "units": 4096}),
    ("fc-10 nobias act=softmax", {"kind": "dense", "units": 10, "bias": False, "activation": "softmax"}),
    ("dropout", {"kind": "dropout"}),
    ("dropout-0.5", {"kind": "dropout"}),
    ("dropout-0.3", {"kind": "dropout", "rate": 0.3}),
    ("dropout.25", {"kind": "dropout", "rate": 0.25}),
    ("bn", {"kind": "batch_norm"}),
    ("batchnorm", {"kind": "batch_norm"}),
    ("BatchNorm eps=1e-3 noaffine", {"kind": "batch_norm", "affine": False, "epsilon": 0.001}),
    ("bn frozen", {"kind": "batch_norm", "trainable": False}),
    ("fc-10 nobias frozen", {"kind": "dense", "units": 10, "bias": False, "trainable": False}),
    ("lrn", {"kind": "lrn"}),
    ("lrn5", {"kind": "lrn"}),
    ("lrn3 alpha=0.001 beta=0.5 k=1", {"kind": "lrn", "size": 3, "alpha": 0.001, "beta": 0.5, "k": 1.0}),
    ("flatten", {"kind": "flatten"}),
    ("leakyrelu slope=0.2", {"kind": "leaky_relu", "negative_slope": 0.2}),
    ("CONV1:conv5-8 p=0", {"kind": "conv", "name": "CONV1", "filters": 8, "kernel": 5, "padding": 0}),
    ("CONV1: conv5-8 p=0", {"kind": "conv", "name": "CONV1", "filters": 8, "kernel": 5, "padding": 0}),
    ("Softmax:fc-10 act=softmax", {"kind": "dense", "name": "Softmax", "units": 10, "activation": "softmax"}),
    ("1x1conv:conv1-64", {"kind": "conv", "name": "1x1conv", "filters": 64, "kernel": 1, "padding": "same"}),
]


@pytest.mark.parametrize(("item", "expected"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_layer_item_parses_into_spec_data(item: str, expected: dict[str, Any]) -> None:
    assert layers_of(f"32x32x8 | {item}") == [expected]


ACTIVATION_WORDS: list[tuple[str, str]] = [
    ("relu", "relu"),
    ("ReLU", "relu"),
    ("relu6", "relu6"),
    ("leakyrelu", "leaky_relu"),
    ("leaky_relu", "leaky_relu"),
    ("Leaky-ReLU", "leaky_relu"),
    ("elu", "elu"),
    ("selu", "selu"),
    ("gelu", "gelu"),
    ("sigmoid", "sigmoid"),
    ("tanh", "tanh"),
    ("softmax", "softmax"),
    ("Softmax", "softmax"),
    ("swish", "swish"),
    ("silu", "swish"),
    ("hardswish", "hard_swish"),
    ("hard_swish", "hard_swish"),
    ("hardsigmoid", "hard_sigmoid"),
    ("softplus", "softplus"),
]


@pytest.mark.parametrize(("word", "kind"), ACTIVATION_WORDS)
def test_activation_words(word: str, kind: str) -> None:
    assert layers_of(f"32x32x8 | {word}") == [{"kind": kind}]
    report = analyze(load_dsl(f"32x32x8 | {word}"))
    assert report.shown(report.rows[1].output_shape) == (32, 32, 8)
    assert report.totals.params == 0


def test_every_activation_kind_has_a_word() -> None:
    # `linear` is the dense layer as a word (as `kind: linear` is in YAML); the function is act=linear
    assert set(ACTIVATIONS.values()) - {"linear"} == {kind for word, kind in ACTIVATION_WORDS}
    assert layers_of("8 | linear-4 act=linear") == [{"kind": "dense", "units": 4, "activation": "linear"}]


# (input item, the spec's input mapping)
INPUT_CASES: list[tuple[str, dict[str, Any]]] = [
    ("224x224x3", {"shape": [224, 224, 3], "layout": "hwc"}),
    ("224X224X3 HWC", {"shape": [224, 224, 3], "layout": "hwc"}),
    ("3x224x224 chw", {"shape": [3, 224, 224], "layout": "chw"}),
    ("3x224x224 NCHW", {"shape": [3, 224, 224], "layout": "chw"}),
    ("1000x1", {"shape": [1000, 1], "layout": "hwc"}),
    ("4096", {"shape": [4096], "layout": "hwc"}),
    ("16x112x112x3", {"shape": [16, 112, 112, 3], "layout": "hwc"}),
    ("224 x 224 x 3", {"shape": [224, 224, 3], "layout": "hwc"}),
    ("(224, 224, 3)", {"shape": [224, 224, 3], "layout": "hwc"}),
    ("[3, 32, 32] chw", {"shape": [3, 32, 32], "layout": "chw"}),
    ("28×28×1", {"shape": [28, 28, 1], "layout": "hwc"}),
    ("28*28*1", {"shape": [28, 28, 1], "layout": "hwc"}),
]


@pytest.mark.parametrize(("item", "expected"), INPUT_CASES, ids=[c[0] for c in INPUT_CASES])
def test_input_item(item: str, expected: dict[str, Any]) -> None:
    data = parse_dsl(f"{item} | relu")[0]
    assert data == {"name": "network", "input": expected, "layers": [{"kind": "relu"}]}


def test_input_options_set_name_batch_and_dtype() -> None:
    data = parse_dsl("224x224x3 chw name=vgg16 batch=8 dtype=Float16 | relu")[0]
    assert data == {
        "name": "vgg16",
        "input": {"shape": [224, 224, 3], "layout": "chw"},
        "batch": 8,
        "dtype": "float16",
        "layers": [{"kind": "relu"}],
    }


# (DSL string, the kinds and names of its layers)
REPEAT_CASES: list[tuple[str, list[dict[str, Any]]]] = [
    ("2x conv3-64", [CONV, CONV]),
    ("2* conv3-64", [CONV, CONV]),
    ("2*conv3-64", [CONV, CONV]),
    ("3 x relu", [{"kind": "relu"}] * 3),
    ("1x relu", [{"kind": "relu"}]),
    ("2X relu | 2x tanh", [{"kind": "relu"}] * 2 + [{"kind": "tanh"}] * 2),
    # a repeated name is numbered: Caffe's VGG names after a digit, Keras's after a letter
    ("2x conv1:conv3-64", [{**CONV, "name": "conv1_1"}, {**CONV, "name": "conv1_2"}]),
    ("2x block1_conv:conv3-64", [{**CONV, "name": "block1_conv1"}, {**CONV, "name": "block1_conv2"}]),
]


@pytest.mark.parametrize(("text", "expected"), REPEAT_CASES, ids=[c[0] for c in REPEAT_CASES])
def test_repeat_prefix(text: str, expected: list[dict[str, Any]]) -> None:
    layers = layers_of(f"32x32x8 | {text}")
    assert layers == expected
    assert all(a is not b for a, b in itertools.pairwise(layers))  # no shared dicts: no YAML anchors


# --- numbers: each layer word on an input, worked out by hand --------------------------------

# (DSL string, output shape of the last layer as the input's layout shows it, its params)
ANALYSIS_CASES: list[tuple[str, tuple[int, ...], int]] = [
    ("32x32x3 | conv3-64", (32, 32, 64), 1792),  # (3*9 + 1) * 64; 'same' keeps 32
    ("32x32x3 | conv5-8 p=0", (28, 28, 8), 608),  # 32 - 5 + 1 = 28; (75 + 1) * 8
    ("32x32x3 | conv3-8 s=2", (16, 16, 8), 224),  # 'same' at stride 2: ceil(32/2)
    ("32x32x3 | conv3-8 p=valid", (30, 30, 8), 224),
    ("32x32x3 | conv3-8 d=2 p=0", (28, 28, 8), 224),  # dilated 3 spans 5
    ("32x32x4 | conv3-8 g=2", (32, 32, 8), 152),  # 8 * (4/2) * 9 + 8
    ("32x32x3 | conv3-8 nobias", (32, 32, 8), 216),
    ("32x32x3 | conv3-8 act=relu", (32, 32, 8), 224),
    ("32x32x3 | conv3x5-8 p=0", (30, 28, 8), 368),  # 8 * 3 * 15 + 8
    ("32x32x3 | conv3-8 p=0/1x0/1", (31, 31, 8), 224),  # 32 + 0 + 1 - 3 + 1
    ("32x32x8 | dwconv3", (32, 32, 8), 80),  # 8 * 9 + 8
    ("32x32x8 | dwconv3 s=2 m=2", (16, 16, 16), 160),  # 16 * 9 + 16
    ("32x32x8 | sepconv3-16", (32, 32, 16), 216),  # 8*9 + 8*16 + 16
    ("16x16x4 | deconv4-8 s=2", (32, 32, 8), 520),  # 'same': 16 * 2; 4 * 8 * 16 + 8
    ("4x4x2 | deconv3-8 s=2 p=0", (9, 9, 8), 152),  # (4 - 1) * 2 + 3; 2 * 8 * 9 + 8
    ("8x8x2 | lc3-4", (6, 6, 4), 2736),  # 36 positions * (2*9*4 weights + 4 biases)
    ("32x32x8 | maxpool", (16, 16, 8), 0),
    ("55x55x96 | maxpool3/2", (27, 27, 96), 0),  # (55 - 3)/2 + 1, AlexNet's overlapping pool
    ("9x9x1 | MaxPool3", (3, 3, 1), 0),  # stride = kernel = 3
    ("112x112x64 | maxpool3 s=2 ceil", (56, 56, 64), 0),  # ceil((112 - 3)/2) + 1
    ("5x5x1 | maxpool p=1", (3, 3, 1), 0),  # (5 + 2 - 2)//2 + 1
    ("5x5x1 | avgpool3/1", (3, 3, 1), 0),
    ("4x4x1 | sumpool", (2, 2, 1), 0),
    ("4x4x1 | l2pool", (2, 2, 1), 0),
    ("7x7x512 | gap", (512,), 0),
    ("7x7x512 | gmp keepdims", (1, 1, 512), 0),
    ("7x7x512 | fc-4096", (4096,), 102_764_544),  # VGG's fc6: 25088 * 4096 + 4096
    ("84 | fc-10 act=softmax", (10,), 850),
    ("84 | fc10 nobias", (10,), 840),
    ("8x8x16 | bn", (8, 8, 16), 32),  # gamma and beta per channel
    ("8x8x16 | bn noaffine", (8, 8, 16), 0),
    ("13x13x96 | lrn5", (13, 13, 96), 0),
    ("5x5x16 | flatten", (400,), 0),
    ("4096 | dropout-0.3", (4096,), 0),
    ("1000x1 | conv7-16 p=0", (994, 16), 128),  # 1-D: 1000 - 7 + 1; (7 + 1) * 16
    ("16x112x112x3 | conv3-64", (16, 112, 112, 64), 5248),  # 3-D: (27*3 + 1) * 64
    ("3x32x32 chw | conv3-8", (8, 32, 32), 224),  # shown channels first
]


@pytest.mark.parametrize(("text", "shape", "params"), ANALYSIS_CASES, ids=[c[0] for c in ANALYSIS_CASES])
def test_numbers_of_each_construct(text: str, shape: tuple[int, ...], params: int) -> None:
    report = analyze(load_dsl(text))
    assert report.shown(report.rows[-1].output_shape) == shape
    assert report.rows[-1].trainable_params == params


# --- the DSL and YAML agree ------------------------------------------------------------------

# (DSL string, the YAML spec a person would write for it)
EQUIVALENT: list[tuple[str, str]] = [
    (
        LENET,
        """
input: 32x32x3
layers:
  - {name: CONV1, kind: conv, filters: 8, kernel: 5}
  - {name: POOL1, kind: max_pool, kernel: 2, stride: 2}
  - {name: CONV2, kind: conv, filters: 16, kernel: 5}
  - {name: POOL2, kind: max_pool, kernel: 2}
  - {name: FC3, kind: fc, units: 120}
  - {name: FC4, kind: dense, units: 84}
  - {name: Softmax, kind: dense, units: 10, activation: softmax}
""",
    ),
    (
        "224x224x3 | conv7-64 s=2 p=3 | bn | relu | maxpool3/2 p=1 | gap | fc-1000",
        """
input: {shape: [224, 224, 3]}
layers:
  - {kind: conv, filters: 64, kernel: 7, stride: 2, padding: 3}
  - {kind: batch_norm}
  - {kind: relu}
  - {kind: max_pool, kernel: 3, stride: 2, padding: 1}
  - {kind: global_avg_pool}
  - {kind: dense, units: 1000}
""",
    ),
    (
        "3x32x32 chw | dwconv3 s=2 | sepconv3-16 m=2 | deconv2-8 s=2 | lc3-4 | flatten | fc-10 nobias act=softmax",
        """
input: {shape: [3, 32, 32], layout: chw}
layers:
  - {kind: depthwise_conv, kernel: 3, stride: 2, padding: same}
  - {kind: separable_conv, filters: 16, kernel: 3, multiplier: 2, padding: same}
  - {kind: conv_transpose, filters: 8, kernel: 2, stride: 2, padding: same}
  - {kind: locally_connected, filters: 4, kernel: 3}
  - {kind: flatten}
  - {kind: dense, units: 10, bias: false, activation: softmax}
""",
    ),
]


@pytest.mark.parametrize(("dsl", "yaml_text"), EQUIVALENT, ids=["lenet", "resnet-stem", "every-conv"])
def test_dsl_and_yaml_give_the_same_analysis(dsl: str, yaml_text: str) -> None:
    same_numbers(analyze(load_dsl(dsl)), analyze(load_spec_text(yaml_text)))


@pytest.mark.parametrize("dsl", [VGG16, LENET, EVERYTHING], ids=["vgg16", "lenet", "everything"])
def test_round_trip_through_yaml(dsl: str) -> None:
    data, _ = parse_dsl(dsl)
    text = yaml.safe_dump(data, sort_keys=False)
    assert "&" not in text  # no anchors: every layer is its own mapping
    assert yaml.safe_load(text) == data
    from_yaml = load_spec_text(text)
    from_dsl = load_dsl(dsl)
    assert from_yaml.model_dump() == from_dsl.model_dump()
    same_numbers(analyze(from_yaml), analyze(from_dsl))


def test_everything_string_analyses() -> None:
    report = analyze(load_dsl(EVERYTHING))
    assert report.name == "all"
    assert report.batch == 2
    assert report.dtype == "float16"
    assert [r.name for r in report.rows[1:3]] == ["c1", "c2"]


# --- where things are ------------------------------------------------------------------------


def test_source_map_points_at_each_item_and_field() -> None:
    text = "32x32x3 | 2x CONV:conv3x5-64 s=2 | maxpool3/2 ceil"
    _, source_map = parse_dsl(text)

    def col(path: tuple[str | int, ...]) -> int:
        location = source_map.values[path]
        assert isinstance(location, Location)  # the DSL's own positions, not a YAML mark
        assert location.source == "<dsl>"
        assert location.line == 1
        return location.column

    def at(needle: str) -> int:
        return text.index(needle) + 1

    assert col(("input", "shape")) == 1
    assert col(("input", "shape", 2)) == 7
    for i in (0, 1):  # both copies of a repeated item point at it
        assert col(("layers", i)) == at("2x CONV")
        assert col(("layers", i, "name")) == at("CONV")
        assert col(("layers", i, "kind")) == at("conv3x5")
        assert col(("layers", i, "kernel")) == at("3x5")
        assert col(("layers", i, "kernel", 1)) == at("5-64")
        assert col(("layers", i, "filters")) == at("64")
        assert col(("layers", i, "stride")) == at("s=2")
        assert col(("layers", i, "padding")) == at("conv3x5")  # the default, said by the word
    assert col(("layers", 2)) == at("maxpool")
    assert col(("layers", 2, "kernel")) == at("3/2")
    assert col(("layers", 2, "stride")) == at("2 ceil")
    assert col(("layers", 2, "ceil_mode")) == at("ceil")


def test_lines_are_counted_when_the_string_has_newlines() -> None:
    with pytest.raises(SpecError) as err:
        load_dsl("32x32x3 |\n  conv3-64 |\n  maxpol")
    assert str(err.value).startswith("<dsl>:3:3: error: unknown layer 'maxpol'")


def test_every_bad_item_is_reported() -> None:
    with pytest.raises(SpecError) as err:
        parse_dsl("conv3-64 | maxpol | fc")
    assert [str(d.location) for d in err.value.diagnostics] == ["<dsl>:1:1", "<dsl>:1:12", "<dsl>:1:21"]
    assert "did you mean 'maxpool'?" in str(err.value)


def test_source_name_is_used_in_locations() -> None:
    with pytest.raises(SpecError, match=r"^net\.dsl:1:11: error: "):
        load_dsl("32x32x3 | maxpol", source="net.dsl")


# --- errors: each at its column, with a useful message ---------------------------------------

# (DSL string, column of the error, part of the message)
SYNTAX_ERRORS: list[tuple[str, int, str]] = [
    ("", 1, "empty DSL string"),
    ("   ", 1, "empty DSL string"),
    ("32x32x3", 8, "no layers after the input shape"),
    ("32x32x3 |", 9, "nothing after the last '|'"),
    ("32x32x3 | | relu", 9, "empty item between two '|'"),
    ("| relu", 1, "missing input shape before the first '|'"),
    ("relu | relu", 1, "expected the input shape such as 224x224x3, got 'relu'"),
    ("32x32x3x | relu", 1, "expected the input shape"),
    ("32x32x3x1x1 | relu", 1, "an input shape has 1 to 4 numbers, got 5"),
    ("32x32x3 chx | relu", 9, "unexpected 'chx' after the input shape (did you mean 'chw'?)"),
    ("32x32x3 hwc chw | relu", 13, "'layout' is given twice"),
    ("32x32x3 batch= | relu", 9, "option 'batch' needs a value"),
    ("1234567890x3 | relu", 1, "number '1234567890' has more than 9 digits"),
    ("32x32x3 | conv3-64 | maxpol", 22, "unknown layer 'maxpol' (did you mean 'maxpool'?)"),
    ("32x32x3 | maxpol3/2", 11, "unknown layer 'maxpol3/2' (did you mean 'maxpool3/2'?)"),
    ("32x32x3 | cnv3-64", 11, "unknown layer 'cnv3-64' (did you mean 'conv3-64'?)"),
    ("32x32x3 | convv3-64", 11, "(did you mean 'conv3-64'?)"),
    ("32x32x3 | rleu", 11, "unknown layer 'rleu' (did you mean 'relu'?)"),
    ("32x32x3 | Dropuot-0.5", 11, "(did you mean 'dropout-0.5'?)"),
    ("32x32x3 | batchnrm", 11, "(did you mean 'batchnorm'?)"),
    ("32x32x3 | xyzzy", 11, "unknown layer 'xyzzy'"),
    ("32x32x3 | 3x3", 13, "expected a layer such as conv3-64, maxpool or fc-4096, got '3'"),
    ("32x32x3 | relu7", 11, "malformed relu layer 'relu7': expected relu (did you mean 'relu6'?)"),
    ("32x32x3 | conv", 11, "'conv' needs a kernel size and a filter count"),
    ("32x32x3 | conv3", 11, "'conv3' needs a filter count: conv<k>-<filters>, e.g. conv3-64"),
    ("32x32x3 | conv-64", 11, "malformed conv layer 'conv-64'"),
    ("32x32x3 | conv3-64-2", 11, "malformed conv layer"),
    ("32x32x3 | dwconv", 11, "'dwconv' needs a kernel size"),
    ("32x32x3 | dwconv3-64", 19, "dwconv takes no filter count"),
    ("32x32x3 | fc", 11, "'fc' needs a unit count"),
    ("32x32x3 | fc-4096.5", 11, "malformed dense layer"),
    ("32x32x3 | maxpool3/", 11, "malformed max_pool layer"),
    ("32x32x3 | dropout-x", 11, "malformed dropout layer"),
    ("32x32x3 | conv3-64 s", 20, "option 's' needs a value: s=<stride>"),
    ("32x32x3 | conv3-64 s = 2", 20, "option 's' needs a value"),
    ("32x32x3 | conv3-64 s=", 20, "option 's' needs a value"),
    ("32x32x3 | conv3-64 =2", 20, "expected key=value"),
    ("32x32x3 | conv3-64 x=2", 20, "unknown option 'x' for conv"),
    ("32x32x3 | conv3-64 strde=2", 20, "unknown option 'strde' for conv (did you mean 'stride'?)"),
    ("32x32x3 | conv3-64 relu", 20, "is a '|' missing before 'relu'?"),
    ("32x32x3 | maxpool g=2", 19, "unknown option 'g' for maxpool"),
    ("32x32x3 | dwconv3 g=2", 19, "unknown option 'g' for dwconv"),
    ("32x32x3 | relu s=2", 16, "relu takes no options"),
    ("32x32x3 | conv3-64 nobias=1", 20, "'nobias' is a flag and takes no value"),
    ("32x32x3 | conv3-64 s=2 s=1", 24, "'stride' is given twice"),
    ("32x32x3 | maxpool3/2 s=2", 22, "'stride' is given twice"),
    ("32x32x3 | conv3-64 act=rleu", 24, "unknown activation 'rleu' (did you mean 'relu'?)"),
    ("32x32x3 | conv3-64 s=2x", 22, "malformed stride '2x'"),
    ("32x32x3 | conv3-64 s=a", 22, "expected a whole number, got 'a'"),
    ("32x32x3 | conv3-64 p=sme", 22, "padding is same, valid or a number, got 'sme' (did you mean 'same'?)"),
    ("32x32x3 | bn eps=x", 18, "expected a number such as 0.5 or 1e-5"),
    ("32x32x3 | bn eps=1e-999", 18, "is too long"),
    ("32x32x3 | 0x relu", 11, "repeat count must be at least 1"),
    ("32x32x3 | 10001x relu", 11, "repeat count 10,001 is more than 10,000"),
    ("32x32x3 | 1234567890x relu", 11, "more than 9 digits"),
    ("32x32x3 | conv3-1234567890", 17, "number '1234567890' has more than 9 digits"),
    ("32x32x3 | 2x", 13, "expected a layer after the repeat count"),
    ("32x32x3 | CONV1:", 17, "expected a layer after 'CONV1:'"),
    ("32x32x3 | :relu", 11, "empty layer name before ':'"),
]


@pytest.mark.parametrize(("text", "column", "message"), SYNTAX_ERRORS, ids=[c[0] or "empty" for c in SYNTAX_ERRORS])
def test_syntax_errors_are_located(text: str, column: int, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_dsl(text)
    assert str(err.value).startswith(f"<dsl>:1:{column}: error: "), str(err.value)
    assert message in str(err.value)


# errors found by validating the parsed data: the SourceMap places them
VALIDATION_ERRORS: list[tuple[str, int, str]] = [
    ("32x32x3 | conv3-64 s=0", 20, "stride in conv layer #1"),
    ("32x32x3 | conv3-0", 17, "filters in conv layer #1"),
    ("0x32x3 | relu", 1, "input.shape[0]"),
    ("32x0x3 | relu", 4, "input.shape[1]"),
    ("32x32x3 | relu | dropout-1.5", 26, "rate in dropout layer #2: expected less than 1"),
    ("32x32x3 dtype=float13 | relu", 9, "dtype: expected"),
    ("32x32x3 batch=0 | relu", 9, "batch"),
    ("32x32x3 | " + "N" * 201 + ":relu", 11, "name in relu layer"),
]


@pytest.mark.parametrize(("text", "column", "message"), VALIDATION_ERRORS, ids=[c[0][:40] for c in VALIDATION_ERRORS])
def test_validation_errors_are_located(text: str, column: int, message: str) -> None:
    parse_dsl(text)  # parses; the values are wrong
    with pytest.raises(SpecError) as err:
        load_dsl(text)
    assert str(err.value).startswith(f"<dsl>:1:{column}: error: "), str(err.value)
    assert message in str(err.value)


# errors found by the analysis: shapes that do not fit, names used twice
ANALYSIS_ERRORS: list[tuple[str, int, str]] = [
    ("7x7x1 | conv9-1 p=0", 13, "kernel 9 is larger than the input 7"),
    ("32x32x3 | conv3-64 g=2", 20, "groups=2 must divide both"),
    ("32x32x3 | fc-10 | conv3-8", 19, "needs a feature map"),
    ("32x32x3 | A:relu | A:relu", 20, "layer name 'A' is used twice"),
]


@pytest.mark.parametrize(("text", "column", "message"), ANALYSIS_ERRORS, ids=[c[0] for c in ANALYSIS_ERRORS])
def test_analysis_errors_are_located(text: str, column: int, message: str) -> None:
    with pytest.raises((ShapeError, SpecError)) as err:
        analyze(load_dsl(text))
    assert str(err.value).startswith(f"<dsl>:1:{column}: error: "), str(err.value)
    assert message in str(err.value)


def test_too_long_a_string_is_refused() -> None:
    text = "32x32x3 | " + "relu | " * (MAX_DSL_CHARS // 7) + "relu"
    with pytest.raises(SpecError, match=r"^<dsl>:1:1: error: DSL string is [\d,]+ characters; the limit is 100,000"):
        parse_dsl(text)


def test_too_many_layers_are_refused_before_they_are_built() -> None:
    per_item = 10_000
    items = MAX_LAYERS // per_item + 1
    text = "8x8x1 | " + " | ".join([f"{per_item}x relu"] * items)
    last = text.rindex(f"{per_item}x") + 1
    with pytest.raises(SpecError, match=rf"^<dsl>:1:{last}: error: too many layers"):
        parse_dsl(text)


def test_non_text_is_refused() -> None:
    with pytest.raises(SpecError, match="a DSL spec is text"):
        parse_dsl(b"32x32x3 | relu")  # type: ignore[arg-type]


# --- no input crashes it ---------------------------------------------------------------------

FRAGMENTS = [
    "32x32x3", "1x1", "4096", "3x8x8 chw", "conv3-8", "conv3x3-4", "conv1-2", "dwconv3", "sepconv3-4", "deconv2-4",
    "lc3-2", "maxpool", "maxpool3/2", "avgpool", "gap", "gmp", "fc-10", "fc4", "relu", "softmax", "dropout-0.5",
    "bn", "lrn5", "flatten", "2x", "3*", "N:", "s=2", "p=1", "p=same", "p=0/1x1/0", "d=2", "g=2", "m=2", "op=1",
    "act=relu", "nobias", "ceil", "keepdims", "slope=0.1", "eps=1e-3", "|", "|", "|", " ", ":", "=", "x", "0",
    "99999999999", "é", "\n", "\t", "-", "/", "(", ")",
]  # fmt: skip


def check_only_our_errors(text: str) -> None:
    """Parse, validate and analyse: a CnncalcError is fine, any other exception is a bug."""
    try:
        data, _ = parse_dsl(text)
    except SpecError as e:
        assert e.diagnostics
        assert all(d.location is not None and d.location.source == "<dsl>" for d in e.diagnostics)
        return
    try:
        spec = load_dsl(text)
    except SpecError:
        return
    try:
        analyze(spec)
    except CnncalcError:
        return
    # what parses also converts: the YAML spec gives the same spec
    assert load_spec_text(yaml.safe_dump(data, sort_keys=False)).model_dump() == spec.model_dump()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_raises_only_spec_errors(text: str) -> None:
    check_only_our_errors(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14), st.sampled_from(["", " "]))
def test_random_dsl_like_strings_raise_only_spec_errors(fragments: list[str], joiner: str) -> None:
    check_only_our_errors(joiner.join(fragments))
