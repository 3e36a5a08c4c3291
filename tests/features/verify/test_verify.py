"""`cnncalc verify`: every bundled network passes, a broken number fails, memory is guarded.

The big networks run at a reduced input (the smallest their fixed-size layers allow, or
32x32), batch 1, to keep the suite fast; full-size VGG-16 is timed in
benchmarks/bench_verify.py, never here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from cnncalc import CnncalcError, analyze, load_spec, load_spec_text
from cnncalc.cli import app
from cnncalc.cli.verify import LazyProgress
from cnncalc.features.verify import run as verify_module
from cnncalc.features.verify.run import MemoryBudgetError, parse_size, predict_memory, verify
from cnncalc.layers import LAYER_CLASSES
from cnncalc.numeric.executor import execute
from cnncalc.spec import bundled_names
from cnncalc.spec.dsl import load_dsl

#: inputs that keep the suite fast: the smallest size each network's fixed layers allow
#: (GoogLeNet's 7x7 average pool, MobileNet's 7x7 pool, Inception v3's 75x75 minimum), else
#: 32x32. Networks not listed (small ones, and those whose dense layers fix the input) run as
#: bundled.
REDUCED_INPUT = {
    "alexnet": "67x67x3",
    "alexnet-cs231n": "67x67x3",
    "densenet121": "32x32x3",
    "encoder-decoder": "32x32x3",
    "googlenet-torchvision": "32x32x3",
    "inception-v3": "75x75x3",
    "mobilenet-v1": "193x193x3",
    "mobilenet-v2": "32x32x3",
    "plain34": "32x32x3",
    "resnet18": "32x32x3",
    "resnet34": "32x32x3",
    "resnet50": "32x32x3",
    "resnet50-v1": "32x32x3",
    "resnet101": "32x32x3",
    "resnet152": "32x32x3",
    "resnet152-v1": "32x32x3",
    "squeezenet1_0": "32x32x3",
    "vgg11": "32x32x3",
    "vgg11-lrn": "32x32x3",
    "vgg13": "32x32x3",
    "vgg16": "32x32x3",
    "vgg16-c": "32x32x3",
    "vgg19": "32x32x3",
    "zfnet": "63x63x3",
}

EVERY_KIND = (
    "24x20x4 | conv3-8 s=2 p=0/1x1/0 act=relu | dwconv3 m=2 d=2 | sepconv3-8 | deconv4-6 s=2 | "
    "lc3-4 p=1 | bn | lrn3 | maxpool3/2 p=1 ceil | avgpool2 ceil | sumpool1 | l2pool1 | leakyrelu | "
    "elu | gelu | selu | sigmoid | tanh | swish | hardswish | hardsigmoid | softplus | relu6 | "
    "dropout | flatten | fc-10 act=softmax"
)


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["verify", *args])


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_network_verifies(runner: CliRunner, name: str) -> None:
    extra = ["--input", REDUCED_INPUT[name]] if name in REDUCED_INPUT else []
    result = run(runner, name, *extra, "--batch", "1", "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["mismatches"] == []
    assert data["peak_activation_bytes"]["measured"] == data["peak_activation_bytes"]["symbolic"]
    assert sum(layer["macs"]["measured"] for layer in data["layers"]) == data["totals"]["macs"]
    assert sum(layer["params"]["measured"] for layer in data["layers"]) == data["totals"]["params"]


def test_table_output_and_exit_code(runner: CliRunner) -> None:
    result = run(runner, "lenet5")
    assert result.exit_code == 0, result.stderr
    assert "verify lenet5" in result.stdout
    # the lecture's CONV1: 28x28x8, 608 params, 470,400 MACs, 6,272 x 4 bytes
    conv1 = next(line for line in result.stdout.splitlines() if "CONV1" in line)
    for text in ("28x28x8", "608", "470,400", "25,088", "ok"):
        assert text in conv1
    assert "every number agrees" in result.stdout
    assert "peak activation memory: 37,376 B symbolic, 37,376 B measured ok" in result.stdout


def test_every_layer_kind_verifies(runner: CliRunner) -> None:
    result = run(runner, "--dsl", EVERY_KIND, "--batch", "2", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    kinds = {layer["kind"] for layer in json.loads(result.stdout)["layers"]}
    assert {"conv", "depthwise_conv", "separable_conv", "conv_transpose", "locally_connected", "lrn"} <= kinds


ONE_AXIS = """
input: {shape: [100, 2]}
layers:
  - {kind: conv, filters: 4, kernel: 5, stride: 2, padding: [[1, 3]]}
  - {kind: max_pool, kernel: 2, ceil_mode: true}
  - {kind: conv_transpose, filters: 2, kernel: 3, stride: 2, output_padding: 1}
  - {kind: upsample, scale: 3, mode: bilinear}
  - {kind: global_max_pool}
  - {kind: dense, units: 3}
