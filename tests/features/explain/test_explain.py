"""`cnncalc explain`: every number step by step, from the same layer rules as `summarize`.

The consistency test walks every row of every bundled network: each step's expression
evaluates (exactly) to the step's value, and that value is the Report's number. The worked
examples come from the lecture material (shared/seeds, cited by file and slide text); none
was copied from cnncalc's output.

Seed files: 000 = 000_1bdf8c8016dfdb38.txt, 001 = 001_48a3e38ba1e756c3.txt,
002 = 002_301dfe024320ff9c.txt, 004 = 004_3c0cc2c179176623.txt.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from math import prod

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.algebra import ExprError, evaluate, to_latex
from cnncalc.core.conventions import Conventions
from cnncalc.features.explain.explanation import Explanation, LayerExplanation, explain, select, to_json
from cnncalc.features.explain.output import explanation_markdown as to_markdown
from cnncalc.layers import layer_classes
from cnncalc.layers.base import LayerBase, Step
from cnncalc.layers.conv import Conv
from cnncalc.spec import bundled_names, load_spec, load_spec_text
from cnncalc.spec.dsl import load_dsl

#: every layer kind once, with dilation, groups, 'same', ceil mode, an asymmetric pad and merges
ALL_KINDS = """
input: 37x37x6
layers:
  - {kind: conv, filters: 12, kernel: 3, groups: 3, padding: [[0, 1], [1, 0]], id: a}
  - {kind: conv, filters: 12, kernel: 3, dilation: 2, padding: same}
  - {kind: depthwise_conv, kernel: 3, multiplier: 2, stride: 2, padding: same}
  - {kind: separable_conv, filters: 16, kernel: 3, padding: 1}
  - {kind: max_pool, kernel: 3, stride: 2, ceil_mode: true}
  - {kind: avg_pool, kernel: 2, stride: 1}
  - {kind: batch_norm}
  - {kind: relu}
  - {kind: dropout}
  - {kind: lrn}
  - {kind: conv_transpose, filters: 8, kernel: 4, stride: 2, padding: 1}
  - {kind: locally_connected, filters: 4, kernel: 3}
  - {kind: upsample, scale: 2, id: up}
  - {kind: conv, filters: 4, kernel: 1, id: side}
  - {kind: add, from: [up, side]}
  - {kind: concat, from: [up, side]}
  - {kind: global_avg_pool}
  - {kind: flatten}
  - {kind: dense, units: 10}
"""


#: the kinds and variants ALL_KINDS leaves out: every activation, the other pools, a multiply,
#: bilinear upsampling, fused activations on conv and dense, a 1-D map
MORE_KINDS = """
input: 16x16x4
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: 1, activation: gelu, id: a}
  - {kind: sum_pool, kernel: 2, id: s}
  - {kind: l2_pool, kernel: 3, stride: 1, padding: 1, from: s, id: l}
  - {kind: multiply, from: [s, l, s]}
  - {kind: upsample, scale: [2, 3], mode: bilinear}
  - {kind: relu6}
  - {kind: gelu}
  - {kind: leaky_relu}
  - {kind: elu}
  - {kind: selu}
  - {kind: sigmoid}
  - {kind: tanh}
  - {kind: swish}
  - {kind: hard_swish}
  - {kind: hard_sigmoid}
  - {kind: softplus}
  - {kind: softmax}
  - {kind: layer_norm}
  - {kind: scale, op: multiply, value: 0.5}
  - {kind: channel_shuffle, groups: 2}
  - {kind: channel_slice, start: 0, stop: 4}
  - {kind: normalize}
  - {kind: crop, crop: 1}
  - {kind: pad, padding: [[0, 1], [2, 0]]}
  - {kind: global_max_pool}
  - {kind: unflatten}
  - {kind: dense, units: 10, activation: softmax, bias: false}
  - {kind: dense, units: 4, activation: linear}
"""

#: the variants of the importers' kinds MORE_KINDS leaves out: a learned scale, a normalization
#: that keeps its statistics as weights
IMPORTED_VARIANTS = """
input: 12x12x8
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: 1}
  - {kind: scale, learned: true}
  - {kind: normalize, stored: true}
