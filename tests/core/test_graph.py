"""Graphs: from:, merges, blocks, repeat, shared weights, receptive fields, errors with their place."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc import Conventions, ShapeError, SpecError, analyze, load_spec, load_spec_text
from cnncalc.core.report import Report, rollup

BASIC_BLOCK = """
input: 56x56x64
blocks:
  basic:
    args: {filters: null, stride: 1, project: false}
    layers:
      - {kind: conv, name: conv1, filters: $filters, kernel: 3, stride: $stride, padding: 1, bias: false}
      - {kind: batch_norm, name: bn1}
      - {kind: relu}
      - {kind: conv, name: conv2, filters: $filters, kernel: 3, padding: 1, bias: false}
      - {kind: batch_norm, name: bn2, id: main}
      - {kind: conv, name: downsample.0, from: input, filters: $filters, kernel: 1, stride: $stride, bias: false,
         when: $project}
      - {kind: batch_norm, name: downsample.1, id: shortcut, when: $project}
      - {kind: add, from: [main, shortcut]}
      - {kind: relu}
layers:
  - {block: basic, name: layer1, repeat: 2, args: {filters: 64}}
  - {block: basic, name: layer2, repeat: 2, args: {filters: 128}, first: {stride: 2, project: true}}
"""


def spec(text: str) -> Report:
    return analyze(load_spec_text(text))


def test_resnet18_stages_by_hand() -> None:
    r = spec(BASIC_BLOCK)
    names = [row.name for row in r.rows]
    assert names[1:4] == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1"]
    assert "layer2.0.downsample.0" in names and "layer1.0.downsample.0" not in names
    # torchvision resnet18 layer1: 2 blocks x (2 x 3*3*64*64 conv + 2 x 2*64 bn) = 148,480
    # layer2: 3*3*64*128 + 3*3*128*128 + 3*3*128*128*2 + 1x1 64*128 + bn 2*128 x 5 = 525,568
    layer1 = 2 * (2 * 9 * 64 * 64 + 2 * 128)
    layer2 = 9 * 64 * 128 + 3 * 9 * 128 * 128 + 64 * 128 + 5 * 256
    assert r.totals.params == layer1 + layer2
    by_name = {row.name: row for row in r.rows}
    assert by_name["layer2.1.add1"].output_shape == (128, 28, 28)
    assert by_name["layer2.0.add1"].inputs == ("layer2.0.bn2", "layer2.0.downsample.1")
    assert by_name["layer1.0.add1"].inputs == ("layer1.0.bn2", "input")  # identity shortcut


def test_rollup_by_depth() -> None:
    r = spec(BASIC_BLOCK)
    top = rollup(r, 1)
    assert [row.name for row in top] == ["input", "layer1", "layer2"]
    assert sum(row.params for row in top) == r.totals.params
    assert top[2].output_shape == (128, 28, 28)
    blocks = rollup(r, 2)
    assert [row.name for row in blocks] == ["input", "layer1.0", "layer1.1", "layer2.0", "layer2.1"]
    assert sum(row.macs for row in blocks) == r.totals.macs


def test_peak_memory_keeps_the_shortcut_alive() -> None:
    text = """
input: 8x8x4
layers:
  - {kind: conv, filters: 4, kernel: 3, padding: 1, id: a}
  - {kind: conv, filters: 4, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: conv, filters: 4, kernel: 3, padding: 1, id: b}
  - {kind: add, from: [a, b]}
"""
    r = spec(text)
    # each tensor is 8*8*4*4 = 1024 bytes. While the 3rd conv runs: a (kept for the add),
    # the relu'd 2nd conv output (its input) and its output b are live -> 3 tensors
    assert r.totals.peak_activation_bytes == 3 * 1024
    # with no skip the chain never holds more than input + output
    chain = spec(text.replace("from: [a, b]", "from: [b, b]"))
    assert chain.totals.peak_activation_bytes == 2 * 1024


def test_inplace_relu_on_a_tensor_read_twice_allocates() -> None:
    text = """
