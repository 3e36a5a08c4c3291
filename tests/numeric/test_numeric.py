"""The NumPy kernels against naive direct-loop references written here, and against PyTorch.

The references loop over every output element and every tap, with no sliding-window
views or matrix products: slow, and obviously right. Hypothesis draws the geometry
(1 to 3 spatial axes, stride, asymmetric padding, dilation, groups, ceil_mode, a
workspace small enough to force tiling). The PyTorch tests run where torch is
installed (CI installs the CPU build) and skip elsewhere. The paths that sum products
through BLAS run both with and without CNNCALC_NO_BLAS (see the last section).
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc.numeric import blas, conv, pointwise, pool, workspace
from cnncalc.numeric.blas import NO_BLAS_ENV, MacCounter
from cnncalc.numeric.workspace import Workspace

Array = npt.NDArray[Any]
Pairs = tuple[tuple[int, int], ...]

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def rand(rng: np.random.Generator, *shape: int) -> Array:
    return rng.standard_normal(shape).astype(np.float64)


# --- naive references --------------------------------------------------------------------------


def out_size(n: int, k: int, s: int, pad: tuple[int, int], d: int) -> int:
    return (n + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


def naive_conv(x: Array, w: Array, b: Array | None, s: tuple[int, ...], p: Pairs, d: tuple[int, ...], g: int) -> Array:
    """out[n, f, o] = b[f] + sum over c in f's group and taps t of w[f, c, t] * x[n, c, o*s + t*d - p]."""
    n, c = x.shape[:2]
    f = w.shape[0]
    kernel = w.shape[2:]
    cg, fg = c // g, f // g
    sizes = [out_size(m, k, ss, pp, dd) for m, k, ss, pp, dd in zip(x.shape[2:], kernel, s, p, d, strict=True)]
    out = np.zeros((n, f, *sizes))
    for i, j in itertools.product(range(n), range(f)):
        group = j // fg
        for o in itertools.product(*(range(m) for m in sizes)):
            total = 0.0 if b is None else float(b[j])
            for ci in range(cg):
                for t in itertools.product(*(range(k) for k in kernel)):
                    pos = [oo * ss + tt * dd - pp[0] for oo, ss, tt, dd, pp in zip(o, s, t, d, p, strict=True)]
                    if all(0 <= q < m for q, m in zip(pos, x.shape[2:], strict=True)):
                        total += w[(j, ci, *t)] * x[(i, group * cg + ci, *pos)]
            out[(i, j, *o)] = total
    return out


def naive_conv_transpose(
    x: Array, w: Array, b: Array | None, s: tuple[int, ...], p: Pairs, d: tuple[int, ...], op: tuple[int, ...], g: int
) -> Array:
    """Every input element scatters w[c, f, t] * x[n, c, i] to position i*s + t*d - p_before."""
    n, c = x.shape[:2]
    fg = w.shape[1]
    f = fg * g
    cg = c // g
    kernel = w.shape[2:]
    sizes = [
        (m - 1) * ss - pp[0] - pp[1] + dd * (k - 1) + o + 1
        for m, ss, pp, dd, k, o in zip(x.shape[2:], s, p, d, kernel, op, strict=True)
    ]
    out = np.zeros((n, f, *sizes))
    for i, ci in itertools.product(range(n), range(c)):
        group = ci // cg
        for pos in itertools.product(*(range(m) for m in x.shape[2:])):
            for t in itertools.product(*(range(k) for k in kernel)):
                q = [pp * ss + tt * dd - pd[0] for pp, ss, tt, dd, pd in zip(pos, s, t, d, p, strict=True)]
                if all(0 <= qq < m for qq, m in zip(q, sizes, strict=True)):
                    for fj in range(fg):
                        out[(i, group * fg + fj, *q)] += x[(i, ci, *pos)] * w[(ci, fj, *t)]
    if b is not None:
        out += b.reshape((f,) + (1,) * len(kernel))
    return out


def naive_pool(
    x: Array, kind: str, k: tuple[int, ...], s: tuple[int, ...], p: Pairs, d: tuple[int, ...], ceil_mode: bool
) -> Array:
    """PyTorch's pooling: windows over the padded input; ceil_mode keeps a last window that
    starts inside the input or its left padding; average divides by the taps inside the
    padded input (count_include_pad)."""
    sizes = []
    for m, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d, strict=True):
        span = m + pp[0] + pp[1] - dd * (kk - 1) - 1
        size = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (size - 1) * ss >= m + pp[0]:
            size -= 1
        sizes.append(size)
    n, c = x.shape[:2]
    out = np.zeros((n, c, *sizes))
    for i, ch in itertools.product(range(n), range(c)):
        for o in itertools.product(*(range(m) for m in sizes)):
            values: list[float] = []
            inside = 0
            for t in itertools.product(*(range(kk) for kk in k)):
                padded_pos = [oo * ss + tt * dd for oo, ss, tt, dd in zip(o, s, t, d, strict=True)]
                if any(q >= m + pp[0] + pp[1] for q, m, pp in zip(padded_pos, x.shape[2:], p, strict=True)):
                    continue  # the overhang of a ceil_mode window: not even padding
                inside += 1
                pos = [q - pp[0] for q, pp in zip(padded_pos, p, strict=True)]
                if all(0 <= q < m for q, m in zip(pos, x.shape[2:], strict=True)):
                    values.append(float(x[(i, ch, *pos)]))
                else:
                    values.append(-math.inf if kind == "max_pool" else 0.0)
            if kind == "max_pool":
                result = max(values)
            elif kind == "avg_pool":
                result = sum(values) / inside
            elif kind == "sum_pool":
                result = sum(values)
            else:
                result = math.sqrt(sum(v * v for v in values))
            out[(i, ch, *o)] = result
    return out


