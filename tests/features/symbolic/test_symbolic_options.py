"""Symbolic sizes with every option: training bytes, the tools' totals, --depth, merged branches,
and specs written with symbols given sizes by --input in every command."""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.algebra import evaluate as evaluate_text
from cnncalc.core.conventions import Conventions
from cnncalc.core.report import rollup
from cnncalc.core.walk import analyze
from cnncalc.errors import ShapeError
from cnncalc.features.peers.presets import PRESETS, evaluate
from cnncalc.features.symbolic.analysis import QUANTITIES, SymbolicReport, analyze_symbolic, rolled_up
from cnncalc.features.symbolic.sizes import SymbolicError
from cnncalc.features.symbolic.sums import Sums, preset_sums, training_sums
from cnncalc.features.symbolic.symbols import with_symbols
from cnncalc.features.training.memory import OPTIMIZERS, training_memory
from cnncalc.spec import load_spec, load_spec_text
from cnncalc.spec.model import Spec

#: batch norm, dropout, a residual add, a concat and a dense layer after a flatten (whose
#: weights grow with H and W), at batch 2 in float16
TRAINED = """
name: trained
input: [64, 48, 3]
dtype: float16
batch: 2
layers:
  - {kind: conv, id: stem, filters: 8, kernel: 3, stride: 2, padding: 1, bias: false}
  - {kind: batch_norm}
  - {kind: relu}
  - {kind: conv, id: branch, filters: 8, kernel: 3, padding: 1}
  - {kind: add, from: [stem, branch]}
  - {kind: max_pool, id: pooled, kernel: 2}
  - {kind: concat, from: [pooled, pooled]}
  - {kind: dropout, rate: 0.5}
  - {kind: flatten}
  - {kind: dense, units: 5}
"""

SYMBOLIC_FILE = """
name: symnet
input: [H, W, 3]
layers:
  - {kind: conv, filters: 8, kernel: 3, stride: 2, padding: 1, activation: relu}
  - {kind: batch_norm}
  - {kind: max_pool, kernel: 2}
  - {kind: conv, filters: 16, kernel: 3, padding: 0}
  - {kind: global_avg_pool}
  - {kind: dense, units: 10}
"""


@cache
def symbolic(name: str, no_bias: bool = False) -> tuple[Spec, SymbolicReport]:
    spec = load_spec_text(TRAINED) if name == "trained" else load_spec(name)
    return spec, analyze_symbolic(spec, ["H", "W", None], Conventions(bias=not no_bias))


@cache
def trained_sums(name: str, optimizer: str, no_bias: bool = False) -> Sums:
    spec, report = symbolic(name, no_bias)
    return training_sums(spec, ["H", "W", None], report, optimizer, Conventions(bias=not no_bias))


def at(spec: Spec, h: int, w: int) -> Spec:
    return with_symbols(spec, [h, w, spec.input.shape[-1]])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("no_bias", [False, True])
@settings(max_examples=8, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40))
def test_training_bytes_equal_the_concrete_model_at_multiples_of_the_period(
    optimizer: str, no_bias: bool, h: int, w: int
) -> None:
    spec, report = symbolic("trained", no_bias)
    sums = trained_sums("trained", optimizer, no_bias)
    assert report.period is not None and sums.period == report.period
    size = at(spec, report.period * h, report.period * w)
    conventions = Conventions(bias=not no_bias)
    memory = training_memory(size, analyze(size, conventions), optimizer)
    env = {"H": report.period * h, "W": report.period * w}
    expected = {
        "saved for backward": memory.saved_bytes,
        "weights and buffers": memory.weight_bytes,
        "gradients": memory.gradient_bytes,
        f"optimizer state ({optimizer})": memory.optimizer_bytes,
        **{f"layer {row.name}": row.saved_bytes for row in memory.rows},
    }
    assert set(sums.figures) == set(expected)
    for name, value in expected.items():
        poly = sums.figures[name]
        assert poly is not None and poly(env) == value, name
    # the dense layer after the flatten: its weights, gradients and Adam's moments grow with H*W
    assert not sums.figures["gradients"].is_constant()  # type: ignore[union-attr]


@settings(max_examples=4, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12))
def test_resnet18_training_bytes_with_adam(h: int, w: int) -> None:
    spec, _ = symbolic("resnet18")
    sums = trained_sums("resnet18", "adam")
    size = at(spec, 32 * h, 32 * w)
    memory = training_memory(size, analyze(size), "adam")
    env = {"H": 32 * h, "W": 32 * w}
    assert sums.figures["saved for backward"](env) == memory.saved_bytes  # type: ignore[misc]
    assert sums.figures["optimizer state (adam)"](env) == memory.optimizer_bytes  # type: ignore[misc]