input: 8x8x4
layers:
  - {kind: conv, filters: 4, kernel: 1, id: a}
  - {kind: relu, id: r}
  - {kind: add, from: [a, r]}
"""
    r = spec(text)
    assert r.rows[2].activation_elements == 256  # relu cannot overwrite a, the add still reads it


def test_concat_and_multiply() -> None:
    text = """
input: 28x28x192
layers:
  - {kind: conv, id: b1, from: input, filters: 64, kernel: 1}
  - {kind: conv, id: b2, from: input, filters: 128, kernel: 3, padding: 1}
  - {kind: max_pool, id: b3, from: input, kernel: 3, stride: 1, padding: 1}
  - {kind: concat, from: [b1, b2, b3]}
  - {kind: conv, id: h, filters: 16, kernel: 1, activation: relu}
  - {kind: conv, id: t, from: h, filters: 16, kernel: 1, activation: sigmoid}
  - {kind: multiply, from: [h, t]}
"""
    r = spec(text)
    assert r.rows[4].output_shape == (64 + 128 + 192, 28, 28)
    assert r.rows[-1].output_shape == (16, 28, 28)
    assert r.rows[-1].flops == 16 * 28 * 28  # one multiply per element


def test_shared_weights_count_params_once() -> None:
    text = """
input: 32x32x3
blocks:
  tower:
    layers:
      - {kind: conv, filters: 8, kernel: 3}
      - {kind: max_pool}
      - {kind: dense, units: 10}
layers:
  - {block: tower, name: a, from: input}
  - {block: tower, name: b, from: input, shares: a}
  - {kind: concat, from: [a, b]}
  - {kind: conv, name: solo, from: input, filters: 8, kernel: 3}
  - {kind: conv, name: twin, from: input, filters: 8, kernel: 3, shares: solo}
"""
    r = spec(text)
    tower_params = (3 * 9 * 8 + 8) + (15 * 15 * 8 * 10 + 10)
    assert r.totals.params == tower_params + (3 * 9 * 8 + 8)
    by_name = {row.name: row for row in r.rows}
    assert by_name["b.conv1"].params == 0 and by_name["b.conv1"].shared_with == "a.conv1"
    assert by_name["b.conv1"].macs == by_name["a.conv1"].macs
    assert by_name["twin"].shared_with == "solo"


def test_a_shared_batch_norm_counts_its_running_stats_once_under_keras_bn() -> None:
    """Keras counts moving mean and variance as non-trainable params: 2 x 8 for a BN of 8 channels,
    once for the layer that owns them, never again for a layer that shares them."""
    text = """
input: 8x8x3
layers:
  - {kind: conv, id: c, filters: 8, kernel: 3, padding: 1}
  - {kind: batch_norm, id: bn, name: bn}
  - {kind: batch_norm, name: bn_again, from: c, shares: bn}
  - {kind: add, from: [bn, bn_again]}
"""
    r = analyze(load_spec_text(text), Conventions(bn_running_stats=True))
    by_name = {row.name: row for row in r.rows}
    assert by_name["bn"].non_trainable_params == 2 * 8 and by_name["bn"].params == 4 * 8
    assert by_name["bn_again"].non_trainable_params == 0 and by_name["bn_again"].params == 0
    assert r.totals.params == (3 * 9 * 8 + 8) + 4 * 8
    assert r.totals.non_trainable_params == 2 * 8


def test_sharing_weights_of_a_different_shape_is_an_error() -> None:
    text = """
input: 32x32x3
layers:
  - {kind: conv, name: one, filters: 8, kernel: 3}
  - {kind: conv, name: two, filters: 8, kernel: 5, shares: one}
"""
    with pytest.raises(ShapeError, match="shares the weights of 'one', but their weights differ") as e:
        spec(text)
    assert "<string>:5:" in str(e.value)  # the line of layer 'two'


def test_encoder_decoder_with_upsample_and_transposed_conv() -> None:
    text = """