"""


@cache
def explained(name: str, bias: bool = True, keras_bn: bool = False) -> Explanation:
    return explain(load_spec(name), Conventions(bias=bias, bn_running_stats=keras_bn))


def check_layer(layer: LayerExplanation, dtype_bytes: int, batch: int) -> None:
    """Every step of a row evaluates to its value, and the value is the row's number."""
    row = layer.row
    expected = {
        "params": row.params,
        "weights": row.weights,
        "biases": row.biases,
        "non_trainable": row.non_trainable_params,
        "macs": row.macs,
        "flops": row.flops,
        "activations": prod(row.output_shape),
        "memory": row.activation_bytes,
        "inputs": prod(row.input_shape),
    }
    axes: set[int] = set()
    for step in layer.steps:
        assert evaluate(step.expression) == step.value, (row.name, step)
        if step.field == "output":
            assert step.axis is not None
            assert step.value == row.output_shape[step.axis], (row.name, step)
            axes.add(step.axis)
        else:
            assert step.value == expected[step.field], (row.name, step, expected[step.field])
    fields = {s.field for s in layer.steps}
    assert axes == set(range(len(row.output_shape))), (row.name, axes)
    assert {"params", "activations", "memory"} <= fields, row.name
    if row.kind != "input":
        assert {"macs", "flops"} <= fields, row.name
    if not row.inplace:
        assert row.activation_elements == prod(row.output_shape)
        assert row.activation_bytes == prod(row.output_shape) * dtype_bytes * batch


def check(explanation: Explanation) -> None:
    report = explanation.report
    assert len(explanation.layers) == len(report.rows)
    for layer in explanation.layers:
        check_layer(layer, report.dtype_bytes, report.batch)
    totals = {s.field: s for s in explanation.totals}
    t = report.totals
    want = {
        "params": t.params,
        "macs": t.macs,
        "flops": t.flops,
        "activations": t.activation_elements,
        "memory": t.activation_bytes,
        "param_memory": t.param_bytes,
    }
    conv = sum(r.params for r in report.rows if r.kind in ("conv", "depthwise_conv", "separable_conv",
                                                          "conv_transpose", "locally_connected"))  # fmt: skip
    dense = sum(r.params for r in report.rows if r.kind == "dense")
    if conv and dense:
        want |= {"conv_params": conv, "dense_params": dense}
    assert set(totals) == set(want)
    for name, value in want.items():
        assert totals[name].value == value
        assert evaluate(totals[name].expression) == value, totals[name]


@pytest.mark.parametrize("name", bundled_names())
def test_every_step_of_every_bundled_network_gives_the_reports_number(name: str) -> None:
    check(explained(name))


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "mobilenet-v2", "googlenet"])
def test_steps_agree_under_other_conventions(name: str) -> None:
    check(explained(name, bias=False, keras_bn=True))
    spec = load_spec(name).model_copy(update={"batch": 3, "dtype": "float16"})
    check(explain(spec))


def test_every_layer_kind_is_explained_with_a_formula() -> None:
    explanation = explain(load_spec_text(ALL_KINDS))
    check(explanation)
    for layer in explanation.layers[1:]:
        params = layer.step("params")
        assert params is not None
        assert params.formula != "rule of the layer", layer.row.kind  # not the generic fallback


def test_every_kind_explains_its_flops_by_its_own_rule() -> None:
    kinds: set[str] = set()
    for text_ in (ALL_KINDS, MORE_KINDS, IMPORTED_VARIANTS):
        explanation = explain(load_spec_text(text_))
        check(explanation)  # every FLOPs step evaluates to the Report's per-layer FLOPs
        for layer in explanation.layers[1:]:
            flops = layer.step("flops")
            assert flops is not None and flops.formula != "rule of the layer", layer.row.kind
            kinds.add(layer.row.kind)
    registered = {kind for cls in layer_classes() for kind in cls.kinds()}
    assert registered <= kinds, registered - kinds
    # and under other conventions: no bias, a batch of 3
    spec = load_spec_text(MORE_KINDS).model_copy(update={"batch": 3})
    check(explain(spec, Conventions(bias=False)))


def test_flops_by_the_counting_rule_worked_by_hand() -> None:
    # docs/counting.md: FLOPs = 2 x MACs + one add per bias + the element-wise work
    layers = explain(load_dsl("32x32x3 | conv5-8 p=0 act=relu | maxpool2 | fc-10 | softmax")).layers
    conv, pool, fc, softmax = (layer.step("flops") for layer in layers[1:])
    assert conv is not None and pool is not None and fc is not None and softmax is not None
    # 28*28*8 = 6272 outputs, 5*5*3 = 75 MACs each: 2*470400 + 6272 bias adds + 6272 ReLUs
    assert conv.value == 953_344 and conv.expression == "2*470400 + 28*28*8 + 1*28*28*8"
    assert "relu: 1 FLOP per output value" in conv.note
    # max of 4 values: 3 comparisons, for 14*14*8 outputs
    assert pool.value == 4_704 and pool.expression == "(2*2 - 1)*14*14*8"
    # 1568 inputs x 10 units, 10 bias adds
    assert fc.value == 2 * 15_680 + 10 and fc.formula == "2*macs + c"
    assert softmax.value == 30 and softmax.expression == "3*10"