"""

THREE_AXES = """
input: {shape: [8, 10, 10, 3]}
layers:
  - {kind: conv, filters: 4, kernel: 3, padding: 1}
  - {kind: batch_norm}
  - {kind: relu}
  - {kind: max_pool, kernel: 2}
  - {kind: conv, filters: 4, kernel: [3, 1, 3], padding: same, dilation: [1, 1, 2]}
  - {kind: upsample, scale: [1, 2, 2], mode: nearest}
  - {kind: conv_transpose, filters: 2, kernel: 2, stride: 2, padding: same}
  - {kind: global_avg_pool, keepdims: true}
"""


@pytest.mark.parametrize("text", [ONE_AXIS, THREE_AXES])
def test_one_and_three_spatial_axes_verify(text: str) -> None:
    result = verify(load_spec_text(text))
    assert result.ok, result.mismatches()


GRAPH = """
name: shapes-of-graphs
input: 8x8x4
layers:
  - {kind: conv, filters: 4, kernel: 3, padding: same, id: a}
  - {kind: relu, id: r}                  # reads a alone: in place
  - {kind: relu, from: input, id: r2}    # input has two readers: a copy
  - {kind: flatten, from: r, id: f1}     # r is read twice: flatten copies
  - {kind: flatten, from: r, id: f2}
  - {kind: add, from: [f1, f2], id: s}
  - {kind: dense, units: 8, id: d1}
  - {kind: dense, units: 8, from: s, shares: d1, id: d2}
  - {kind: multiply, from: [d1, d2]}
  - {kind: concat, from: [r2, r2]}       # an unread layer's output is freed at once
  - {kind: dense, units: 2, from: d2}
"""


def test_graphs_inplace_rules_and_shared_weights(tmp_path: Path) -> None:
    spec_file = tmp_path / "net.yaml"
    spec_file.write_text(GRAPH)
    result = verify(load_spec(str(spec_file)))
    assert result.ok, result.mismatches()
    by_name = {layer.name: layer for layer in result.layers}
    memory = {name: layer.checks[3].measured for name, layer in by_name.items()}
    assert memory["relu1"] == 0  # in place
    assert memory["relu2"] == 8 * 8 * 4 * 4  # its input is read by the conv too
    assert memory["flatten1"] == 256 * 4  # its input is read by the other flatten too
    assert by_name["fc2"].checks[1].measured == 0  # shares fc1's weights
    assert by_name["fc2"].checks[2].measured == 256 * 8  # but multiplies them


def test_dtypes_are_counted_at_their_size(runner: CliRunner) -> None:
    for dtype, size, compute in (
        ("float16", 2, "float32"),
        ("bfloat16", 2, "float32"),
        ("int8", 1, "float32"),
        ("float64", 8, "float64"),
    ):
        result = run(runner, "--dsl", "16x16x3 | conv3-4 | relu | maxpool | fc-5", "--dtype", dtype, "-f", "json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert (data["dtype_bytes"], data["compute_dtype"]) == (size, compute)
        conv = data["layers"][1]
        assert conv["memory"] == {"symbolic": 16 * 16 * 4 * size, "measured": 16 * 16 * 4 * size, "ok": True}


def test_batch_multiplies_macs_and_memory(runner: CliRunner) -> None:
    result = run(runner, "lenet5", "--batch", "3", "-f", "json")
    assert result.exit_code == 0, result.stderr
    conv1 = json.loads(result.stdout)["layers"][1]
    assert conv1["macs"]["measured"] == 3 * 470_400
    assert conv1["memory"]["measured"] == 3 * 25_088
    assert conv1["shape"]["measured"] == [28, 28, 8]


def test_layout_shows_shapes_channels_first(runner: CliRunner) -> None:
    result = run(runner, "lenet5", "--layout", "chw", "-f", "json")
    assert result.exit_code == 0, result.stderr
    conv1 = json.loads(result.stdout)["layers"][1]
    assert conv1["shape"] == {"symbolic": [8, 28, 28], "measured": [8, 28, 28], "ok": True}


def test_keras_bn_counts_running_statistics(runner: CliRunner) -> None:
    dsl = "8x8x3 | conv3-16 nobias | bn | relu | gap | fc-2"
    plain = json.loads(run(runner, "--dsl", dsl, "-f", "json").stdout)
    keras = json.loads(run(runner, "--dsl", dsl, "--keras-bn", "-f", "json").stdout)
    assert plain["ok"] and keras["ok"]
    assert plain["layers"][2]["params"]["measured"] == 32  # gamma and beta
    assert keras["layers"][2]["params"]["measured"] == 64  # and the running mean and variance


def test_seed_changes_values_not_numbers() -> None:
    spec = load_spec("lenet5")
    a, b = verify(spec, seed=1), verify(spec, seed=2)
    assert a.ok and b.ok
    assert [layer.checks for layer in a.layers] == [layer.checks for layer in b.layers]


# --- a broken number fails ---------------------------------------------------------------------


def test_a_wrong_symbolic_number_fails_with_both_numbers(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    real = analyze  # what verify imports from cnncalc.core.walk

    def off_by_one(spec: Any, conventions: Any = None, layout: Any = None) -> Any:
        report = real(spec, conventions, layout)
        rows = list(report.rows)
        rows[1] = rows[1]._replace(macs=rows[1].macs + 1)
        return replace(report, rows=tuple(rows))

    monkeypatch.setattr(verify_module, "analyze", off_by_one)
    result = run(runner, "lenet5")
    assert result.exit_code == 1
    assert "error: layer 'CONV1' (conv): macs symbolic 470,401, measured 470,400" in result.stderr
    assert "MISMATCH" in result.stdout
    assert "1 number(s) differ" in result.stderr


def test_a_broken_kernel_fails(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A conv kernel that forgets the last output row is caught by shape, MACs and memory."""
    from cnncalc.numeric import conv

    real = conv.conv

    def cropped(*args: Any, **kwargs: Any) -> Any:
        return np.ascontiguousarray(real(*args, **kwargs)[:, :, :-1])

    monkeypatch.setattr(conv, "conv", cropped)
    result = run(runner, "lenet5", "-f", "json")
    assert result.exit_code == 1
    assert "layer 'CONV1' (conv): shape symbolic 1x28x28x8, measured 1x27x28x8" in result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["layers"][1]["memory"] == {"symbolic": 25_088, "measured": 27 * 28 * 8 * 4, "ok": False}


