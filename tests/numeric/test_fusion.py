"""Batch norm folded into the convolution before it, and the row copies of the stride-1 path.

Folding changes where the arithmetic of a conv -> batch norm (-> ReLU) chain happens, never
what the run allocates or multiplies: these tests run the same networks folded and unfolded
and compare every measured number and the output, and check the fold's arithmetic against a
batch norm applied after the convolution on random data. No test here needs PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc import load_spec, load_spec_text
from cnncalc.core.graph import build_graph
from cnncalc.numeric import conv, executor, pointwise
from cnncalc.numeric.blas import MacCounter
from cnncalc.numeric.workspace import Workspace
from cnncalc.spec.dsl import load_dsl
from cnncalc.spec.model import Spec

Array = npt.NDArray[Any]

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: conv -> bn -> relu chains of every kind the fold takes, and the cases it must leave alone:
#: a conv with its own activation, a batch norm that is not its conv's only reader, no affine
#: parameters, a conv with a bias, a depthwise conv, and a batch norm read by an add
CHAINS = (
    "12x12x3 | conv3-8 nobias | bn | relu | conv1-16 | bn noaffine | relu | maxpool2 | dwconv3 | bn | relu | fc-5",
    "10x10x4 | conv3-6 act=relu | bn | conv3-6 s=2 | bn eps=0.1 | sigmoid | fc-3",
)

GRAPH = """
name: fold-graph
input: 9x9x4
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: 1, bias: false, id: a}
  - {kind: batch_norm, id: an}
  - {kind: relu, id: ar}
  - {kind: conv, filters: 8, kernel: 1, bias: false, id: b}
  - {kind: batch_norm, id: bn_}
  - {kind: add, from: [bn_, ar], id: s}       # bn_ read by an add: folded, no ReLU with it
  - {kind: relu, id: sr}
  - {kind: conv, filters: 8, kernel: 3, padding: 1, id: c}
  - {kind: batch_norm, id: cn}
  - {kind: relu, from: cn, id: cr1}           # cn read twice: folded, its ReLUs run apart
  - {kind: relu, from: cn, id: cr2}
  - {kind: add, from: [cr1, cr2], id: t}
  - {kind: conv, filters: 8, kernel: 1, id: d}
  - {kind: relu, from: d, id: dr}             # d read twice: not folded
  - {kind: batch_norm, from: d, id: dn}
  - {kind: add, from: [dr, dn]}
"""


def float64(spec: Spec) -> Spec:
    """The spec computed in float64, so that folded and unfolded runs agree to 1e-9."""
    return spec.model_copy(update={"dtype": "float64"})


def same_numbers(a: executor.Execution, b: executor.Execution) -> None:
    """Every number verify compares, layer by layer: shapes, params by role, MACs, new memory, peak."""
    for x, y in zip(a.layers, b.layers, strict=True):
        assert (x.name, x.shape, x.batch, x.macs, x.new_bytes, x.live_bytes) == (
            y.name,
            y.shape,
            y.batch,
            y.macs,
            y.new_bytes,
            y.live_bytes,
        )
        assert {k: v for k, v in x.elements.items() if v} == {k: v for k, v in y.elements.items() if v}, x.name
    assert a.peak_bytes == b.peak_bytes


@pytest.mark.parametrize("spec", [*(load_dsl(text) for text in CHAINS), load_spec_text(GRAPH)])
def test_folded_run_measures_the_same_and_computes_the_same(spec: Spec) -> None:
    wide = float64(spec)
    folded, plain = executor.execute(wide, seed=3), executor.execute(wide, seed=3, fuse=False)
    same_numbers(folded, plain)
    np.testing.assert_allclose(folded.output, plain.output, rtol=1e-9, atol=1e-9)


def test_folded_run_in_float32_agrees_to_float32_rounding() -> None:
    spec = load_spec("resnet18").model_copy(update={"input": load_dsl("32x32x3 | relu").input})
    folded, plain = executor.execute(spec), executor.execute(spec, fuse=False)
    same_numbers(folded, plain)
    scale = float(np.abs(plain.output).max())
    np.testing.assert_allclose(folded.output, plain.output, rtol=1e-4, atol=1e-4 * scale)


def test_copied_activations_are_never_fused() -> None:
    """Without in-place activations the ReLU writes its own copy, so it is not applied with the batch norm."""
    spec = float64(load_dsl(CHAINS[0]))
    graph = build_graph(spec)
    copied = executor._plan_fusions(graph, graph.reader_counts(), inplace=False)
    assert copied and all(relu is None for _, relu in copied.values())
    folded = executor.execute(spec, inplace=False)
    same_numbers(folded, executor.execute(spec, inplace=False, fuse=False))


def test_the_plan_folds_only_a_sole_unshared_reader() -> None:
    graph = build_graph(load_spec_text(GRAPH))
    names = [node.name for node in graph.nodes]
    plan = {
        names[i]: (names[j], None if k is None else names[k])
        for i, (j, k) in executor._plan_fusions(graph, graph.reader_counts(), inplace=True).items()
    }
    # layers are named by kind and rank: a, b, c and d are conv1 to conv4
    assert plan == {"conv1": ("bn1", "relu1"), "conv2": ("bn2", None), "conv3": ("bn3", None)}
    towers = build_graph(load_dsl("8x8x2 | conv3-4 | bn | relu"))
    assert executor._plan_fusions(towers, towers.reader_counts(), inplace=True)


def test_shared_weights_are_never_folded() -> None:
    text = """
