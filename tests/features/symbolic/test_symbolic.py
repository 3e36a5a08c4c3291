"""Input sizes as symbols: every expression against the concrete analysis at many sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.errors import ShapeError
from cnncalc.features.symbolic.analysis import QUANTITIES, SymbolicReport, analyze_symbolic
from cnncalc.features.symbolic.polynomials import Expr
from cnncalc.features.symbolic.symbols import with_symbols
from cnncalc.spec import load_spec, load_spec_text
from cnncalc.spec.model import Spec

TINY = """
name: tiny
input: [H, W, 3]
layers:
  - {kind: conv, filters: 8, kernel: 3, stride: 2, padding: 1, activation: relu}
  - {kind: max_pool}
  - {kind: conv, filters: 16, kernel: 3}
  - {kind: global_avg_pool}
  - {kind: dense, units: 10}
"""
#: sliding windows of every kind the walk knows, 'same' padding, ceil mode, a transposed conv,
#: upsampling, a concat and a flatten feeding a dense layer (whose params depend on H and W)
MIXED = """
name: mixed
input: [96, 80, 3]
layers:
  - {kind: conv, id: a, filters: 4, kernel: 5, stride: 3, padding: same}
  - {kind: max_pool, kernel: 3, stride: 2, ceil_mode: true}
  - {kind: depthwise_conv, kernel: 3, dilation: 2, padding: 1}
  - {kind: batch_norm}
  - {kind: conv_transpose, filters: 6, kernel: 2, stride: 2}
  - {kind: conv, id: b, filters: 6, kernel: 1}
  - {kind: upsample, scale: 2}
  - {kind: avg_pool, kernel: 2}
  - {kind: concat, from: [b, b]}
  - {kind: flatten}
  - {kind: dense, units: 7}
"""

#: transposed convs with 'same' padding (output = input x stride, even or odd kernels, dilated)
UPSAMPLING = """
name: upsampling
input: [24, 20, 3]
layers:
  - {kind: conv, filters: 4, kernel: 3, stride: 2, padding: same}
  - {kind: conv_transpose, filters: 4, kernel: 3, stride: 2, padding: same}
  - {kind: conv_transpose, filters: 2, kernel: 4, stride: 3, padding: same, dilation: 2}
  - {kind: conv_transpose, filters: 2, kernel: 2, stride: 2, padding: same, output_padding: 1}
"""

#: ceil-mode pools whose stride is wider than their window: PyTorch drops a last window that
#: would start in the right padding, and the walk writes the count of the others
CEIL_POOLS = """
name: ceil-pools
input: [40, 36, 3]
layers:
  - {kind: max_pool, kernel: 1, stride: 2, ceil_mode: true}
  - {kind: max_pool, kernel: 2, stride: 3, ceil_mode: true}
  - {kind: avg_pool, kernel: 3, stride: 4, padding: 1, ceil_mode: true}
  - {kind: max_pool, kernel: 2, stride: 2, ceil_mode: true}