@pytest.mark.parametrize("name", ["trained", "resnet18", "vgg16"])
@settings(max_examples=4, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12))
def test_every_tools_totals_equal_the_concrete_presets(name: str, h: int, w: int) -> None:
    spec, report = symbolic(name)
    sums = _presets(name)
    assert report.period is not None
    env = {"H": report.period * h, "W": report.period * w}
    size = at(spec, env["H"], env["W"])
    seen = 0
    for preset in PRESETS:
        result = evaluate(size, preset)
        figures: list[tuple[str, int | None]] = [(f.label, f.value) for f in result.figures] or [
            ("params", result.params),
            ("MACs", result.macs),
            ("FLOPs", result.flops),
            (result.memory_label, result.memory),
        ]
        for label, value in figures:
            if value is None:
                continue
            poly = sums.figures[f"{preset}: {label}"]
            if poly is not None:  # None: said to be no polynomial (thop divides sizes as doubles)
                assert poly(env) == value, (preset, label)
                seen += 1
    assert seen >= 15


@cache
def _presets(name: str) -> Sums:
    spec, report = symbolic(name)
    return preset_sums(spec, ["H", "W", None], report, PRESETS)


def test_a_figure_that_is_no_polynomial_is_said_to_be_none() -> None:
    """thop divides the sizes of an adaptive pooling as doubles: vgg16's count has no polynomial,
    and the figure shows that rather than a fitted guess."""
    sums = _presets("vgg16")
    assert sums.figures["thop: MACs"] is None
    assert sums.figures["torchinfo: Total mult-adds"] is not None


@settings(max_examples=15, deadline=None)
@given(h=st.integers(8, 200), w=st.integers(8, 200))
def test_depth_rolls_up_the_expressions_as_the_concrete_rollup(h: int, w: int) -> None:
    spec, report = symbolic("resnet18")
    try:
        concrete = analyze(at(spec, h, w))
    except ShapeError:
        return
    env = {"H": h, "W": w}
    for depth in (1, 2):
        rows = rolled_up(report, depth)
        expected = rollup(concrete, depth)
        assert [r.name for r in rows] == [r.name for r in expected]
        for sym, row in zip(rows, expected, strict=True):
            assert tuple(int(e(env)) for e in sym.output_shape) == row.output_shape
            for q in QUANTITIES:
                assert sym.counts[q](env) == getattr(row, q), (row.name, q)


# --- merged branches that agree only at some sizes ------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 300), w=st.integers(1, 300))
def test_a_skip_concat_gives_the_sizes_where_its_branches_agree(h: int, w: int) -> None:
    """The U-Net-like network concatenates after two poolings: valid exactly at multiples of 4."""
    spec, report = symbolic("encoder-decoder")
    assert report.condition == "H and W are multiples of 4 (where the branches of 'skip2', 'skip1' agree)"
    try:
        concrete = analyze(at(spec, h, w))
    except ShapeError:
        assert h % 4 or w % 4 or min(h, w) < report.smallest
        return
    assert h % 4 == 0 and w % 4 == 0
    env = {"H": h, "W": w}
    for row, sym in zip(concrete.rows, report.rows, strict=True):
        assert tuple(int(e(env)) for e in sym.output_shape) == row.output_shape, row.name
        for q in QUANTITIES:
            assert sym.counts[q](env) == getattr(row, q), (row.name, q)


def test_a_residue_that_is_not_a_multiple_is_listed() -> None:
    """floor(H/2) against 2*floor(H/4): equal when H is 0 or 1 modulo 4."""
    text = """
name: odd
input: [64, 64, 3]
layers:
  - {kind: max_pool, id: half, kernel: 2}
  - {kind: max_pool, kernel: 2}
  - {kind: upsample, id: up, scale: 2}
  - {kind: add, name: join, from: [half, up]}
"""
    spec = load_spec_text(text)
    report = analyze_symbolic(spec, ["H", None, None])
    assert report.condition == "H is 0, 1 modulo 4 (where the branches of 'join' agree)"
    for h in range(4, 60):
        try:
            analyze(with_symbols(spec, [h, 64, 3]))
        except ShapeError:
            assert h % 4 in (2, 3)
        else:
            assert h % 4 in (0, 1)