name: shared-fold
input: 8x8x2
blocks:
  unit:
    layers:
      - {kind: conv, filters: 4, kernel: 3, padding: 1}
      - {kind: batch_norm}
      - {kind: relu}
layers:
  - {block: unit, name: one, from: input}
  - {block: unit, name: two, from: input, shares: one}
  - {kind: add, from: [one, two]}
"""
    spec = load_spec_text(text)
    graph = build_graph(spec)
    assert executor._plan_fusions(graph, graph.reader_counts(), inplace=True) == {}
    wide = float64(spec)
    np.testing.assert_allclose(executor.execute(wide).output, executor.execute(wide, fuse=False).output, rtol=1e-12)


@st.composite
def fold_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd = draw(st.integers(1, 3))
    return {
        "nd": nd,
        "c": draw(st.integers(1, 6)),
        "f": draw(st.integers(1, 6)),
        "kernel": tuple(draw(st.integers(1, 3)) for _ in range(nd)),
        "size": draw(st.integers(3, 6)),
        "bias": draw(st.booleans()),
        "affine": draw(st.booleans()),
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "seed": draw(st.integers(0, 2**16)),
    }


@FAST
@given(fold_cases())
def test_fold_arithmetic_equals_a_batch_norm_after_the_conv(case: dict[str, Any]) -> None:
    """conv(x; w x scale, b x scale + shift) = batch_norm(conv(x; w, b)) on random data."""
    rng = np.random.default_rng(case["seed"])
    dtype, nd, f = case["dtype"], case["nd"], case["f"]
    x = rng.standard_normal((2, case["c"], *(case["size"],) * nd)).astype(dtype)
    w = rng.standard_normal((f, case["c"], *case["kernel"])).astype(dtype)
    b = rng.standard_normal(f).astype(dtype) if case["bias"] else None
    mean, var = rng.standard_normal(f).astype(dtype), rng.uniform(0.2, 2.0, f).astype(dtype)
    gamma, beta = (rng.uniform(0.5, 1.5, f).astype(dtype), rng.standard_normal(f).astype(dtype))
    if not case["affine"]:
        gamma, beta = None, None
    args = ((1,) * nd, ((1, 1),) * nd, (1,) * nd, 1)
    after = pointwise.batch_norm(conv.conv(x, w, b, *args, MacCounter()), mean, var, gamma, beta, 1e-3)
    scale, shift = pointwise.batch_norm_affine(mean, var, gamma, beta, 1e-3)
    if b is not None:
        shift = shift + b * scale
    folded_w = (w * scale.reshape((-1,) + (1,) * (nd + 1))).astype(dtype)
    folded = conv.conv(x, folded_w, shift.astype(dtype), *args, MacCounter())
    tolerance = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(folded, after, rtol=tolerance, atol=tolerance)


def naive_padded_windows_conv(
    x: Array, w: Array, stride: tuple[int, ...], pads: Any, dilation: tuple[int, ...]
) -> Array:
    """The reference: pad with NumPy, then sum every tap's strided slice times its weight."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    kernel = w.shape[2:]
    sizes = [(m - d * (k - 1) - 1) // s + 1 for m, k, s, d in zip(xp.shape[2:], kernel, stride, dilation, strict=True)]
    out = np.zeros((x.shape[0], w.shape[0], *sizes))
    for tap in np.ndindex(*kernel):
        index = tuple(
            slice(t * d, t * d + (n - 1) * s + 1, s) for t, d, n, s in zip(tap, dilation, sizes, stride, strict=True)
        )
        window = xp[(slice(None), slice(None), *index)]
        out += np.einsum("fc,nc...->nf...", w[(slice(None), slice(None), *tap)], window)
    return out


@st.composite
def padded_row_shift_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Stride-1 path convolutions with paddings up to 3 (taps that see only padding included)."""
    nd = draw(st.integers(1, 3))
    kernel = (draw(st.integers(2, 3)), *(draw(st.integers(1, 3)) for _ in range(nd - 1)))
    c = draw(st.integers(-(-32 // math.prod(kernel[1:])), 48 // math.prod(kernel[1:]) + 1))
    return {
        "c": c,
        "f": draw(st.integers(1, 3)),
        "kernel": kernel,
        "stride": (1, *(draw(st.integers(1, 3)) for _ in range(nd - 1))),
        "dilation": tuple(draw(st.integers(1, 2)) for _ in range(nd)),
        "pads": tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd)),
        "sizes": tuple(draw(st.integers(1, 5)) for _ in range(nd)),
        "workspace": draw(st.sampled_from([1024, 4096, 1 << 20])),
        "seed": draw(st.integers(0, 2**16)),
    }


@FAST
@given(padded_row_shift_cases())
def test_row_copies_from_the_unpadded_input_equal_a_padded_conv(case: dict[str, Any]) -> None:
    span = [d * (k - 1) + 1 for k, d in zip(case["kernel"], case["dilation"], strict=True)]
    if any(m + a + z < s for m, (a, z), s in zip(case["sizes"], case["pads"], span, strict=True)):
        return  # the window does not fit: conv refuses it (another test)
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((2, case["c"], *case["sizes"]))
    w = rng.standard_normal((case["f"], case["c"], *case["kernel"]))
    assert conv.prefers_tap_major(case["kernel"], case["stride"], 1, case["c"])
    args = (case["stride"], case["pads"], case["dilation"], 1)
    got = conv.conv(x, w, None, *args, MacCounter(), Workspace(case["workspace"]))
    want = naive_padded_windows_conv(x, w, case["stride"], case["pads"], case["dilation"])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