def test_softmax_says_it_normalises_over_all_values() -> None:
    layer = explain(load_dsl("84 | fc-10 | softmax")).layers[2]
    output = next(s for s in layer.steps if s.field == "output")
    assert "normalises over all 10 values" in output.note and "exp(x_i)/sum_j exp(x_j)" in output.note
    assert "on its own" not in output.note
    relu = explain(load_dsl("84 | relu")).layers[1]
    assert "applied to each value on its own" in relu.steps[0].note


def test_flops_are_shown_in_text_markdown_and_json() -> None:
    result = runner.invoke(app, ["explain", "lenet5", "--layer", "FC3"])
    assert result.exit_code == 0, result.output
    # 001: FC3 has 400 inputs and 120 units (+relu in the bundled spec)
    flops = next(s for s in explained("lenet5").layers if s.row.name == "FC3").step("flops")
    assert flops is not None
    assert "FLOPs" in result.stdout and f"{flops.expression} = {flops.value:,}" in result.stdout
    markdown = to_markdown(select(explained("lenet5"), "FC3"))
    assert "- **FLOPs**: `2*macs + c" in markdown
    data = to_json(explained("lenet5"))
    fc3 = next(layer for layer in data["layers"] if layer["name"] == "FC3")
    assert any(s["field"] == "flops" and s["value"] == flops.value for s in fc3["steps"])
    assert any(s["field"] == "flops" for s in data["totals"])


def steps(layer: LayerExplanation) -> dict[str, Step]:
    return {s.quantity: s for s in layer.steps}


def text(step: Step) -> str:
    return f"{step.expression} = {step.value}"


def test_the_lectures_worked_examples() -> None:
    # 002 slide 83-85: 32x32x3, 10 5x5 filters, stride 1, pad 2: (32+2*2-5)/1+1 = 32; 76 x 10 = 760
    layer = explain(load_dsl("32x32x3 | conv5-10 p=2")).layers[1]
    assert text(steps(layer)["output H"]) == "(32 + 2*2 - 5)/1 + 1 = 32"
    assert steps(layer)["params"].value == 760
    assert text(steps(layer)["params"]) == "((5*5*3)+1)*10 = 760"
    # 001 "CNN-Example to calculate parameters": ((5*5*3)+1)*8 = 608, (((5*5*8)+1)*16) = 3216,
    # FC3 120*400+1*120 = 48120, FC4 84*120+1*84 = 10164, Softmax 10*84+1*10 = 850
    lenet = {layer.row.name: layer for layer in explained("lenet5").layers}
    assert text(steps(lenet["CONV1"])["params"]) == "((5*5*3)+1)*8 = 608"
    assert text(steps(lenet["CONV2"])["params"]) == "((5*5*8)+1)*16 = 3216"
    assert text(steps(lenet["FC3"])["params"]) == "(400*120)+120 = 48120"
    assert text(steps(lenet["FC4"])["params"]) == "(120*84)+84 = 10164"
    assert text(steps(lenet["Softmax"])["params"]) == "(84*10)+10 = 850"
    assert text(steps(lenet["FC3"])["inputs p"]) == "5*5*16 = 400"
    # 001: "POOL layer ... no learnable parameters"
    assert "no parameters to learn" in steps(lenet["POOL1"])["params"].note
    # 002 slides 101-106: (227-11)/4+1 = 55; POOL1 (55-3)/2+1 = 27, "Parameters: 0!"
    alexnet = {layer.row.name: layer for layer in explained("alexnet-cs231n").layers}
    assert text(steps(alexnet["CONV1"])["output H"]) == "(227 - 11)/4 + 1 = 55"
    assert text(steps(alexnet["POOL1"])["output W"]) == "(55 - 3)/2 + 1 = 27"
    assert steps(alexnet["POOL1"])["params"].value == 0
    # 004: "[5x5x48]x256 = 307K" for AlexNet's grouped conv2 (two groups of 128 filters on 96 channels)
    conv2 = next(layer for layer in explained("alexnet").layers if layer.row.name == "conv2")
    assert text(steps(conv2)["weights"]) == "5*5*(96/2)*256 = 307200"
    assert steps(conv2)["params"].formula == "((f*f*(c_in/g))+1)*k"
    assert "2 groups of 128 filters" in steps(conv2)["params"].note