def test_branches_that_never_agree_are_refused_naming_their_sizes() -> None:
    text = """
name: never
input: [64, 64, 3]
layers:
  - {kind: conv, id: a, filters: 4, kernel: 3, padding: 0}
  - {kind: conv, id: b, from: input, filters: 4, kernel: 1}
  - {kind: concat, name: join, from: [a, b]}
"""
    with pytest.raises(SymbolicError, match=r"layer 'join' \(concat\) merges sizes .* which are equal at no size"):
        analyze_symbolic(load_spec_text(text), ["H", "W", None])


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def symbolic_file(tmp_path: Path) -> str:
    path = tmp_path / "symnet.yaml"
    path.write_text(SYMBOLIC_FILE, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "command",
    [
        ["summarize", "--format", "json"],
        ["verify", "--format", "json"],
        ["explain"],
        ["draw", "--format", "mermaid"],
        ["export"],
        ["report"],
        ["solve", "--max-memory", "10MiB"],
    ],
)
def test_every_command_analyses_a_symbolic_spec_at_the_sizes_of_input(
    runner: CliRunner, symbolic_file: str, tmp_path: Path, command: list[str]
) -> None:
    args = [command[0], symbolic_file, *command[1:], "--input", "40x36x3"]
    if command[0] == "report":
        args += ["-o", str(tmp_path / "r.html")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    concrete = runner.invoke(app, [command[0], "--dsl", _dsl(40, 36), *args[2:]])
    if command[0] in ("summarize", "verify"):
        got, want = json.loads(result.stdout), json.loads(concrete.stdout)
        assert got["totals"] == want["totals"] if "totals" in got else got == want
    if command[0] == "export":
        assert "(N, 3, 40, 36)" in result.stdout
    without = runner.invoke(app, [command[0], symbolic_file, *command[1:]])
    if command[0] != "summarize":  # summarize analyses it with the symbols
        assert without.exit_code == 2
        assert "the input names its sizes as symbols (H, W): this command needs numbers" in without.stderr
        assert "--input 224x224x3" in without.stderr and "Traceback" not in without.output


def _dsl(h: int, w: int) -> str:
    return f"{h}x{w}x3 | conv3-8 s=2 p=1 act=relu | bn | maxpool | conv3-16 p=0 | gap | fc-10"


def test_summarize_analyses_a_symbolic_spec_at_the_given_size(runner: CliRunner, symbolic_file: str) -> None:
    """`input: [H, W, 3]` with --input 64x64x3 was once analysed with the symbols, ignoring it."""
    result = runner.invoke(app, ["summarize", symbolic_file, "--input", "64x48x3", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = analyze(at(load_spec_text(SYMBOLIC_FILE.replace("[H, W, 3]", "[64, 48, 3]")), 64, 48))
    assert data["totals"]["macs"] == expected.totals.macs
    assert "symbols" not in data


def test_solve_max_macs_needs_no_input_on_a_symbolic_spec(runner: CliRunner, symbolic_file: str) -> None:
    result = runner.invoke(app, ["solve", symbolic_file, "--max-macs", "1M"])
    assert result.exit_code == 0, result.output
    assert "largest square input" in result.stdout


def test_summarize_training_with_symbols(runner: CliRunner, symbolic_file: str) -> None:
    result = runner.invoke(app, ["summarize", symbolic_file, "--training", "--optimizer", "adam", "--format", "json"])
    assert result.exit_code == 0, result.output
    training = json.loads(result.stdout)["training"]
    assert training["optimizer"] == "adam" and training["period"] == 4
    assert training["peak_bytes"] is None and "no single expression" in training["peak_note"]
    spec = load_spec_text(SYMBOLIC_FILE.replace("[H, W, 3]", "[96, 40, 3]"))
    memory = training_memory(spec, analyze(spec), "adam")

    def value(text: str) -> Fraction:  # the expression with H and W set, in the JSON's arithmetic
        return evaluate_text(text.replace("H", "96").replace("W", "40"))

    assert value(training["figures"]["saved for backward"]) == memory.saved_bytes
    assert value(training["figures"]["optimizer state (adam)"]) == memory.optimizer_bytes
    assert "batch 1: batch norm ('bn1')" in result.stderr
    table = runner.invoke(app, ["summarize", symbolic_file, "--training"])
    assert table.exit_code == 0 and "peak: the peak is the largest" in table.stdout


def test_summarize_convention_with_symbols(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "resnet18", "--input", "HxWx3", "--convention", "torchinfo"])
    assert result.exit_code == 0, result.output
    assert "torchinfo: Total mult-adds = 36144*H*W + 522600" in result.stdout
    clash = runner.invoke(app, ["summarize", "resnet18", "--input", "HxWx3", "--convention", "fvcore", "--no-bias"])
    assert clash.exit_code == 2 and "--no-bias cannot change them" in clash.stderr
    both = runner.invoke(app, ["summarize", "resnet18", "--input", "HxWx3", "--convention", "fvcore", "--training"])
    assert both.exit_code == 2 and "give one of them" in both.stderr


def test_symbolic_layout_and_depth(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "resnet18", "--input", "HxWx3", "--layout", "chw", "--depth", "1"])
    assert result.exit_code == 0, result.output
    assert "(input 3 x H x W" in result.stdout
    assert "layer1    block" in result.stdout and "layer1.0" not in result.stdout