def naive_locally_connected(x: Array, w: Array, b: Array | None, k: tuple[int, ...], s: tuple[int, ...]) -> Array:
    """No padding: position o has its own (F, C x prod(k)) filter bank w[o]."""
    n, c = x.shape[:2]
    sizes = [out_size(m, kk, ss, (0, 0), 1) for m, kk, ss in zip(x.shape[2:], k, s, strict=True)]
    f = w.shape[1]
    out = np.zeros((n, f, *sizes))
    for index, o in enumerate(itertools.product(*(range(m) for m in sizes))):
        for i, j in itertools.product(range(n), range(f)):
            total = 0.0 if b is None else float(b[(j, *o)])
            col = 0
            for ci in range(c):
                for t in itertools.product(*(range(kk) for kk in k)):
                    pos = [oo * ss + tt for oo, ss, tt in zip(o, s, t, strict=True)]
                    total += w[index, j, col] * x[(i, ci, *pos)]
                    col += 1
            out[(i, j, *o)] = total
    return out


def naive_lrn(x: Array, size: int, alpha: float, beta: float, k: float) -> Array:
    out = np.zeros_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c - 1, ch + (size - 1) // 2)
        total = sum(x[:, j] ** 2 for j in range(lo, hi + 1))
        out[:, ch] = x[:, ch] / (k + alpha / size * total) ** beta
    return out


def naive_bilinear_axis(x: Array, factor: int, axis: int) -> Array:
    """Linear interpolation along one axis, align_corners=False, source index clamped at 0."""
    m = x.shape[axis]
    pieces = []
    for o in range(m * factor):
        src = max((o + 0.5) / factor - 0.5, 0.0)
        lo = math.floor(src)
        hi = min(lo + 1, m - 1)
        lam = src - lo
        pieces.append(np.take(x, lo, axis=axis) * (1 - lam) + np.take(x, hi, axis=axis) * lam)
    return np.stack(pieces, axis=axis)


ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "leaky_relu": lambda v: v if v >= 0 else 0.01 * v,
    "elu": lambda v: v if v > 0 else math.expm1(v),
    "selu": lambda v: 1.0507009873554805 * (v if v > 0 else 1.6732632423543772 * math.expm1(v)),
    "gelu": lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))),
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "tanh": math.tanh,
    "swish": lambda v: v / (1 + math.exp(-v)),
    "hard_swish": lambda v: v * min(max(v + 3, 0.0), 6.0) / 6,
    "hard_sigmoid": lambda v: min(max(v + 3, 0.0), 6.0) / 6,
    "softplus": lambda v: math.log1p(math.exp(v)),
    "linear": lambda v: v,
}


# --- strategies ---------------------------------------------------------------------------------


@st.composite
def conv_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd = draw(st.integers(1, 3))
    sizes_max = {1: 9, 2: 7, 3: 4}[nd]
    g = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 3))
    fg = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
    sizes = tuple(draw(st.integers(1, sizes_max)) for _ in range(nd))
    return {
        "n": draw(st.integers(1, 2)),
        "c": cg * g,
        "f": fg * g,
        "g": g,
        "kernel": kernel,
        "stride": stride,
        "dilation": dilation,
        "pads": pads,
        "sizes": sizes,
        "bias": draw(st.booleans()),
        "workspace": draw(st.sampled_from([64, 1024, 1 << 20])),
        "seed": draw(st.integers(0, 2**16)),
    }


def fits(case: dict[str, Any]) -> bool:
    return all(
        m + p[0] + p[1] >= d * (k - 1) + 1
        for m, p, d, k in zip(case["sizes"], case["pads"], case["dilation"], case["kernel"], strict=True)
    )


# --- convolution ------------------------------------------------------------------------------