def test_missing_weights_fail_params(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dense layer allocated without its bias is caught by the params count."""
    from cnncalc.numeric import params

    real = params._bias

    def no_fc3_bias(p: Any, ctx: Any, present: bool, shape: tuple[int, ...], fan_in: int) -> None:
        real(p, ctx, present and shape != (120,), shape, fan_in)

    monkeypatch.setattr(params, "_bias", no_fc3_bias)
    result = run(runner, "lenet5")
    assert result.exit_code == 1
    assert "error: layer 'FC3' (dense): params symbolic 48,120, measured 48,000" in result.stderr


def test_a_wrong_peak_fails(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    real = analyze  # what verify imports from cnncalc.core.walk

    def more(spec: Any, conventions: Any = None, layout: Any = None) -> Any:
        report = real(spec, conventions, layout)
        return replace(report, totals=replace(report.totals, peak_activation_bytes=1))

    monkeypatch.setattr(verify_module, "analyze", more)
    result = run(runner, "lenet5")
    assert result.exit_code == 1
    assert "error: peak activation memory: symbolic 1 bytes, measured 37,376 bytes" in result.stderr


# --- memory is predicted and guarded --------------------------------------------------------------


def test_refuses_a_run_over_the_memory_budget(runner: CliRunner) -> None:
    result = run(runner, "vgg16", "--max-memory", "500M")
    assert result.exit_code == 1
    assert "error: verify of 'vgg16' needs about" in result.stderr
    assert "more than the 500.0 MB allowed" in result.stderr
    assert "hint: verify a smaller run: --batch 1, or a smaller --input" in result.stderr
    assert result.stdout == ""


def test_huge_batch_is_refused_before_allocating() -> None:
    spec = load_dsl("224x224x3 batch=1000000 | conv3-64 | fc-10")
    with pytest.raises(MemoryBudgetError) as info:
        verify(spec, max_memory=2**40)
    assert info.value.exit_code == 1


def test_prediction_bounds_what_the_run_holds() -> None:
    spec = load_spec("resnet18")
    report = analyze(spec)
    predicted = predict_memory(report, workspace=0)
    assert predicted >= report.totals.param_bytes + report.totals.peak_activation_bytes
    assert predicted < 3 * (report.totals.param_bytes + report.totals.peak_activation_bytes)


def test_bad_sizes_are_invalid_input(runner: CliRunner) -> None:
    for option in ("--max-memory", "--workspace"):
        result = run(runner, "lenet5", option, "lots")
        assert result.exit_code == 2
        assert f"error: {option} 'lots': expected a size in bytes such as" in result.stderr
    assert parse_size("2GiB", "x") == 2 * 2**30
    assert parse_size("300k", "x") == 300_000
    with pytest.raises(CnncalcError):
        parse_size("0", "x")


def test_small_workspace_gives_the_same_numbers(runner: CliRunner) -> None:
    result = run(runner, "exercise-same", "--workspace", "64KiB", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["memory"]["workspace_bytes"] == 65536


def test_invalid_spec_is_exit_2(runner: CliRunner) -> None:
    result = run(runner, "--dsl", "32x32x3 | conv5-8 p=0 | fc-10 in=7")
    assert result.exit_code == 2
    assert "error:" in result.stderr


# --- independence and progress ------------------------------------------------------------------


def test_executor_never_calls_the_symbolic_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every layer rule broken, the numeric core still runs and measures."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the numeric core called a symbolic rule")

    spec = load_dsl(EVERY_KIND)
    for cls in LAYER_CLASSES:
        monkeypatch.setattr(cls, "apply", broken)
        if hasattr(cls, "merge"):
            monkeypatch.setattr(cls, "merge", broken)
    execution = execute(load_spec("siamese"))
    assert execution.layers[1].shape == (32, 24, 24)
    assert execute(spec).layers[-1].shape == (10,)


def test_numeric_sources_import_no_symbolic_rules() -> None:
    root = Path(__file__).resolve().parents[3] / "cnncalc" / "numeric"
    for module in ("blas", "conv", "pool", "workspace", "pointwise", "params", "kernels", "executor"):
        name = f"{module}.py"
        text = (root / name).read_text()
        for banned in ("cnncalc.core.geometry", "cnncalc.core.walk", "resolve_padding", "per_dim", ".apply(", "slide("):
            assert banned not in text, f"{name} uses {banned}"


def test_progress_bar_only_on_a_terminal_after_the_delay() -> None:
    out = StringIO()
    bar = LazyProgress(Console(file=out, force_terminal=True, width=80), delay=0.0)
    bar(1, 3, "conv1")
    bar(3, 3, "fc")
    bar.close()
    assert bar.bar is not None
    assert "verify" in out.getvalue()
    quiet = LazyProgress(Console(file=StringIO(), force_terminal=False), delay=0.0)
    quiet(1, 3, "conv1")
    assert quiet.bar is None
    slow_to_show = LazyProgress(Console(file=StringIO(), force_terminal=True), delay=3600.0)
    slow_to_show(1, 3, "conv1")
    assert slow_to_show.bar is None


# --- random networks: the symbolic numbers equal the measured ones ---------------------------------

LAYERS = st.sampled_from(
    [
        "conv{k}-{c}",
        "conv{k}-{c} s=2",
        "conv{k}-{c} p=0 d=2",
        "conv{k}-{c} g=2",
        "dwconv{k}",
        "dwconv{k} s=2 m=2",
        "sepconv{k}-{c}",
        "deconv{k}-{c} s=2",
        "lc{k}-{c}",
        "maxpool",
        "maxpool{k}/2 ceil",
        "avgpool{k}/2 p=1 ceil",
        "l2pool2",
        "sumpool{k}/1",
        "bn",
        "relu",
        "lrn",
        "dropout",
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    st.integers(6, 14),
    st.sampled_from([2, 4]),
    st.lists(st.tuples(LAYERS, st.integers(1, 3), st.sampled_from([2, 4, 6])), min_size=1, max_size=5),
    st.booleans(),
)
def test_random_networks_verify(size: int, channels: int, layers: list[tuple[str, int, int]], flat: bool) -> None:
    items = [template.format(k=k, c=c) for template, k, c in layers]
    dsl = " | ".join([f"{size}x{size}x{channels}", *items, *(["fc-3"] if flat else [])])
    try:
        spec = load_dsl(dsl)
        analyze(spec)
    except CnncalcError:
        assume(False)  # not a valid network (a window too large, channels that do not split)
        return
    result = verify(spec, max_memory=2**32)
    assert result.ok, (dsl, result.mismatches())


def test_spec_text_verifies() -> None:
    spec = load_spec_text("input: 10x10x2\nlayers: [{kind: conv, filters: 3, kernel: [3, 1], padding: [[0, 2], 1]}]")
    assert verify(spec).ok