input: 64x64x3
layers:
  - {kind: conv, id: e1, filters: 16, kernel: 3, padding: 1}
  - {kind: max_pool}
  - {kind: conv, filters: 32, kernel: 3, padding: 1}
  - {kind: conv_transpose, filters: 16, kernel: 2, stride: 2, id: d1}
  - {kind: concat, from: [d1, e1]}
  - {kind: upsample, scale: 2, mode: bilinear}
  - {kind: conv, filters: 2, kernel: 1}
"""
    r = spec(text)
    assert r.rows[4].output_shape == (16, 64, 64)
    assert r.rows[4].params == 32 * 16 * 4 + 16  # ConvTranspose2d(32, 16, 2) weights + bias
    assert r.rows[6].output_shape == (32, 128, 128)
    assert r.rows[6].receptive_field is None  # upsampling ends the input-window arithmetic


# --- receptive fields -------------------------------------------------------------------------------


def test_receptive_field_of_vgg16_matches_distill() -> None:
    # Araujo, Norris & Sim (Distill 2019), table of receptive fields: vgg_16 -> size 212,
    # effective stride 32, effective padding 90 (at pool5, the last layer before the classifier).
    # By hand: 13 convs 3x3 and 5 pools 2x2: 1 + 2*(2*1 + 2*2 + 3*4 + 3*8 + 3*16) + (1 + 2 + 4 + 8 + 16) = 212
    r = analyze(load_spec("vgg16"))
    pool5 = next(row for row in r.rows if row.name == "pool5").receptive_field
    assert pool5 is not None
    assert pool5.size == (212, 212) and pool5.jump == (32, 32)
    # effective padding P = (size - 1) / 2 - start (Distill's relation between centre and padding)
    assert [(s - 1) / 2 - float(u) for s, u in zip(pool5.size, pool5.start, strict=True)] == [90.0, 90.0]
    fc = next(row for row in r.rows if row.name == "fc6")
    assert fc.receptive_field is None


def test_receptive_field_with_dilation_and_merge() -> None:
    text = """
input: 64x64x1
layers:
  - {kind: conv, id: a, filters: 1, kernel: 3, padding: 1}
  - {kind: conv, id: b, from: input, filters: 1, kernel: 3, dilation: 4, padding: 4}
  - {kind: add, from: [a, b]}
  - {kind: conv, filters: 1, kernel: 3, stride: 2, padding: 1}