@FAST
@given(conv_cases())
def test_conv_matches_direct_loops(case: dict[str, Any]) -> None:
    assume(fits(case))
    rng = np.random.default_rng(case["seed"])
    x = rand(rng, case["n"], case["c"], *case["sizes"])
    w = rand(rng, case["f"], case["c"] // case["g"], *case["kernel"])
    b = rand(rng, case["f"]) if case["bias"] else None
    counter = MacCounter()
    got = conv.conv(x, w, b, case["stride"], case["pads"], case["dilation"], case["g"], counter, case["workspace"])
    want = naive_conv(x, w, b, case["stride"], case["pads"], case["dilation"], case["g"])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # one MAC per weight use, every tap counted, taps on the zero padding included
    assert counter.macs == math.prod(want.shape) * (case["c"] // case["g"]) * math.prod(case["kernel"])


@FAST
@given(conv_cases())
def test_conv_tap_major_weights_give_the_same_result(case: dict[str, Any]) -> None:
    """The layout the executor allocates for the stride-1 path is only a layout."""
    assume(fits(case) and case["g"] == 1)
    rng = np.random.default_rng(case["seed"])
    x = rand(rng, case["n"], case["c"], *case["sizes"])
    shape = (case["f"], case["c"], *case["kernel"])
    w = conv.tap_major_weights(shape, rand(rng, math.prod(shape)))
    assert w.shape == shape
    got = conv.conv(x, w, None, case["stride"], case["pads"], case["dilation"], 1, MacCounter(), Workspace(4096))
    want = conv.conv(x, np.ascontiguousarray(w), None, case["stride"], case["pads"], case["dilation"], 1, MacCounter())
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_row_shift_path_matches_direct_loops_with_tiles() -> None:
    """Enough channels for the stride-1 path (K >= 32), a workspace that forces several tiles."""
    rng = np.random.default_rng(1)
    x = rand(rng, 2, 16, 9, 7)
    w = conv.tap_major_weights((5, 16, 3, 3), rand(rng, 5 * 16 * 9))
    b = rand(rng, 5)
    pads = ((1, 2), (0, 1))
    assert conv.prefers_tap_major((3, 3), (1, 2), 1, 16)
    counter = MacCounter()
    got = conv.conv(x, w, b, (1, 2), pads, (2, 1), 1, counter, Workspace(6000))
    want = naive_conv(x, np.ascontiguousarray(w), b, (1, 2), pads, (2, 1), 1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert counter.macs == math.prod(want.shape) * 16 * 9


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "sigmoid", "softmax", "linear"])
@pytest.mark.parametrize("channels", [2, 16])
def test_fused_activation_equals_a_separate_one(act: str, channels: int) -> None:
    """The activation applied tile by tile inside conv (both paths, several tiles) equals one pass after it."""
    rng = np.random.default_rng(9)
    x = rand(rng, 2, channels, 9, 8)
    w = rand(rng, 4, channels, 3, 3)
    b = rand(rng, 4)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    fused = conv.conv(x, w, b, *args, MacCounter(), Workspace(2048), act)
    separate = pointwise.activation(conv.conv(x, w, b, *args, MacCounter()), act)
    np.testing.assert_allclose(fused, separate, rtol=1e-12, atol=1e-12)


def test_matmul_add_accumulates_in_place_and_counts() -> None:
    """BLAS accumulates into strided views; other layouts and types fall back to c += a @ b."""
    rng = np.random.default_rng(10)
    dtypes: tuple[npt.DTypeLike, ...] = (np.float32, np.float64, np.int64)
    for dtype in dtypes:
        big = (rng.standard_normal((6, 9)) * 4).astype(dtype)
        a = (rng.standard_normal((6, 5)) * 4).astype(dtype)
        b = (rng.standard_normal((5, 14)) * 4).astype(dtype)
        for c, operand in ((big[:, 2:6], b[:, ::2][:, :4]), (big[:, 1:5], b[:, 3:7])):
            before = c.copy()
            counter = MacCounter()
            counter.matmul_add(a, operand, c)
            np.testing.assert_allclose(c, before + a @ operand, rtol=1e-5)
            assert counter.macs == 6 * 5 * 4
    with pytest.raises(ValueError):
        MacCounter().matmul_add(np.zeros((2, 3)), np.zeros((4, 2)), np.zeros((2, 2)))


def test_workspace_is_reused_and_bounded() -> None:
    rng = np.random.default_rng(2)
    ws = Workspace(limit=64 * 1024)
    x = rand(rng, 1, 8, 32, 32)
    w = rand(rng, 8, 8, 3, 3)
    conv.conv(x, w, None, (2, 2), ((1, 1), (1, 1)), (1, 1), 1, MacCounter(), ws)
    held = dict(ws.buffers)
    assert 0 < ws.buffers["cols"].nbytes <= 64 * 1024
    conv.conv(x, w, None, (2, 2), ((1, 1), (1, 1)), (1, 1), 1, MacCounter(), ws)
    assert ws.buffers["cols"] is held["cols"]  # the same memory, no new allocation


def test_conv_refuses_a_kernel_larger_than_the_input() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        conv.conv(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), None, (1, 1), ((0, 0),) * 2, (1, 1), 1, MacCounter())