def test_a_stride_that_does_not_tile_shows_the_floor_and_the_dropped_pixels() -> None:
    # 002 slide 74-75: 7x7 input, 3x3 filter, stride 3: "(7 - 3)/3 + 1 = 2.33 ... doesn't fit!"
    layer = explain(load_dsl("7x7x1 | conv3-1 s=3 p=0")).layers[1]
    step = steps(layer)["output H"]
    assert step.formula == "floor((n - f)/s) + 1"
    assert text(step) == "floor((7 - 3)/3) + 1 = 2"
    assert "1.33" in step.note and "the last 1 pixel(s) of H are never used" in step.note
    # 000 exercise, 'valid': the 61x61 map before the second pool loses a row and a column
    pool2 = next(layer for layer in explained("exercise-valid").layers if layer.row.name == "pool2")
    assert text(steps(pool2)["output H"]) == "floor((61 - 2)/2) + 1 = 30"


def test_totals_are_the_sums_they_are() -> None:
    totals = {s.field: s for s in explained("lenet5").totals}
    # 001: 608 + 3216 + 48120 + 10164 + 850
    assert totals["params"].expression == "608 + 3216 + 48120 + 10164 + 850"
    assert totals["params"].value == 62958
    # 001's activation sizes: 3072 + 6272 + 1568 + 1600 + 400 + 120 + 84 + 10
    assert totals["activations"].expression == "3072 + 6272 + 1568 + 1600 + 400 + 120 + 84 + 10"
    assert totals["memory"].value == 4 * 13126


def test_shared_weights_count_once_and_say_where() -> None:
    layers = explained("siamese").layers
    shared = [layer for layer in layers if layer.row.shared_with]
    assert shared
    for layer in shared:
        params = steps(layer)["params"]
        assert params.value == 0 and f"shares the weights of {layer.row.shared_with}" in params.note


def test_the_expression_language_is_exact_and_closed() -> None:
    assert evaluate("floor((7 - 3)/3) + 1") == 2
    assert evaluate("ceil((61 - 2)/2) + 1") == 31
    assert evaluate("(4/3)*3") == 4  # exact, no float rounding
    for bad in ("__import__('os')", "2**1000", "x + 1", "[1, 2]", "9" * 300, "1/0", "(" * 200 + "1" + ")" * 200):
        with pytest.raises(ExprError):
            evaluate(bad)
    assert to_latex("((f*f*c_in)+1)*k") == r"\left(f \cdot f \cdot c_{in} + 1\right) \cdot k"
    assert to_latex("(32 + 2*2 - 5)/1 + 1") == r"\frac{32 + 2 \times 2 - 5}{1} + 1"


def test_markdown_for_a_homework_and_latex() -> None:
    markdown = to_markdown(explained("exercise-valid"))
    # 000 exercise, valid convolutions: conv1 (3*3*3+1)*32 = 896; fc 30*30*32*128 + 128 = 3,686,528
    assert "- **params**: `((f*f*c_in)+1)*k = ((3*3*3)+1)*32 = 896`" in markdown
    assert "`(p*c)+c = (28800*128)+128 = 3,686,528`" in markdown
    assert "### Totals" in markdown and "3,697,962" in markdown
    # 000: "the total number of parameters in the convolutional layers, the fully connected layer"
    assert "- **params of the conv layers**: `sum of the layers' params = 896 + 9248 = 10,144`" in markdown
    assert "- **params of the dense layers**: `sum of the layers' params = 3686528 + 1290 = 3,687,818`" in markdown
    latex = to_markdown(explained("exercise-valid"), latex=True)
    assert r"$\left\lfloor \frac{61 - 2}{2} \right\rfloor + 1 = 30$" not in latex  # formula first
    assert (
        r"\left\lfloor \frac{n - f}{s} \right\rfloor + 1 = \left\lfloor \frac{61 - 2}{2} \right\rfloor + 1 = 30"
        in latex
    )