"""


@cache
def symbolic(name: str) -> tuple[Spec, SymbolicReport]:
    spec = {
        "tiny": lambda: load_spec_text(TINY.replace("[H, W, 3]", "[64, 64, 3]")),
        "mixed": lambda: load_spec_text(MIXED),
        "upsampling": lambda: load_spec_text(UPSAMPLING),
        "ceil-pools": lambda: load_spec_text(CEIL_POOLS),
    }.get(name, lambda: load_spec(name))()
    return spec, analyze_symbolic(spec, ["H", "W", None])


def check_at(name: str, h: int, w: int) -> None:
    spec, report = symbolic(name)
    try:
        concrete = analyze(with_symbols(spec, [h, w, spec.input.shape[-1]]))
    except ShapeError:
        assert min(h, w) < report.smallest or name == "mixed"  # a non-square input may fail sooner
        return
    env = {"H": h, "W": w}
    for row, sym in zip(concrete.rows, report.rows, strict=True):
        assert tuple(int(e(env)) for e in sym.output_shape) == row.output_shape, row.name
        for q in QUANTITIES:
            assert sym.counts[q](env) == getattr(row, q), (row.name, q)
    t = concrete.totals
    assert report.totals["macs"](env) == t.macs
    assert report.totals["params"](env) == t.params
    assert report.totals["activation_bytes"](env) == t.activation_bytes


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 300), w=st.integers(1, 300))
def test_tiny_expressions_equal_the_analysis(h: int, w: int) -> None:
    check_at("tiny", h, w)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(40, 400), w=st.integers(40, 400))
def test_mixed_expressions_equal_the_analysis(h: int, w: int) -> None:
    check_at("mixed", h, w)


@pytest.mark.parametrize("name", ["upsampling", "ceil-pools"])
@settings(max_examples=50, deadline=None)
@given(h=st.integers(1, 500), w=st.integers(1, 500))
def test_once_refused_layers_equal_the_analysis(name: str, h: int, w: int) -> None:
    """Transposed convs with 'same' padding, and ceil-mode pools with a stride wider than their window."""
    check_at(name, h, w)


def test_ceil_mode_pools_with_a_wide_stride_at_every_size() -> None:
    for n in range(1, 200):
        check_at("ceil-pools", n, n + 1)


def test_a_transposed_conv_with_same_padding_multiplies_by_its_stride() -> None:
    _, report = symbolic("upsampling")
    sizes = [tuple(int(e({"H": 40, "W": 30})) for e in row.output_shape[1:]) for row in report.rows]
    assert sizes == [(40, 30), (20, 15), (40, 30), (120, 90), (240, 180)]


@settings(max_examples=12, deadline=None)
@given(h=st.integers(1, 400), w=st.integers(1, 400))
def test_resnet18_expressions_equal_the_analysis(h: int, w: int) -> None:
    check_at("resnet18", h, w)


def test_mixed_params_depend_on_the_input() -> None:
    """A flatten feeding a dense layer: its weights grow with H and W, and say so."""
    _, report = symbolic("mixed")
    assert not report.totals["params"].is_constant()


@pytest.mark.parametrize("name", ["resnet50", "vgg16", "mobilenet-v2"])
def test_polynomial_at_multiples_of_the_period(name: str) -> None:
    """ResNet-50: every floor exact when H and W are multiples of 32; then MACs are a*H*W + b."""
    spec, report = symbolic(name)
    assert report.period == 32
    macs = report.polynomial["macs"]
    assert not macs.floors()
    assert all(sum(p for _, p in m) <= 2 for m, _ in macs.terms)
    assert report.totals["params"].is_constant() == (name != "vgg16")
    for h, w in [(32, 32), (224, 224), (64, 320), (416, 96)]:
        concrete = analyze(with_symbols(spec, [h, w, 3])).totals
        env = {"H": h, "W": w}
        assert macs(env) == concrete.macs
        assert report.polynomial["params"](env) == concrete.params
        assert report.polynomial["activation_bytes"](env) == concrete.activation_bytes


@settings(max_examples=200)
@given(a=st.integers(-50, 50), c=st.integers(-9, 9), p=st.integers(1, 6), q=st.integers(1, 6), n=st.integers(-500, 500))
def test_floor_algebra(a: int, c: int, p: int, q: int, n: int) -> None:
    """floor((a*n + c)/p) and a nested floor, simplified, against Python's integers."""
    x = Expr.symbol("n")
    inner = (x * a + c).floordiv(p)
    assert inner({"n": n}) == (a * n + c) // p
    outer = (inner + c).floordiv(q)
    assert outer({"n": n}) == ((a * n + c) // p + c) // q
    assert ((x * p * q + c).floordiv(p).subs({"n": x * 1}))({"n": n}) == (p * q * n + c) // p
    assert (x * Fraction(1, 2) * 2)({"n": n}) == n


def test_cli_symbolic_spec_and_input(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["symbols"] == ["H", "W"]
    assert data["layers"][1]["output_shape"] == ["floor((H + 1)/2)", "floor((W + 1)/2)", "8"]
    assert data["polynomial"]["params"] == "1562" and data["period"] == 4
    flag = runner.invoke(app, ["summarize", "resnet18", "--input", "HxWx3"])
    assert flag.exit_code == 0, flag.output
    assert "When H and W are multiples of 32" in flag.stdout
    csv = runner.invoke(app, ["summarize", str(path), "--format", "csv"])
    assert csv.exit_code == 2 and "table or JSON" in csv.output
    channels = runner.invoke(app, ["summarize", "resnet18", "--input", "224x224xC"])
    assert channels.exit_code == 2 and "channels" in channels.output and "Traceback" not in channels.output


def test_plain_summarize_loads_no_symbolic_or_training_code() -> None:
    """Start-up is unchanged: a plain summarize imports neither the algebra nor the training model."""
    code = (
        "import sys\nfrom cnncalc.cli import app\n"
        "try:\n    app(['summarize', 'lenet5', '--format', 'json'])\nexcept SystemExit:\n    pass\n"
        "names = ('sympy', 'cnncalc.features.symbolic.sizes', 'cnncalc.features.symbolic.analysis', "
        "'cnncalc.features.symbolic.polynomials', 'cnncalc.features.training.memory', "
        "'cnncalc.features.training.saved', 'cnncalc.features.symbolic.solve')\n"
        "print(sorted(m for m in sys.modules if m in names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


SQUEEZE_EXCITE = """
name: squeeze-excite
input: {shape: [H, W, 16]}
layers:
  - {kind: conv, name: c, filters: 16, kernel: 3, padding: same}
  - {kind: global_avg_pool, name: squeeze, keepdims: true}
  - {kind: conv, name: reduce, filters: 4, kernel: 1, activation: relu}
  - {kind: conv, name: expand, filters: 16, kernel: 1, activation: sigmoid}
  - {kind: multiply, name: excite, from: [expand, c]}
  - {kind: upsample, name: fixed, size: [9, 7]}
"""


def test_a_gate_broadcast_over_the_map_and_an_upsample_to_a_size_are_symbolic() -> None:
    """The 1x1 gate first among the inputs (as PyTorch writes scale * x): the product has the
    map's sizes; an upsample to a given size has that size whatever the input's."""
    spec = load_spec_text(SQUEEZE_EXCITE.replace("[H, W, 16]", "[32, 32, 16]"))
    report = analyze_symbolic(spec, ["H", "W", None])
    for h, w in ((5, 8), (12, 7)):
        concrete = analyze(with_symbols(spec, [h, w, 16]))
        for row, sym in zip(concrete.rows, report.rows, strict=True):
            assert tuple(int(e({"H": h, "W": w})) for e in sym.output_shape) == row.output_shape, row.name
