"""Layer rules: hand-worked cases per kind, brute-force window counting, and PyTorch as an oracle."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc import Conventions, ShapeError, analyze, load_spec_text
from cnncalc.core.geometry import fit_axis, same_padding
from cnncalc.core.report import Report

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (CI installs the CPU build)")


def run(input_shape: str, *layers: str, conventions: Conventions | None = None, layout: str = "hwc") -> Report:
    body = "\n".join(f"  - {layer}" for layer in layers)
    text = f"input: {{shape: [{input_shape.replace('x', ', ')}], layout: {layout}}}\nlayers:\n{body}\n"
    return analyze(load_spec_text(text), conventions)


# --- hand-worked cases, one per kind: (input HWC, layer, output HWC, params, MACs) -------------
# Each expected value is worked out in the comment beside it, not taken from cnncalc.
CASES: list[tuple[str, str, tuple[int, ...], int, int]] = [
    # 002 slides: 32x32x3, 10 5x5 filters, stride 1, pad 2 -> 32x32x10; (5*5*3+1)*10 = 760; 32*32*10*75 MACs
    ("32x32x3", "{kind: conv, filters: 10, kernel: 5, padding: 2}", (32, 32, 10), 760, 32 * 32 * 10 * 75),
    # 000 slides: 10 filters of 3x3x3 -> (27+1)*10 = 280
    ("6x6x3", "{kind: conv, filters: 10, kernel: 3}", (4, 4, 10), 280, 16 * 10 * 27),
    # 003 slides: 32 filters of 5x5 on a colour image -> (5*5*3+1)*32 = 2432
    ("32x32x3", "{kind: conv, filters: 32, kernel: 5}", (28, 28, 32), 2432, 28 * 28 * 32 * 75),
    # dilation 2: a 3x3 kernel spans 5 -> 32-5+1 = 28
    ("32x32x3", "{kind: conv, filters: 4, kernel: 3, dilation: 2}", (28, 28, 4), 4 * 27 + 4, 28 * 28 * 4 * 27),
    # AlexNet conv2 with groups 2: 256 * (96/2) * 25 + 256 = 307,456
    ("27x27x96", "{kind: conv, filters: 256, kernel: 5, padding: 2, groups: 2}", (27, 27, 256), 307_456, 729 * 307_200),
    # 'same' at stride 2 (TensorFlow): ceil(224/2) = 112
    ("224x224x3", "{kind: conv, filters: 8, kernel: 3, stride: 2, padding: same}", (112, 112, 8), 224, 112 * 112 * 216),
    # explicit asymmetric pairs: 10 + 0 + 1 - 3 + 1 = 9 rows, 10 + 2 + 2 - 3 + 1 = 12 cols
    ("10x10x1", "{kind: conv, filters: 1, kernel: 3, padding: [[0, 1], [2, 2]]}", (9, 12, 1), 10, 108 * 9),
    # 1-D spectrum: 1000 samples, 16 filters of 7 -> 994; (7*1+1)*16 = 128
    ("1000x1", "{kind: conv, filters: 16, kernel: 7}", (994, 16), 128, 994 * 16 * 7),
    # 3-D clip: 16x112x112x3, 64 filters 3x3x3 pad 1 -> same size; (27*3+1)*64 = 5248
    (
        "16x112x112x3",
        "{kind: conv, filters: 64, kernel: 3, padding: 1}",
        (16, 112, 112, 64),
        5248,
        16 * 112 * 112 * 64 * 81,
    ),
    # MobileNet dw 3x3 on 112x112x32 -> 32*9 weights + 32 biases; MACs 112*112*32*9
    ("112x112x32", "{kind: depthwise_conv, kernel: 3, padding: 1}", (112, 112, 32), 320, 112 * 112 * 288),
    # Keras SeparableConv2D(64, 3) on 32 channels: 32*9 + 32*64 + 64 = 2400
    ("10x10x32", "{kind: separable_conv, filters: 64, kernel: 3}", (8, 8, 64), 2400, 64 * (288 + 2048)),
    # PyTorch ConvTranspose2d(16, 33, 3, stride=2) on 50x100: (49*2+3) x (99*2+3); 16*33*9 + 33 = 4785
    (
        "50x100x16",
        "{kind: conv_transpose, filters: 33, kernel: 3, stride: 2}",
        (101, 201, 33),
        4785,
        5000 * 16 * 33 * 9,
    ),
    # Keras LocallyConnected2D(64, 3) on 32x32x3: 900 positions x 27 x 64 weights + 900*64 biases
    (
        "32x32x3",
        "{kind: locally_connected, filters: 64, kernel: 3}",
        (30, 30, 64),
        900 * 27 * 64 + 900 * 64,
        900 * 64 * 27,
    ),
    ("28x28x8", "{kind: max_pool, kernel: 2}", (14, 14, 8), 0, 0),
    ("55x55x96", "{kind: max_pool, kernel: 3, stride: 2}", (27, 27, 96), 0, 0),  # (55-3)/2+1 = 27 (002 slide hint)
    ("5x5x1", "{kind: avg_pool, kernel: 3, stride: 1}", (3, 3, 1), 0, 0),
    ("4x4x1", "{kind: sum_pool}", (2, 2, 1), 0, 0),
    ("4x4x1", "{kind: l2_pool}", (2, 2, 1), 0, 0),
    ("112x112x64", "{kind: max_pool, kernel: 3, stride: 2, ceil_mode: true}", (56, 56, 64), 0, 0),  # ceil(109/2)+1
    ("7x7x512", "{kind: global_avg_pool}", (512,), 0, 0),
    ("7x7x512", "{kind: global_max_pool, keepdims: true}", (1, 1, 512), 0, 0),
    ("5x5x16", "{kind: dense, units: 120}", (120,), 48_120, 48_000),  # 001 table FC3: 120*400+120
    ("84", "{kind: dense, units: 10, bias: false}", (10,), 840, 840),
    ("5x5x16", "{kind: flatten}", (400,), 0, 0),
    ("14x14x64", "{kind: batch_norm}", (14, 14, 64), 128, 0),  # gamma + beta per channel
    ("27x27x96", "{kind: lrn, size: 5}", (27, 27, 96), 0, 0),
    ("120", "{kind: relu}", (120,), 0, 0),
    ("120", "{kind: dropout, rate: 0.5}", (120,), 0, 0),
]


@pytest.mark.parametrize(("input_shape", "layer", "out", "params", "macs"), CASES)
def test_layer_rules(input_shape: str, layer: str, out: tuple[int, ...], params: int, macs: int) -> None:
    report = run(input_shape, layer)
    row = report.rows[1]
    assert report.shown(row.output_shape) == out
    assert row.params == params
    assert row.macs == macs


def test_flops_rules() -> None:
    # conv 10 filters 5x5x3 pad 2 on 32x32x3: 2 * MACs + one bias add per output element
    r = run("32x32x3", "{kind: conv, filters: 10, kernel: 5, padding: 2}")
    assert r.rows[1].flops == 2 * 32 * 32 * 10 * 75 + 32 * 32 * 10
    # 2x2 max pool: 3 comparisons per output element; avg: 4 (3 adds, 1 divide); L2: 8
    assert run("4x4x2", "{kind: max_pool}").rows[1].flops == 8 * 3
    assert run("4x4x2", "{kind: avg_pool}").rows[1].flops == 8 * 4
    assert run("4x4x2", "{kind: l2_pool}").rows[1].flops == 8 * 8
    # batch norm at inference: one multiply and one add per element
    assert run("2x2x3", "{kind: batch_norm}").rows[1].flops == 24
    # relu: one comparison per element
    assert run("10", "{kind: relu}").rows[1].flops == 10


def test_fused_activation_equals_separate_layer() -> None:
    fused = run(
        "32x32x3",
        "{kind: conv, filters: 8, kernel: 3, activation: relu}",
        "{kind: dense, units: 10, activation: softmax}",
    )
    separate = run(
        "32x32x3", "{kind: conv, filters: 8, kernel: 3}", "{kind: relu}", "{kind: dense, units: 10}", "{kind: softmax}"
    )
    for field in ("params", "macs", "flops", "activation_bytes", "peak_activation_bytes"):
        assert getattr(fused.totals, field) == getattr(separate.totals, field), field


def test_inplace_layers_allocate_nothing() -> None:
    r = run("8x8x4", "{kind: relu}", "{kind: dropout}", "{kind: flatten}")
    assert [row.activation_elements for row in r.rows] == [256, 0, 0, 0]
    copied = run("8x8x4", "{kind: relu}", conventions=Conventions(inplace_activations=False))
    assert copied.rows[1].activation_elements == 256


def test_no_bias_and_keras_bn_conventions() -> None:
    r = run(
        "32x32x3", "{kind: conv, filters: 10, kernel: 5}", "{kind: batch_norm}", conventions=Conventions(bias=False)
    )
    assert r.rows[1].params == 750  # 5*5*3*10
    keras = run("4x4x16", "{kind: batch_norm}", conventions=Conventions(bn_running_stats=True))
    assert (keras.rows[1].trainable_params, keras.rows[1].non_trainable_params) == (32, 32)
    assert keras.totals.params == 64


def test_batch_multiplies_macs_and_memory_not_params() -> None:
    text = "input: 32x32x3\nbatch: 8\ndtype: float16\nlayers: [{kind: conv, filters: 10, kernel: 5, padding: 2}]\n"
    r = analyze(load_spec_text(text))
    assert r.rows[1].params == 760
    assert r.rows[1].macs == 8 * 32 * 32 * 10 * 75
    assert r.rows[1].activation_bytes == 32 * 32 * 10 * 2 * 8
    assert r.totals.param_bytes == 760 * 2


def test_peak_live_memory_of_a_chain() -> None:
    # input 3072, conv out 6272, relu in place, pool out 1568 (elements, float32)
    r = run("32x32x3", "{kind: conv, filters: 8, kernel: 5}", "{kind: relu}", "{kind: max_pool}")
    assert r.totals.peak_activation_bytes == (3072 + 6272) * 4
    assert r.totals.training_bytes == 2 * r.totals.activation_bytes + 4 * r.totals.param_bytes


def test_stride_that_does_not_tile_warns_with_pixels_dropped() -> None:
    # 002 slides: 7x7 input, 3x3 filter: stride 1 -> 5, stride 2 -> 3, stride 3 "doesn't fit!"
    assert run("7x7x1", "{kind: conv, filters: 1, kernel: 3, stride: 1}").rows[1].output_shape == (1, 5, 5)
    assert run("7x7x1", "{kind: conv, filters: 1, kernel: 3, stride: 2}").warnings == ()
    r = run("7x7x1", "{name: CONV, kind: conv, filters: 1, kernel: 3, stride: 3}")
    assert r.rows[1].output_shape == (1, 2, 2)
    assert len(r.warnings) == 2  # H and W
    assert "layer 'CONV'" in r.warnings[0] and "stride 3" in r.warnings[0] and "last 1 pixel(s)" in r.warnings[0]
    # ZFNet conv1: 7x7 stride 2 pad 1 on 224 leaves only right-hand zero padding unused: no warning
    assert run("224x224x3", "{kind: conv, filters: 96, kernel: 7, stride: 2, padding: 1}").warnings == ()
    # pad 0 there loses a real pixel: 224 - 7 = 217 is odd
    assert "last 1 pixel(s)" in run("224x224x3", "{kind: conv, filters: 96, kernel: 7, stride: 2}").warnings[0]


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ("{kind: conv, filters: 1, kernel: 9}", "kernel 9 is larger than the input 7"),
        ("{kind: conv, filters: 4, kernel: 3, groups: 3}", "groups=3 must divide"),
        ("{kind: conv, filters: 4, kernel: 3, in_channels: 3}", "'in_channels' is 3 but the input has 1 channels"),
        ("{kind: dense, units: 120, in_features: 256}", "'in_features' is 256 but the input has 49 features"),
        ("{kind: conv, filters: 4, kernel: [3, 3, 3]}", "'kernel' has 3 values but the input has 2 spatial axes"),
        ("{kind: conv, filters: 4, kernel: 3, padding: [1, 2, 3]}", "'padding' has 3 entries"),
    ],
)
def test_shape_errors_name_the_layer(layer: str, message: str) -> None:
    with pytest.raises(ShapeError, match="layer '") as e:
        run("7x7x1", layer)
    assert message in str(e.value)


def test_in_features_error_gives_the_right_value() -> None:
    # the classic nn.Linear(?, 120) after a flatten of (5, 5, 16)
    with pytest.raises(ShapeError) as e:
        run("5x5x16", "{kind: flatten}", "{kind: dense, units: 120, in_features: 256}")
    assert "hint: set in_features: 400" in str(e.value)


def test_layer_after_flatten_needs_a_map() -> None:
    with pytest.raises(ShapeError, match="needs a feature map"):
        run("5x5x16", "{kind: flatten}", "{kind: max_pool}")


# --- window arithmetic against brute-force counting of window positions ------------------------


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 60),
    k=st.integers(1, 9),
    s=st.integers(1, 5),
    pb=st.integers(0, 4),
    pa=st.integers(0, 4),
    d=st.integers(1, 3),
    ceil=st.booleans(),
)
def test_window_matches_brute_force(n: int, k: int, s: int, pb: int, pa: int, d: int, ceil: bool) -> None:
    if ceil:  # PyTorch's precondition for ceil_mode pooling: symmetric, at most half the window
        pb = pa = min(pb, k // 2)
    span = d * (k - 1) + 1
    padded = n + pb + pa
    # floor: window starts (in padded coordinates) whose last tap is inside the padded input
    starts = [i for i in range(0, padded) if i % s == 0 and i + span <= padded]
    if ceil:
        # PyTorch: a window may overhang on the right but must start inside input + left padding
        starts = [
            i
            for i in range(0, padded + s)
            if i % s == 0 and i < n + pb and (i + span <= padded or i + span - s < padded)
        ]
    w = fit_axis(n, k, s, (pb, pa), d, ceil)
    if span > padded and not ceil:
        assert w.size <= 0
    else:  # in ceil mode a window overhanging the padded input by less than a stride counts
        assert max(w.size, 0) == len(starts)
    if not ceil and starts:
        assert w.dropped == padded - (starts[-1] + span)


@given(n=st.integers(1, 300), k=st.integers(1, 11), s=st.integers(1, 6), d=st.integers(1, 3))
def test_same_padding_gives_ceil_n_over_s(n: int, k: int, s: int, d: int) -> None:
    pads = same_padding(n, k, s, d)
    assert fit_axis(n, k, s, pads, d).size == -(-n // s)
    assert 0 <= pads[1] - pads[0] <= 1


# --- PyTorch as an oracle for shapes and parameter counts -------------------------------------


def torch_count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


@needs_torch
@settings(max_examples=60, deadline=None)
@given(
    c_in=st.sampled_from([1, 2, 3, 4, 6]),
    groups=st.sampled_from([1, 2]),
    mult=st.integers(1, 3),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    h=st.integers(8, 20),
    w=st.integers(8, 20),
    bias=st.booleans(),
)
def test_conv2d_against_torch(
    c_in: int, groups: int, mult: int, k: int, s: int, p: int, d: int, h: int, w: int, bias: bool
) -> None:
    import torch

    if c_in % groups:
        return
    filters = groups * mult
    conv = torch.nn.Conv2d(c_in, filters, k, stride=s, padding=p, dilation=d, groups=groups, bias=bias)
    spec = (
        f"{{kind: conv, filters: {filters}, kernel: {k}, stride: {s}, padding: {p}, dilation: {d}, "
        f"groups: {groups}, bias: {str(bias).lower()}}}"
    )
    try:
        out = conv(torch.zeros(1, c_in, h, w)).shape
    except RuntimeError:  # PyTorch refuses a kernel larger than the padded input; so must cnncalc
        with pytest.raises(ShapeError, match="larger than"):
            run(f"{c_in}x{h}x{w}", spec, layout="chw")
        return
    r = run(f"{c_in}x{h}x{w}", spec, layout="chw")
    assert r.rows[1].output_shape == tuple(out[1:])
    assert r.rows[1].params == torch_count(conv)


@needs_torch
@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    data=st.data(),
    n=st.integers(5, 25),
    ceil=st.booleans(),
    kind=st.sampled_from(["max_pool", "avg_pool"]),
)
def test_pool_against_torch(k: int, s: int, data: st.DataObject, n: int, ceil: bool, kind: str) -> None:
    import torch

    p = data.draw(st.integers(0, k // 2))  # PyTorch requires pad <= kernel / 2
    cls = torch.nn.MaxPool1d if kind == "max_pool" else torch.nn.AvgPool1d
    out = cls(k, stride=s, padding=p, ceil_mode=ceil)(torch.zeros(1, 2, n)).shape
    r = run(
        f"2x{n}",
        f"{{kind: {kind}, kernel: {k}, stride: {s}, padding: {p}, ceil_mode: {str(ceil).lower()}}}",
        layout="chw",
    )
    assert r.rows[1].output_shape == tuple(out[1:])


@needs_torch
@settings(max_examples=40, deadline=None)
@given(
    c_in=st.integers(1, 4),
    filters=st.integers(1, 4),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    data=st.data(),
    n=st.integers(3, 10),
)
def test_conv_transpose_against_torch(
    c_in: int, filters: int, k: int, s: int, p: int, data: st.DataObject, n: int
) -> None:
    import torch

    op = data.draw(st.integers(0, s - 1))
    layer = torch.nn.ConvTranspose2d(c_in, filters, k, stride=s, padding=p, output_padding=op)
    spec = f"{{kind: conv_transpose, filters: {filters}, kernel: {k}, stride: {s}, padding: {p}, output_padding: {op}}}"
    try:
        out = layer(torch.zeros(1, c_in, n, n)).shape
    except RuntimeError:  # PyTorch refuses an empty output; so must cnncalc
        with pytest.raises(ShapeError, match="output size"):
            run(f"{c_in}x{n}x{n}", spec, layout="chw")
        return
    r = run(f"{c_in}x{n}x{n}", spec, layout="chw")
    assert r.rows[1].output_shape == tuple(out[1:])
    assert r.rows[1].params == torch_count(layer)


@needs_torch
def test_conv1d_conv3d_linear_bn_against_torch() -> None:
    import torch

    c1 = torch.nn.Conv1d(1, 16, 7)
    assert run("1000x1", "{kind: conv, filters: 16, kernel: 7}").rows[1].params == torch_count(c1)
    c3 = torch.nn.Conv3d(3, 8, 3, stride=(1, 2, 2), padding=1)
    out = c3(torch.zeros(1, 3, 8, 32, 32)).shape
    r = run("8x32x32x3", "{kind: conv, filters: 8, kernel: 3, stride: [1, 2, 2], padding: 1}")
    assert r.rows[1].output_shape == tuple(out[1:])
    assert r.rows[1].params == torch_count(c3)
    assert run("5x5x16", "{kind: dense, units: 120}").rows[1].params == torch_count(torch.nn.Linear(400, 120))
    assert run("4x4x64", "{kind: batch_norm}").rows[1].params == torch_count(torch.nn.BatchNorm2d(64))
    same = torch.nn.Conv2d(3, 4, 5, padding="same", dilation=2)
    r = run("3x17x17", "{kind: conv, filters: 4, kernel: 5, dilation: 2, padding: same}", layout="chw")
    assert r.rows[1].output_shape == tuple(same(torch.zeros(1, 3, 17, 17)).shape[1:])