"""
    r = spec(text)
    assert r.rows[1].receptive_field.size == (3, 3)  # type: ignore[union-attr]
    assert r.rows[2].receptive_field.size == (9, 9)  # type: ignore[union-attr]  # 1 + 4*(3-1)
    assert r.rows[3].receptive_field.size == (9, 9)  # type: ignore[union-attr]  # largest over paths
    assert r.rows[4].receptive_field.size == (11, 11)  # type: ignore[union-attr]  # 9 + 2*1


# --- errors, each with its place ----------------------------------------------------------------------

HEAD = "input: 56x56x64\nlayers:\n"
BAD_GRAPHS = [
    (
        HEAD + "  - {kind: conv, id: a, filters: 256, kernel: 1}\n  - {kind: add, from: [a, input]}\n",
        "<string>:4:23: error: layer 'add1' (add) on input 56x56x256, 56x56x64: add of shapes (56, 56, 256) and "
        "(56, 56, 64): they must match\n  hint: give the shortcut from 'input' a 1x1 conv with 256 filters",
    ),
    (
        HEAD + "  - {kind: conv, id: a, filters: 256, kernel: 1, stride: 2}\n  - {kind: add, from: [a, input]}\n",
        "hint: give the shortcut from 'input' a 1x1 conv with 256 filters, stride 2",
    ),
    (  # the shortcut listed first: the fix is still for the shortcut, with the main path's channels
        HEAD + "  - {kind: conv, id: a, filters: 256, kernel: 1, stride: 2}\n  - {kind: add, from: [input, a]}\n",
        "(28, 28, 256): they must match\n  hint: give the shortcut from 'input' a 1x1 conv with 256 filters, stride 2",
    ),
    (  # of two layers, the earlier one skips the others
        HEAD + "  - {kind: conv, id: a, filters: 16, kernel: 1}\n  - {kind: conv, id: b, filters: 32, kernel: 3, "
        "padding: 1}\n  - {kind: conv, id: c, filters: 32, kernel: 3, padding: 1}\n  - {kind: add, from: [a, c]}\n",
        "hint: give the shortcut from 'conv1' a 1x1 conv with 32 filters",
    ),
    (
        HEAD + "  - {kind: conv, id: a, filters: 8, kernel: 3}\n  - {kind: concat, from: [a, input]}\n",
        "concat of shapes (54, 54, 8) and (56, 56, 64): all but the channels must match",
    ),
    (HEAD + "  - {kind: relu, from: nowhere}\n", "<string>:3:24: error: unknown layer 'nowhere' in from/shares"),
    (
        HEAD + "  - {kind: conv, id: conv_a, filters: 8, kernel: 1}\n  - {kind: relu, from: conv_b}\n",
        "(did you mean 'conv_a'?)",
    ),
    (
        HEAD + "  - {kind: relu, id: a, from: b}\n  - {kind: relu, id: b, from: a}\n",
        "<string>:3:31: error: the layers relu1 -> relu2 form a cycle",
    ),
    (HEAD + "  - {kind: relu, id: a, from: a}\n", "<string>:3:31: error: the layers relu1 form a cycle"),
    (HEAD + "  - {kind: relu, id: r}\n  - {kind: add, id: a, from: [r, a]}\n", "the layers add1 form a cycle"),
    (HEAD + "  - {kind: relu, id: a}\n  - {kind: relu, id: a}\n", "<string>:4:22: error: id 'a' is defined twice"),
    (HEAD + "  - {kind: relu, from: [input, input]}\n", "relu reads one input, got 2"),
    (HEAD + "  - {block: nothing}\n", "<string>:3:13: error: unknown block 'nothing'"),
    (
        "input: 8x8x3\nblocks:\n  b: {args: {f: null}, layers: [{kind: conv, filters: $f, kernel: 1}]}\n"
        "layers:\n  - {block: b}\n",
        "<string>:5:5: error: block 'b' needs argument(s) f",
    ),
    (
        "input: 8x8x3\nblocks:\n  b: {args: {f: 8}, layers: [{kind: conv, filters: $f, kernel: 1}]}\n"
        "layers:\n  - {block: b, args: {g: 3}}\n",
        "<string>:5:23: error: block 'b' has no argument 'g'",
    ),
    (
        "input: 8x8x3\nblocks:\n  b: {args: {f: 8}, layers: [{kind: conv, filters: $ff, kernel: 1}]}\n"
        "layers:\n  - {block: b}\n",
        "<string>:3:52: error: unknown block argument '$ff' (did you mean '$f'?)",
    ),
    (
        "input: 8x8x3\nblocks:\n  b: {layers: [{block: c}]}\n  c: {layers: [{block: b}]}\nlayers:\n  - {block: b}\n",
        "error: block 'b' calls itself: b -> c -> b",
    ),
    (
        "input: 8x8x3\nblocks:\n  b: {args: {f: 8}, layers: [{kind: conv, filters: '${f ** 99}', kernel: 1}]}\n"
        "layers:\n  - {block: b}\n",
        "in '${f ** 99}': '**' is not allowed in a block expression",
    ),
    (
        "input: 8x8x3\nblocks:\n  b: {args: {f: 8}, layers: [{kind: conv, filtres: $f, kernel: 1}]}\n"
        "layers:\n  - {block: b}\n",
        "<string>:3:43: error: unknown key 'filtres' in conv layer #1 of block 'b' (did you mean 'filters'?)",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_GRAPHS)
def test_graph_errors_are_located(text: str, message: str) -> None:
    with pytest.raises((SpecError, ShapeError)) as e:
        spec(text)
    assert message in str(e.value)


# --- order independence --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    branches=st.lists(st.tuples(st.integers(1, 3), st.sampled_from([1, 3, 5])), min_size=2, max_size=4),
    residual=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_totals_do_not_depend_on_the_order_of_the_file(
    branches: list[tuple[int, int]], residual: bool, seed: int
) -> None:
    # branches of `depth` convs with kernel k, 'same' padding, merged by concat (or add), in any order
    lines = []
    for n, (depth, k) in enumerate(branches):
        source = "input"
        for d in range(depth):
            lines.append(f"  - {{kind: conv, id: b{n}_{d}, from: {source}, filters: 4, kernel: {k}, padding: same}}")
            source = f"b{n}_{d}"
    tips = [f"b{n}_{depth - 1}" for n, (depth, _) in enumerate(branches)]
    merge = "add" if residual else "concat"
    lines.append(f"  - {{kind: {merge}, id: out, from: [{', '.join(tips)}]}}")
    shuffled = lines[:]
    random.Random(seed).shuffle(shuffled)
    a = spec("input: 16x16x4\nlayers:\n" + "\n".join(lines) + "\n")
    b = spec("input: 16x16x4\nlayers:\n" + "\n".join(shuffled) + "\n")
    for field in ("params", "macs", "flops", "activation_bytes"):
        assert getattr(a.totals, field) == getattr(b.totals, field)
    assert {row.name: row.output_shape for row in a.rows} == {row.name: row.output_shape for row in b.rows}


# Araujo, Norris & Sim, Distill 2019, and the table of its library (google-research/receptive_field):
# network, end-point, receptive field, effective stride, effective padding (None: not compared, see note)
DISTILL = [
    ("alexnet", "pool5", 195, 32, 64),  # alexnet_v2: same window geometry as Caffe's AlexNet
    ("vgg16", "pool5", 212, 32, 90),
    ("inception-v3", "Mixed_7c.cat", 1311, 32, 618),
    # mobilenet_v1 315 / 32 / 126: TF-slim pads 'SAME' (0 before, 1 after at stride 2) where
    # torchvision-style specs pad 1 on both sides: same size and stride, different padding
    ("mobilenet-v1", "block13.pw_relu", 315, 32, None),
    # resnet_v1_50 483 / 32 / 239: TF-slim's max pool pads 0 before, 1 after (see test_resnets.py)
    ("resnet50-v1", "layer4.2.relu3", 483, 32, None),
]


@pytest.mark.parametrize(("net", "end", "size", "jump", "padding"), DISTILL, ids=[d[0] for d in DISTILL])
def test_receptive_fields_of_the_distill_table(net: str, end: str, size: int, jump: int, padding: int | None) -> None:
    r = analyze(load_spec(net))
    field = next(row for row in r.rows if row.name == end).receptive_field
    assert field is not None
    assert field.size == (size, size) and field.jump == (jump, jump)
    if padding is not None:
        assert [(s - 1) / 2 - float(u) for s, u in zip(field.size, field.start, strict=True)] == [padding] * 2


def test_nodes_and_rows_are_whole_records() -> None:
    """Nodes and rows are made from plain tuples on the hot path: each must hold every field."""
    from cnncalc.core.graph import Node, build_graph
    from cnncalc.core.report import LayerRow

    spec = load_spec("siamese")  # shared weights, merges, blocks
    nodes = build_graph(spec).nodes
    assert nodes and all(len(node) == len(Node._fields) for node in nodes)
    rows = analyze(spec).rows
    assert all(len(row) == len(LayerRow._fields) for row in rows)
    assert any(row.shared_with for row in rows) and any(len(row.inputs) > 1 for row in rows)