def test_json_carries_every_step() -> None:
    data = to_json(explained("lenet5"))
    assert data["schema_version"] == 1
    conv1 = next(layer for layer in data["layers"] if layer["name"] == "CONV1")
    params = next(s for s in conv1["steps"] if s["field"] == "params")
    assert params["value"] == 608 and params["expression"] == "((5*5*3)+1)*8"
    assert params["latex"].endswith("= 608")
    assert {s["field"] for s in data["totals"]} >= {"params", "macs"}


def test_select_a_layer_or_a_block() -> None:
    one = select(explained("lenet5"), "conv2")  # any case
    assert [layer.row.name for layer in one.layers] == ["CONV2"]
    block = select(explained("googlenet"), "inception_3a")
    assert len(block.layers) == 8
    # 002 GoogLeNet table, inception (3a): 159K params (K = 1024) is 163,696 = the sum of its convs
    params = next(s for s in block.totals if s.field == "params")
    assert evaluate(params.expression) == params.value == 163696


runner = CliRunner()


def test_cli_text_markdown_json_and_layer() -> None:
    result = runner.invoke(app, ["explain", "lenet5"])
    assert result.exit_code == 0, result.output
    assert "((f*f*c_in)+1)*k = ((5*5*3)+1)*8 = 608" in result.stdout
    result = runner.invoke(app, ["explain", "exercise-valid", "--format", "markdown"])
    assert result.exit_code == 0 and result.stdout.startswith("## exercise-valid: every number, step by step")
    result = runner.invoke(app, ["explain", "alexnet", "--layer", "conv2", "--format", "markdown", "--latex"])
    assert result.exit_code == 0 and r"\frac" in result.stdout and "### 4. conv2" in result.stdout
    result = runner.invoke(app, ["explain", "--dsl", "32x32x3 | conv5-10 p=2", "-f", "json"])
    assert json.loads(result.stdout)["layers"][1]["steps"][0]["value"] == 32
    result = runner.invoke(app, ["explain", "lenet5", "--no-bias", "--layer", "FC3"])
    assert "p*c = 400*120 = 48,000" in result.stdout


def test_cli_errors() -> None:
    result = runner.invoke(app, ["explain", "lenet5", "--layer", "CONV9"])
    assert result.exit_code == 2
    assert "no layer or block named 'CONV9'" in result.stderr and "did you mean" in result.stderr
    result = runner.invoke(app, ["explain", "--dsl", "32x32x3 | conv5-8 | maxpol"])
    assert result.exit_code == 2 and "error:" in result.stderr


def test_explain_does_not_import_numpy() -> None:
    code = (
        "import sys, runpy; sys.argv = ['cnncalc', 'explain', 'vgg16', '-f', 'json'];\n"
        "try:\n    runpy.run_module('cnncalc', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "assert 'numpy' not in sys.modules, 'numpy imported by explain'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_fallback_states_the_numbers_of_a_kind_without_formulas() -> None:
    # a kind added later without its own explain is still explained, by the numbers of its rule
    conv = Conv(kind="conv", filters=8, kernel=5)
    fallback = LayerBase.explain(conv, (3, 32, 32), Conventions())
    got = [(s.field, s.axis, s.value) for s in fallback]
    assert got == [
        ("output", 0, 8),
        ("output", 1, 28),
        ("output", 2, 28),
        ("params", None, 608),
        ("macs", None, 470400),
        ("flops", None, 2 * 470400 + 28 * 28 * 8),
    ]


def test_a_long_network_is_explained_with_its_totals_in_latex() -> None:
    """The totals of a long network are sums of thousands of terms: written as LaTeX without
    walking the sum recursively (a 3,000-layer chain ended in "the input nests too deeply")."""
    terms = " + ".join(["5"] * 2500)
    assert to_latex(terms) == " + ".join(["5"] * 2500)
    assert to_latex("a - b - (c - d) + 2*3*p") == "a - b - \\left(c - d\\right) + 2 \\times 3 \\cdot p"
    layers = "".join("  - {kind: conv, filters: 4, kernel: 3, padding: same}\n  - {kind: relu}\n" for _ in range(1500))
    explanation = explain(load_spec_text(f"input: 8x8x4\nlayers:\n{layers}"), Conventions())
    document = to_json(explanation)
    assert len(document["layers"]) == 3001
    params = next(step for step in document["totals"] if step["field"] == "params")
    assert params["value"] == 1500 * (3 * 3 * 4 * 4 + 4)
    assert params["latex"].endswith(" = " + " + ".join(["148"] * 1500) + " = 222000")