@FAST
@given(conv_cases(), st.integers(0, 2))
def test_conv_transpose_matches_direct_loops(case: dict[str, Any], extra: int) -> None:
    rng = np.random.default_rng(case["seed"])
    op = tuple(min(extra, s - 1) for s in case["stride"])
    x = rand(rng, case["n"], case["c"], *case["sizes"])
    w = rand(rng, case["c"], case["f"] // case["g"], *case["kernel"])
    b = rand(rng, case["f"]) if case["bias"] else None
    want_sizes = [
        (m - 1) * s - p[0] - p[1] + d * (k - 1) + o + 1
        for m, s, p, d, k, o in zip(
            case["sizes"], case["stride"], case["pads"], case["dilation"], case["kernel"], op, strict=True
        )
    ]
    assume(min(want_sizes) > 0)
    counter = MacCounter()
    got = conv.conv_transpose(
        x, w, b, case["stride"], case["pads"], case["dilation"], op, case["g"], counter, case["workspace"]
    )
    want = naive_conv_transpose(x, w, b, case["stride"], case["pads"], case["dilation"], op, case["g"])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # every input element meets every weight of its group once
    assert counter.macs == x.size * (case["f"] // case["g"]) * math.prod(case["kernel"])


@FAST
@given(
    st.integers(1, 2),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(3, 6), st.integers(3, 6)),
    st.booleans(),
    st.sampled_from([64, 1 << 20]),
    st.integers(0, 2**16),
)
def test_locally_connected_matches_direct_loops(
    n: int,
    k: tuple[int, int],
    s: tuple[int, int],
    sizes: tuple[int, int],
    bias: bool,
    workspace: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    c, f = 2, 3
    grid = [out_size(m, kk, ss, (0, 0), 1) for m, kk, ss in zip(sizes, k, s, strict=True)]
    x = rand(rng, n, c, *sizes)
    w = rand(rng, math.prod(grid), f, c * math.prod(k))
    b = rand(rng, f, *grid) if bias else None
    counter = MacCounter()
    got = conv.locally_connected(x, w, b, k, s, ((0, 0), (0, 0)), (1, 1), counter, workspace)
    np.testing.assert_allclose(got, naive_locally_connected(x, w, b, k, s), rtol=1e-9, atol=1e-9)
    assert counter.macs == n * w.size  # each position's own weights, once per sample


def test_dense_counts_in_times_out_per_sample() -> None:
    rng = np.random.default_rng(3)
    x = rand(rng, 3, 4, 2, 2)  # flattened to 16 features, channels first
    w = rand(rng, 5, 16)
    b = rand(rng, 5)
    counter = MacCounter()
    got = conv.dense(x, w, b, counter)
    want = np.array(
        [[sum(w[u, i] * x[n].reshape(-1)[i] for i in range(16)) + b[u] for u in range(5)] for n in range(3)]
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert counter.macs == 3 * 16 * 5


# --- pooling ------------------------------------------------------------------------------------


@st.composite
def pool_cases(draw: st.DrawFn) -> dict[str, Any]:
    nd = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    # up to a whole window: beyond PyTorch's limit of half a window, where windows may lie in
    # the padding alone and ceil_mode may drop a window that floor mode keeps
    pads = tuple((draw(st.integers(0, k)), draw(st.integers(0, k))) for k in kernel)
    sizes = tuple(draw(st.integers(1, {1: 9, 2: 6, 3: 4}[nd])) for _ in range(nd))
    return {
        "kind": draw(st.sampled_from(["max_pool", "avg_pool", "sum_pool", "l2_pool"])),
        "kernel": kernel,
        "stride": stride,
        "dilation": dilation,
        "pads": pads,
        "sizes": sizes,
        "ceil": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


@FAST
@given(pool_cases())
def test_pool_matches_direct_loops(case: dict[str, Any]) -> None:
    assume(
        all(
            m + p[0] + p[1] >= d * (k - 1) + 1
            for m, p, d, k in zip(case["sizes"], case["pads"], case["dilation"], case["kernel"], strict=True)
        )
    )
    rng = np.random.default_rng(case["seed"])
    x = rand(rng, 2, 2, *case["sizes"])
    args = (case["kernel"], case["stride"], case["pads"], case["dilation"], case["ceil"])
    got = pool.pool(x, case["kind"], *args)
    want = naive_pool(x, case["kind"], *args)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_ceil_mode_keeps_a_window_that_starts_inside_the_input() -> None:
    """PyTorch's rule, by hand: 6 pixels, window 3, stride 2 -> ceil((6-3)/2)+1 = 3 windows,
    the last one overhangs by one; average divides it by the 2 pixels it covers."""
    x = np.arange(6, dtype=np.float64).reshape(1, 1, 6)
    got = pool.pool(x, "avg_pool", (3,), (2,), ((0, 0),), (1,), True)
    np.testing.assert_allclose(got, [[[1.0, 3.0, 4.5]]])
    # and drops one that would start in the right padding: 3 pixels, padding 1+1, window 1,
    # stride 2: floor mode has 3 windows (the last on padding), ceil_mode 2
    small = np.ones((1, 1, 3))
    assert pool.pool(small, "avg_pool", (1,), (2,), ((1, 1),), (1,), False).shape[-1] == 3
    assert pool.pool(small, "avg_pool", (1,), (2,), ((1, 1),), (1,), True).shape[-1] == 2
    floor = pool.pool(x, "max_pool", (3,), (2,), ((0, 0),), (1,), False)
    np.testing.assert_allclose(floor, [[[2.0, 4.0]]])


def test_global_pool() -> None:
    x = np.arange(24, dtype=np.float64).reshape(1, 2, 3, 4)
    np.testing.assert_allclose(pool.global_pool(x, "global_avg_pool", False), [[5.5, 17.5]])
    assert pool.global_pool(x, "global_max_pool", True).shape == (1, 2, 1, 1)
    np.testing.assert_allclose(pool.global_pool(x, "global_max_pool", False), [[11.0, 23.0]])


# --- element-wise -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_the_formula(name: str) -> None:
    x = np.linspace(-7, 7, 57)
    want = np.array([ACTIVATIONS[name](float(v)) for v in x])
    np.testing.assert_allclose(pointwise.activation(x, name), want, rtol=1e-12, atol=1e-12)
    y = x.copy()
    out = pointwise.activation(y, name, inplace=True)
    assert out is y  # in place means the same buffer
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


def test_activation_never_overflows() -> None:
    x = np.array([-1e4, 1e4], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(pointwise.activation(x, "sigmoid"), [0.0, 1.0])
        np.testing.assert_allclose(pointwise.activation(x, "softplus"), [0.0, 1e4])
        np.testing.assert_allclose(pointwise.softmax(np.array([[1e4, 0.0]])), [[1.0, 0.0]])


def test_softmax_sums_to_one_over_channels() -> None:
    x = np.random.default_rng(4).standard_normal((2, 5, 3, 3))
    out = pointwise.softmax(x)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    e = np.exp(x[0, :, 1, 2])
    np.testing.assert_allclose(out[0, :, 1, 2], e / e.sum())


def test_batch_norm_per_channel() -> None:
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    mean, var = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.0, 2.0])
    gamma, beta = np.array([1.5, 0.5, 1.0]), np.array([0.0, 1.0, -1.0])
    got = pointwise.batch_norm(x, mean, var, gamma, beta, 1e-5)
    for ch in range(3):
        want = (x[:, ch] - mean[ch]) / math.sqrt(var[ch] + 1e-5) * gamma[ch] + beta[ch]
        np.testing.assert_allclose(got[:, ch], want, rtol=1e-12)
    np.testing.assert_allclose(
        pointwise.batch_norm(x, mean, var, None, None, 1e-3)[:, 0], (x[:, 0] - 0.1) / math.sqrt(0.501)
    )


@FAST
@given(st.integers(1, 7), st.integers(1, 8), st.integers(0, 2**16))
def test_lrn_matches_the_formula(size: int, channels: int, seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((2, channels, 3, 2))
    np.testing.assert_allclose(pointwise.lrn(x, size, 1e-2, 0.75, 2.0), naive_lrn(x, size, 1e-2, 0.75, 2.0), rtol=1e-12)


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(0, 2**16))
def test_upsample_matches_per_axis_formulas(scale: list[int], seed: int) -> None:
    x = np.random.default_rng(seed).standard_normal((1, 2, *([3] * len(scale))))
    sizes = [3 * f for f in scale]
    nearest = pointwise.upsample(x, sizes, "nearest")
    for o in itertools.product(*(range(3 * f) for f in scale)):
        src = tuple(oo // f for oo, f in zip(o, scale, strict=True))
        at: tuple[int | slice, ...] = (0, slice(None), *o)
        source: tuple[int | slice, ...] = (0, slice(None), *src)
        np.testing.assert_array_equal(nearest[at], x[source])
    want = x
    for axis, f in enumerate(scale, start=2):
        want = naive_bilinear_axis(want, f, axis)
    np.testing.assert_allclose(pointwise.upsample(x, sizes, "bilinear"), want, rtol=1e-12)


def test_merges() -> None:
    a, b, c = (np.full((1, 2, 2), v) for v in (1.0, 2.0, 3.0))
    np.testing.assert_array_equal(pointwise.add([a, b, c]), np.full((1, 2, 2), 6.0))
    np.testing.assert_array_equal(pointwise.multiply([a, b, c]), np.full((1, 2, 2), 6.0))
    assert pointwise.concat([a, b]).shape == (1, 4, 2)
    assert pointwise.add([a, b]) is not a  # a merge allocates its own output


def test_window_grid_reads_the_view() -> None:
    assert workspace.window_grid((7,), ((0, 0),), (3,), (3,), (1,)) == (2,)  # the slides' "doesn't fit!" case
    assert workspace.window_grid((224, 224), ((1, 1), (1, 1)), (3, 3), (1, 1), (1, 1)) == (224, 224)
    with pytest.raises(ValueError, match="does not fit"):
        workspace.window_grid((2,), ((0, 0),), (3,), (1,), (1,))


# --- against PyTorch ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


def t_(torch: Any, a: Array) -> Any:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


@FAST
@given(case=conv_cases())
def test_conv_matches_torch(torch: Any, case: dict[str, Any]) -> None:
    assume(fits(case))
    f_ = torch.nn.functional
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["sizes"])).astype(np.float32)
    w = rng.standard_normal((case["f"], case["c"] // case["g"], *case["kernel"])).astype(np.float32)
    b = rng.standard_normal(case["f"]).astype(np.float32)
    nd = len(case["kernel"])
    got = conv.conv(x, w, b, case["stride"], case["pads"], case["dilation"], case["g"], MacCounter(), 1024)
    flat_pads = [v for pair in reversed(case["pads"]) for v in pair]  # F.pad: last axis first
    xt = f_.pad(t_(torch, x), flat_pads)
    torch_conv = (f_.conv1d, f_.conv2d, f_.conv3d)[nd - 1]
    want = torch_conv(
        xt, t_(torch, w), t_(torch, b), stride=case["stride"], dilation=case["dilation"], groups=case["g"]
    )
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)


@FAST
@given(case=conv_cases(), extra=st.integers(0, 2))
def test_conv_transpose_matches_torch(torch: Any, case: dict[str, Any], extra: int) -> None:
    f_ = torch.nn.functional
    nd = len(case["kernel"])
    sym = tuple((p[0], p[0]) for p in case["pads"])  # PyTorch pads symmetrically
    op = tuple(min(extra, max(s, d) - 1) for s, d in zip(case["stride"], case["dilation"], strict=True))
    sizes = [
        (m - 1) * s - 2 * p[0] + d * (k - 1) + o + 1
        for m, s, p, d, k, o in zip(
            case["sizes"], case["stride"], sym, case["dilation"], case["kernel"], op, strict=True
        )
    ]
    assume(min(sizes) > 0)
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["sizes"])).astype(np.float32)
    w = rng.standard_normal((case["c"], case["f"] // case["g"], *case["kernel"])).astype(np.float32)
    b = rng.standard_normal(case["f"]).astype(np.float32)
    got = conv.conv_transpose(x, w, b, case["stride"], sym, case["dilation"], op, case["g"], MacCounter())
    deconv = (f_.conv_transpose1d, f_.conv_transpose2d, f_.conv_transpose3d)[nd - 1]
    want = deconv(
        t_(torch, x),
        t_(torch, w),
        t_(torch, b),
        stride=case["stride"],
        padding=tuple(p[0] for p in sym),
        output_padding=op,
        groups=case["g"],
        dilation=case["dilation"],
    )
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)


@FAST
@given(case=pool_cases())
def test_max_and_avg_pool_match_torch(torch: Any, case: dict[str, Any]) -> None:
    f_ = torch.nn.functional
    nd = len(case["kernel"])
    # bring the case within PyTorch's limits instead of filtering (filtering trips a health check):
    # padding at most half the window, and the unpadded input at least as large as the window
    sym = tuple((min(p[0], k // 2),) * 2 for p, k in zip(case["pads"], case["kernel"], strict=True))
    sizes = tuple(
        max(m, d * (k - 1) + 1) for m, d, k in zip(case["sizes"], case["dilation"], case["kernel"], strict=True)
    )
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((2, 3, *sizes)).astype(np.float32)
    padding = tuple(p[0] for p in sym)
    got = pool.pool(x, "max_pool", case["kernel"], case["stride"], sym, case["dilation"], case["ceil"])
    maxpool = (f_.max_pool1d, f_.max_pool2d, f_.max_pool3d)[nd - 1]
    want = maxpool(t_(torch, x), case["kernel"], case["stride"], padding, case["dilation"], ceil_mode=case["ceil"])
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    ones = (1,) * nd
    got = pool.pool(x, "avg_pool", case["kernel"], case["stride"], sym, ones, case["ceil"])
    avgpool = (f_.avg_pool1d, f_.avg_pool2d, f_.avg_pool3d)[nd - 1]
    want = avgpool(t_(torch, x), case["kernel"], case["stride"], padding, ceil_mode=case["ceil"])
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)


def test_l2_pool_matches_torch_lp_pool(torch: Any) -> None:
    x = np.random.default_rng(6).standard_normal((2, 3, 8, 7)).astype(np.float32)
    got = pool.pool(x, "l2_pool", (2, 3), (2, 2), ((0, 0), (0, 0)), (1, 1), False)
    want = torch.nn.functional.lp_pool2d(t_(torch, x), 2, (2, 3), (2, 2))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5)


def test_elementwise_layers_match_torch(torch: Any) -> None:
    f_ = torch.nn.functional
    x = np.random.default_rng(7).standard_normal((2, 6, 5, 4)).astype(np.float32) * 3
    xt = t_(torch, x)
    pairs = {
        "relu": f_.relu(xt),
        "relu6": f_.relu6(xt),
        "leaky_relu": f_.leaky_relu(xt, 0.01),
        "elu": f_.elu(xt),
        "selu": f_.selu(xt),
        "gelu": f_.gelu(xt, approximate="tanh"),
        "sigmoid": torch.sigmoid(xt),
        "tanh": torch.tanh(xt),
        "softmax": f_.softmax(xt, dim=1),
        "swish": f_.silu(xt),
        "hard_swish": f_.hardswish(xt),
        "hard_sigmoid": f_.hardsigmoid(xt),
        "softplus": f_.softplus(xt),
    }
    for name, want in pairs.items():
        np.testing.assert_allclose(pointwise.activation(x, name), want.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(
        pointwise.lrn(x, 5, 1e-4, 0.75, 2.0), f_.local_response_norm(xt, 5, 1e-4, 0.75, 2.0).numpy(), rtol=1e-5
    )
    mean, var = np.linspace(-1, 1, 6).astype(np.float32), np.linspace(0.5, 2, 6).astype(np.float32)
    gamma, beta = np.linspace(0.5, 1.5, 6).astype(np.float32), np.linspace(-0.2, 0.2, 6).astype(np.float32)
    want_bn = f_.batch_norm(xt, t_(torch, mean), t_(torch, var), t_(torch, gamma), t_(torch, beta), False, 0.0, 1e-5)
    np.testing.assert_allclose(
        pointwise.batch_norm(x, mean, var, gamma, beta, 1e-5), want_bn.numpy(), rtol=1e-5, atol=1e-5
    )
    sizes = tuple(n * f for n, f in zip(x.shape[2:], (2, 3), strict=True))
    for mode in ("nearest", "bilinear"):
        want = f_.interpolate(xt, scale_factor=(2, 3), mode=mode)
        np.testing.assert_allclose(pointwise.upsample(x, sizes, mode), want.numpy(), rtol=1e-5, atol=1e-5)
        # to a size that is no whole factor of the input's (LRASPP's 33 to 65)
        odd = (2 * x.shape[2] - 1, 3 * x.shape[3] + 1)
        want = f_.interpolate(xt, size=odd, mode=mode)
        np.testing.assert_allclose(pointwise.upsample(x, odd, mode), want.numpy(), rtol=1e-5, atol=1e-5)
    w, b = np.random.default_rng(8).standard_normal((7, 120)).astype(np.float32), np.zeros(7, dtype=np.float32)
    want = f_.linear(xt.reshape(2, -1), t_(torch, w), t_(torch, b))
    np.testing.assert_allclose(conv.dense(x, w, b, MacCounter()), want.numpy(), rtol=1e-4, atol=1e-4)


# --- the BLAS switch ------------------------------------------------------------------------------
# CNNCALC_NO_BLAS=1 keeps every product in plain NumPy. Both settings must give what the naive loops
# give; the ctypes path must really run where the library is there (else the comparison would prove
# nothing) and never run where it is switched off or not found.

MODES = ["blas", "numpy"]

needs_library = pytest.mark.skipif(
    blas._Cblas.get(np.dtype(np.float32)) is None, reason="NumPy here bundles no OpenBLAS with cblas symbols"
)


@contextmanager
def products(mode: str) -> Iterator[list[bool]]:
    """Set the switch for `mode`; yields the results of every gemm_accumulate call made meanwhile."""
    calls: list[bool] = []
    real = blas.gemm_accumulate

    def spy(a: Any, b: Any, c: Any) -> bool:
        done = real(a, b, c)
        calls.append(done)
        return done

    env = {NO_BLAS_ENV: "1"} if mode == "numpy" else {}
    with mock.patch.dict(os.environ, env), mock.patch.object(blas, "gemm_accumulate", spy):
        if mode == "blas":
            os.environ.pop(NO_BLAS_ENV, None)
        yield calls


@st.composite
def row_shift_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Convolutions that take the stride-1 path: stride 1 and a kernel > 1 on the first axis, K >= 32."""
    nd = draw(st.integers(1, 3))
    kernel = (draw(st.integers(2, 3)), *(draw(st.integers(1, 2)) for _ in range(nd - 1)))
    c = draw(st.integers(-(-32 // math.prod(kernel[1:])), 40 // math.prod(kernel[1:]) + 1))
    sizes = tuple(draw(st.integers(k * 2, k * 2 + 3)) for k in kernel)
    return {
        "n": draw(st.integers(1, 2)),
        "c": c,
        "f": draw(st.integers(1, 4)),
        "kernel": kernel,
        "stride": (1, *(draw(st.integers(1, 2)) for _ in range(nd - 1))),
        "dilation": tuple(draw(st.integers(1, 2)) for _ in range(nd)),
        "pads": tuple((draw(st.integers(0, 1)), draw(st.integers(0, 1))) for _ in range(nd)),
        "sizes": sizes,
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "workspace": draw(st.sampled_from([2048, 8192, 1 << 20])),
        "seed": draw(st.integers(0, 2**16)),
    }


@FAST
@given(row_shift_cases())
def test_row_shift_path_agrees_both_ways_and_with_direct_loops(case: dict[str, Any]) -> None:
    rng = np.random.default_rng(case["seed"])
    x = rand(rng, case["n"], case["c"], *case["sizes"])
    w = rand(rng, case["f"], case["c"], *case["kernel"])
    b = rand(rng, case["f"])
    assert conv.prefers_tap_major(case["kernel"], case["stride"], 1, case["c"])
    want = naive_conv(x, w, b, case["stride"], case["pads"], case["dilation"], 1)
    args = (case["stride"], case["pads"], case["dilation"], 1)
    dtype = case["dtype"]
    tolerance = 1e-9 if dtype == np.float64 else 1e-4
    results = {}
    for mode in MODES:
        counter = MacCounter()
        with products(mode) as calls:
            got = conv.conv(x.astype(dtype), w.astype(dtype), b.astype(dtype), *args, counter, case["workspace"])
        # the stride-1 path sums its taps through matmul_add (unless one row overflows the workspace)
        if mode == "numpy" or not blas.available():
            assert not any(calls)
        else:
            assert all(calls)
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
        assert counter.macs == math.prod(want.shape) * case["c"] * math.prod(case["kernel"])
        results[mode] = got
    np.testing.assert_allclose(results["blas"], results["numpy"], rtol=tolerance, atol=tolerance)


@needs_library
def test_the_ctypes_path_runs_when_allowed() -> None:
    """Without this the both-ways test above could compare NumPy with itself."""
    rng = np.random.default_rng(3)
    x = rand(rng, 1, 16, 8, 8)
    w = rand(rng, 4, 16, 3, 3)
    with products("blas") as calls:
        conv.conv(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, MacCounter(), Workspace(1 << 20))
    assert calls and all(calls)
    assert blas.available()


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_switch_values_that_turn_blas_off(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_BLAS_ENV, value)
    assert blas.disabled()
    assert not blas.available()
    a, b, c = np.ones((2, 3), np.float32), np.ones((3, 4), np.float32), np.zeros((2, 4), np.float32)
    assert not blas.gemm_accumulate(a, b, c)
    np.testing.assert_array_equal(c, 0)  # refused means untouched


@pytest.mark.parametrize("value", ["", "0", "no", "false"])
def test_switch_values_that_leave_blas_on(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_BLAS_ENV, value)
    assert not blas.disabled()


@pytest.mark.parametrize("mode", MODES)
def test_matmul_add_both_ways(mode: str) -> None:
    rng = np.random.default_rng(4)
    dtypes: tuple[npt.DTypeLike, ...] = (np.float32, np.float64)
    for dtype in dtypes:
        big = rng.standard_normal((7, 12)).astype(dtype)
        a = rng.standard_normal((7, 5)).astype(dtype)
        b = rng.standard_normal((5, 12)).astype(dtype)
        c = big[:, 3:9]
        before = c.copy()
        with products(mode):
            MacCounter().matmul_add(a, b[:, ::2], c)
        np.testing.assert_allclose(c, before + a @ b[:, ::2], rtol=1e-5, atol=1e-5)


def unsafe_operands() -> list[tuple[str, Array, Array, Array]]:
    base = np.arange(36, dtype=np.float64).reshape(6, 6)
    a = base[:3, :3].copy()
    readonly = np.zeros((3, 3))
    readonly.flags.writeable = False
    return [
        ("c is a", base[:3, :3], base[3:, :3], base[:3, :3]),
        ("c overlaps b", a, base[:3, 1:4], base[:3, :3]),
        ("k = 0", np.ones((2, 0)), np.ones((0, 3)), np.zeros((2, 3))),
        ("m = 0", np.ones((0, 2)), np.ones((2, 3)), np.zeros((0, 3))),
        ("reversed rows", a[::-1], a, np.zeros((3, 3))),
        ("overlapping rows", np.lib.stride_tricks.as_strided(a, (3, 3), (8, 8)), a, np.zeros((3, 3))),
        ("column stride", a, a.T, np.zeros((3, 3))),
        ("mixed types", a.astype(np.float32), a, np.zeros((3, 3))),
        ("integers", a.astype(np.int64), a.astype(np.int64), np.zeros((3, 3), np.int64)),
        ("read-only c", a, a, readonly),
    ]


@pytest.mark.parametrize("index", range(10))
def test_unsafe_operands_never_reach_blas(index: int) -> None:
    """Overlap, empty, reversed, overlapping or transposed rows, other types, read-only: NumPy's way."""
    what, a, b, c = unsafe_operands()[index]
    before = c.copy()
    assert not blas.gemm_accumulate(a, b, c), what
    np.testing.assert_array_equal(c, before)


@needs_library
def test_safe_operands_reach_blas() -> None:
    """The contrast to the cases above: strided views that BLAS can address are accumulated in place."""
    base = np.arange(36, dtype=np.float64).reshape(6, 6)
    c = base[3:, 1:4]
    want = c + base[:3, :2] @ base[:2, 3:6]
    assert blas.gemm_accumulate(base[:3, :2], base[:2, 3:6], c)
    np.testing.assert_array_equal(c, want)


def test_no_library_found_means_no_ctypes_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing folder, an empty one, or a file that is not a library: nothing loaded, NumPy used."""
    assert blas._load(tmp_path / "absent") == {}
    assert blas._load(tmp_path) == {}
    (tmp_path / "libscipy_openblas64_-0.so").write_bytes(b"not an ELF file")
    assert blas._load(tmp_path) == {}
    monkeypatch.setattr(blas, "numpy_libs", lambda: tmp_path)
    monkeypatch.setattr(blas._Cblas, "loaded", False)
    monkeypatch.setattr(blas._Cblas, "functions", {})
    monkeypatch.delenv(NO_BLAS_ENV, raising=False)
    assert not blas.available()
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 5))
    c = np.ones((4, 5))
    assert not blas.gemm_accumulate(a, b, c)
    MacCounter().matmul_add(a, b, c)
    np.testing.assert_allclose(c, 1 + a @ b, rtol=1e-12)


SWITCHED_OFF = """
import numpy as np
from cnncalc.numeric import blas, conv
rng = np.random.default_rng(0)
x = rng.standard_normal((1, 16, 9, 9)).astype(np.float32)
w = rng.standard_normal((4, 16, 3, 3)).astype(np.float32)
conv.conv(x, w, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, blas.MacCounter())
print("loaded" if blas._Cblas.loaded else "never looked up")
"""


def test_switch_in_a_fresh_process_never_looks_the_library_up() -> None:
    env = {**os.environ, NO_BLAS_ENV: "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", SWITCHED_OFF], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "never looked up"


ROW_SHIFT_NET = "12x12x16 | conv3-16 p=1 act=relu | conv3-8 p=1 | maxpool2 | conv3-8 | flatten | fc-10"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_row_shift_path_matches_torch_both_ways(torch: Any, mode: str, nd: int) -> None:
    f_ = torch.nn.functional
    rng = np.random.default_rng(20 + nd)
    kernel = (3, 2, 2)[:nd]
    sizes = (9, 7, 5)[:nd]
    x = rng.standard_normal((2, 40, *sizes)).astype(np.float32)
    w = rng.standard_normal((5, 40, *kernel)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    stride, dilation = (1, 2, 1)[:nd], (2, 1, 1)[:nd]
    pads = ((1, 1),) * nd
    assert conv.prefers_tap_major(kernel, stride, 1, 40)
    with products(mode) as calls:
        got = conv.conv(x, w, b, stride, pads, dilation, 1, MacCounter(), Workspace(1 << 20))
    assert calls and all(calls) == (mode == "blas" and blas.available())
    torch_conv = (f_.conv1d, f_.conv2d, f_.conv3d)[nd - 1]
    want = torch_conv(t_(torch, x), t_(torch, w), t_(torch, b), stride=stride, padding=1, dilation=dilation)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_verify_passes_both_ways(mode: str) -> None:
    from cnncalc.features.verify.run import verify
    from cnncalc.spec.dsl import load_dsl

    with products(mode) as calls:
        result = verify(load_dsl(ROW_SHIFT_NET))
    assert result.ok, result.mismatches()
    assert calls
    if mode == "numpy":
        assert not any(calls)


KERNEL_MODULES = ("blas", "conv", "pointwise", "pool", "workspace")


@pytest.mark.parametrize("name", KERNEL_MODULES)
def test_kernel_modules_import_only_numpy_and_each_other(name: str) -> None:
    """The kernels compute from arrays: no symbolic rule (cnncalc.layers, analysis, geometry) is in reach."""
    import ast

    source = Path(conv.__file__).with_name(f"{name}.py").read_text()
    for node in ast.walk(ast.parse(source)):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        for module in modules:
            assert not module.startswith("cnncalc") or module.startswith("cnncalc.numeric."), (name, module)
            assert module.split(".")[-1] not in ("executor", "verify"), (name, module)


def test_released_buffers_are_reused_only_at_their_size() -> None:
    ws = Workspace(limit=1 << 20)
    a = ws.output((2, 3, 4), np.dtype(np.float32))
    ws.release(a)
    assert ws.output((4, 6), np.dtype(np.float32)).base is a  # the same memory, another shape
    assert ws.output((4, 6), np.dtype(np.float32)).base is not a  # taken: new memory
    ws.release(np.empty(1 << 19, dtype=np.float32))  # 2 MiB: over the limit, not kept
    assert ws.spare == []
    for size in range(1, workspace.SPARE_BUFFERS + 2):
        ws.release(np.empty(size, dtype=np.float32))
    assert [b.size for b in ws.spare] == list(range(2, workspace.SPARE_BUFFERS + 2))  # the oldest went back


def test_a_run_restores_numpy_huge_page_advice() -> None:
    from cnncalc.numeric import executor

    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:
        pytest.skip("this NumPy has no huge-page switch")
    before = setter(True)
    try:
        with executor.small_pages():
            assert setter(False) is False  # off inside the run
        assert setter(True) is True  # and back on after it
    finally:
        setter(before)
