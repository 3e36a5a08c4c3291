"""Convolution, locally connected and dense kernels: the weighted sums, their products counted.

Arrays are batched and channels-first: (N, C, *spatial) for a feature map, (N, F) for a
vector. No kernel knows the symbolic rules of cnncalc.layers: an output is as large as
the array operations make it (a sliding window fits where it fits), and the
multiply-accumulates are counted by `blas.MacCounter` from the operands of every matrix
product actually executed, so `verify` compares two independent derivations.

Convolutions copy sliding-window views into a bounded, reused workspace (im2col, see
`cnncalc.numeric.workspace`) and multiply by BLAS; no Python loop runs over output
positions, only over samples, workspace tiles and, where noted, kernel taps. The stride-1
path sums its per-tap products with `MacCounter.matmul_add` (see `cnncalc.numeric.blas`
for the switch that keeps those sums in plain NumPy). Pooling, which multiplies nothing,
is in `cnncalc.numeric.pool`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from cnncalc.numeric.blas import Array, MacCounter
from cnncalc.numeric.pointwise import activation, softmax
from cnncalc.numeric.workspace import (
    DEFAULT_WORKSPACE,
    Pair,
    Workspace,
    as_workspace,
    padded,
    tiles,
    window_grid,
    windows,
)

Index = tuple[Any, ...]

#: the im2col variant that copies only the trailing kernel axes pays off from this K on
_ROW_SHIFT_MIN_K = 32


# --- convolutions ---------------------------------------------------------------------------------


def conv(
    x: Array,
    w: Array,
    b: Array | None,
    stride: Sequence[int],
    pads: Sequence[Pair],
    dilation: Sequence[int],
    groups: int,
    counter: MacCounter,
    workspace: int | Workspace = DEFAULT_WORKSPACE,
    activation: str | None = None,
) -> Array:
    """Convolution (cross-correlation, as deep-learning frameworks compute it).

    x: (N, C, *spatial); w: (F, C / groups, *kernel), PyTorch's layout (any strides:
    `tap_major_weights` gives the layout the stride-1 path reads without a copy);
    b: (F,) or None. Zero padding, (before, after) per axis; 1, 2 or 3 spatial axes.
    `activation` (an element-wise function) is applied to each output tile while it is
    in the caches, after its bias.
    """
    ws = as_workspace(workspace)
    n, c = x.shape[:2]
    f = w.shape[0]
    kernel = w.shape[2:]
    if c != w.shape[1] * groups or f % groups:
        raise ValueError(f"conv: {c} input channels do not fit weights {w.shape} with groups={groups}")
    grid = window_grid(x.shape[2:], pads, kernel, stride, dilation)
    out = ws.output((n, f, *grid), x.dtype)
    padded_size = prod(m + a + z for m, (a, z) in zip(x.shape[2:], pads, strict=True))
    row_shift = prefers_tap_major(kernel, stride, groups, c)
    bias = None if b is None else b.reshape((f,) + (1,) * len(kernel))
    per_tile = None if activation in (None, "linear", "softmax") else activation
    for i in range(n):
        if row_shift and _conv_row_shift(x[i], pads, w, bias, per_tile, stride, dilation, out[i], counter, ws):
            continue
        xp = padded(x[i], pads, into=ws.take("pad", c * padded_size, x.dtype))
        _conv_im2col(xp, w, bias, per_tile, stride, dilation, groups, out[i], counter, ws)
    if activation == "softmax":
        softmax(out, inplace=True)
    return out


def prefers_tap_major(kernel: Sequence[int], stride: Sequence[int], groups: int, channels: int) -> bool:
    """Whether `conv` takes its row-shift path, which reads weights tap-major (see below)."""
    row_k = (channels // groups) * prod(kernel[1:])
    return groups == 1 and stride[0] == 1 and kernel[0] > 1 and row_k >= _ROW_SHIFT_MIN_K


def tap_major_weights(shape: tuple[int, ...], fill: Array) -> Array:
    """A conv weight of PyTorch's `shape` (F, C, k0, ...) stored tap-major (k0, F, C, ...).

    `fill` is a flat array of prod(shape) values, reshaped without a copy. The stride-1
    path multiplies one (F, C x k1 x ...) slice per first-axis tap, which this layout
    holds contiguous: no re-layout copy per call.
    """
    f, c, k0, *rest = shape
    return np.moveaxis(fill.reshape(k0, f, c, *rest), 0, 2)


def _product(counter: MacCounter, a: Array, b: Array, target: Array, bias: Array | None) -> None:
    """target = a @ b, plus `bias` (one value per row of the result) where given.

    a, b and target are matrices or equal stacks of them. With a bias and one matrix,
    target is filled with the bias (a broadcast write) and BLAS accumulates the product
    onto it (`matmul_add`): adding a per-row vector after the product is a broadcast add,
    which NumPy runs several times slower than the fill.
    """
    if bias is None:
        counter.matmul(a, b, out=target)
        return
    if a.ndim == 3 and a.shape[0] == 1 and b.ndim == 3 and target.ndim == 3:
        a, b, target = a[0], b[0], target[0]
    rows = bias.reshape(*target.shape[:-1], 1)
    if a.ndim == 2 and b.ndim == 2:
        np.copyto(target, rows)
        counter.matmul_add(a, b, target)
    else:
        counter.matmul(a, b, out=target)
        target += rows


def _conv_im2col(
    xp: Array,
    w: Array,
    bias: Array | None,
    act: str | None,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    out: Array,
    counter: MacCounter,
    ws: Workspace,
) -> None:
    """One padded sample: windows copied to (groups, K, positions) tiles, one batched GEMM each."""
    f = w.shape[0]
    kernel = w.shape[2:]
    nd = len(kernel)
    k = w.shape[1] * prod(kernel)
    wm = w.reshape(groups, f // groups, k)
    out_sizes = out.shape[1:]
    itemsize = xp.dtype.itemsize
    if all(s == 1 for s in kernel) and all(s == 1 for s in stride):
        # a 1x1 convolution with stride 1 multiplies the input itself: no copy at all
        cols_all = xp.reshape(groups, k, -1)
        flat = out.reshape(groups, f // groups, -1)
        step = max(1, ws.tile // ((groups * k + f) * itemsize))
        for start in range(0, flat.shape[-1], step):
            target = flat[..., start : start + step]
            _product(counter, wm, cols_all[..., start : start + step], target, bias)
            if act is not None:
                activation(target, act, inplace=True)
        return
    view = windows(xp, kernel, stride, dilation)  # (C, *out, *kernel)
    # (C, *kernel, *out): a column per output position
    view = view.transpose((0, *range(1 + nd, 1 + 2 * nd), *range(1, 1 + nd)))
    for box in tiles(out_sizes, (groups * k + f) * itemsize, ws.tile):
        tile = tuple(s.stop - s.start for s in box)
        positions = prod(tile)
        cols = ws.take("cols", groups * k * positions, xp.dtype).reshape((xp.shape[0], *kernel, *tile))
        np.copyto(cols, view[(slice(None),) * (1 + nd) + box])
        target = out[(slice(None), *box)]
        if target.flags.c_contiguous:
            into = target.reshape(groups, f // groups, positions)
            _product(counter, wm, cols.reshape(groups, k, positions), into, bias)
        else:
            target[...] = counter.matmul(wm, cols.reshape(groups, k, positions)).reshape(target.shape)
            if bias is not None:
                target += bias
        if act is not None:
            activation(target, act, inplace=True)


def _conv_row_shift(
    x: Array,
    pads: Sequence[Pair],
    w: Array,
    bias: Array | None,
    act: str | None,
    stride: Sequence[int],
    dilation: Sequence[int],
    out: Array,
    counter: MacCounter,
    ws: Workspace,
) -> bool:
    """Stride 1 along the first axis: copy windows of the other axes only, one GEMM per first-axis tap.

    Tap t of the first kernel axis reads the copied rows t*d .. t*d + rows, a strided
    view that BLAS takes as it is; BLAS sums the k0 products into the output (beta = 1). This copies k0
    times less than full im2col. The rows are copied from the unpadded sample x, with the
    padding written as zeros into the copy (`_band`): no padded copy of x is made. Returns
    False when one row does not fit the workspace (the caller then tiles finer with full im2col).
    """
    f, c = w.shape[:2]
    kernel = w.shape[2:]
    k0, d0 = kernel[0], dilation[0]
    rest_k = c * prod(kernel[1:])
    out_sizes = out.shape[1:]
    trailing = prod(out_sizes[1:])
    halo = d0 * (k0 - 1)
    itemsize = x.dtype.itemsize
    per_row = (rest_k + f) * trailing * itemsize
    fixed = rest_k * halo * trailing * itemsize
    rows_per_tile = (ws.tile - fixed) // per_row
    if rows_per_tile < 1:
        rows_per_tile = (ws.limit - fixed) // per_row
        if rows_per_tile < 1:
            return False
    rows_per_tile = min(rows_per_tile, out_sizes[0])
    wk = np.ascontiguousarray(np.moveaxis(w, 2, 0)).reshape(k0, f, rest_k)  # free for tap_major_weights
    flat_out = out.reshape(f, -1)
    for start in range(0, out_sizes[0], rows_per_tile):
        rows = min(rows_per_tile, out_sizes[0] - start)
        rows_in = rows + halo
        cols = ws.take("cols", rest_k * rows_in * trailing, x.dtype)
        _band(x, cols.reshape(c, *kernel[1:], rows_in, *out_sizes[1:]), start, pads, stride[1:], dilation[1:])
        cols3 = cols.reshape(rest_k, rows_in, trailing)
        target = flat_out[:, start * trailing : (start + rows) * trailing]
        for t in range(k0):
            operand = cols3[:, t * d0 : t * d0 + rows].reshape(rest_k, rows * trailing)
            if t == 0:
                _product(counter, wk[t], operand, target, bias)
            else:
                counter.matmul_add(wk[t], operand, target)
        if act is not None:
            activation(target, act, inplace=True)
    return True


def _band(
    x: Array, band: Array, start: int, pads: Sequence[Pair], stride: Sequence[int], dilation: Sequence[int]
) -> None:
    """Fill band (C, *taps, rows, *out) with the windows of the zero-padded x, from x itself.

    band[:, t, r, o] = xp[:, start + r, o * stride + t * dilation] per trailing axis, where xp
    is x with `pads`: each tap's window is one slice copy from x, and the parts that fall on
    the padding are written as zeros.
    """
    key = (x.shape, band.shape, start, tuple(map(tuple, pads)), tuple(stride), tuple(dilation))
    zeros, copies = _band_plan(*key)
    for index in zeros:
        band[index] = 0
    for target, source in copies:
        band[target] = x[source]


@functools.lru_cache(maxsize=256)
def _band_plan(
    shape: tuple[int, ...],
    band_shape: tuple[int, ...],
    start: int,
    pads: tuple[Pair, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[tuple[Index, ...], tuple[tuple[Index, Index], ...]]:
    """The slices `_band` writes: the regions of zeros, and each (band region, x region) copy.

    Remembered per geometry, as a network repeats a few: working the slices out costs about
    as much as the copies of a small layer.
    """
    nd = len(shape) - 1
    taps, rows, outs = band_shape[1:nd], band_shape[nd], band_shape[nd + 1 :]
    first = pads[0][0]
    row_lo, row_hi = max(0, first - start), min(rows, first + shape[1] - start)
    zeros: list[Index] = []
    copies: list[tuple[Index, Index]] = []
    for tap in itertools.product(*(range(k) for k in taps)):
        inside = [(row_lo, row_hi)]
        source: list[slice] = [slice(start + row_lo - first, start + row_hi - first)]
        for n, o, t, s, d, (a, _) in zip(shape[2:], outs, tap, stride, dilation, pads[1:], strict=True):
            offset = t * d - a  # output position j reads x at j * s + offset
            lo, hi = max(0, -(offset // s)), min(o, (n - 1 - offset) // s + 1)
            inside.append((lo, hi))
            source.append(slice(lo * s + offset, (hi - 1) * s + offset + 1, s))
        if any(hi <= lo for lo, hi in inside):
            zeros.append((slice(None), *tap))
            continue
        for axis, (lo, hi) in enumerate(inside):
            skip = (slice(None),) * axis
            size = (rows, *outs)[axis]
            if lo > 0:
                zeros.append((slice(None), *tap, *skip, slice(0, lo)))
            if hi < size:
                zeros.append((slice(None), *tap, *skip, slice(hi, None)))
        copies.append(((slice(None), *tap, *(slice(lo, hi) for lo, hi in inside)), (slice(None), *source)))
    return tuple(zeros), tuple(copies)


def conv_transpose(
    x: Array,
    w: Array,
    b: Array | None,
    stride: Sequence[int],
    pads: Sequence[Pair],
    dilation: Sequence[int],
    output_padding: Sequence[int],
    groups: int,
    counter: MacCounter,
    workspace: int | Workspace = DEFAULT_WORKSPACE,
) -> Array:
    """Transposed convolution, as PyTorch's ConvTranspose: each input position scatters a patch.

    x: (N, C, *spatial); w: (C, F / groups, *kernel), PyTorch's layout. The products
    W^T x are one GEMM per input tile; the scatter (col2im) loops over kernel taps.
    `pads` crop the full output; `output_padding` adds positions after it.
    """
    n, c = x.shape[:2]
    kernel = w.shape[2:]
    nd = len(kernel)
    fg = w.shape[1]
    f = fg * groups
    cg = c // groups
    in_sizes = x.shape[2:]
    full = tuple((m - 1) * s + d * (k - 1) + 1 for m, s, d, k in zip(in_sizes, stride, dilation, kernel, strict=True))
    sizes = tuple(
        fl - a - z + op for fl, (a, z), op in zip(full, pads, output_padding, strict=True)
    )  # the size PyTorch defines, cut from the full scatter
    if min(sizes) <= 0:
        raise ValueError(f"conv_transpose: padding {pads} crops everything")
    extent = tuple(max(fl, a + s) for fl, (a, _), s in zip(full, pads, sizes, strict=True))
    wt = w.reshape(groups, cg, fg * prod(kernel)).transpose(0, 2, 1)  # (g, F/g * prod(k), C/g)
    out = np.empty((n, f, *sizes), dtype=x.dtype)
    itemsize = x.dtype.itemsize
    per_row = f * prod(kernel) * prod(in_sizes[1:]) * itemsize
    rows_per_tile = max(1, as_workspace(workspace).tile // max(per_row, 1))
    for i in range(n):
        acc = np.zeros((f, *extent), dtype=x.dtype)
        xg = x[i].reshape(groups, cg, *in_sizes)
        for start in range(0, in_sizes[0], rows_per_tile):
            rows = min(rows_per_tile, in_sizes[0] - start)
            block = xg[:, :, start : start + rows].reshape(groups, cg, -1)
            cols = counter.matmul(wt, block).reshape(f, *kernel, rows, *in_sizes[1:])
            for tap in itertools.product(*(range(k) for k in kernel)):
                begin = (
                    start * stride[0] + tap[0] * dilation[0],
                    *(t * d for t, d in zip(tap[1:], dilation[1:], strict=True)),
                )
                counts = (rows, *in_sizes[1:])
                region = tuple(
                    slice(bg, bg + (m - 1) * s + 1, s) for bg, m, s in zip(begin, counts, stride, strict=True)
                )
                target: tuple[Any, ...] = (slice(None), *region)
                source: tuple[Any, ...] = (slice(None), *tap)
                acc[target] += cols[source]
        crop = tuple(slice(a, a + s) for (a, _), s in zip(pads, sizes, strict=True))
        out[i] = acc[(slice(None), *crop)]
    if b is not None:
        out += b.reshape((f,) + (1,) * nd)
    return out


def locally_connected(
    x: Array,
    w: Array,
    b: Array | None,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[Pair],
    dilation: Sequence[int],
    counter: MacCounter,
    workspace: int | Workspace = DEFAULT_WORKSPACE,
) -> Array:
    """A convolution with a separate filter bank per output position (Keras's LocallyConnected).

    w: (positions, F, C * prod(kernel)); b: (F, *out) or None. One batched GEMM per tile of
    positions: (P, F, K) @ (P, K, N).
    """
    n, c = x.shape[:2]
    nd = len(kernel)
    xp = padded(x, pads)
    view = windows(xp, kernel, stride, dilation)  # (N, C, *out, *kernel)
    out_sizes = view.shape[2 : 2 + nd]
    positions = prod(out_sizes)
    f = w.shape[1]
    k = c * prod(kernel)
    if w.shape != (positions, f, k):
        raise ValueError(f"locally_connected: weights {w.shape} do not fit {positions} positions x {k} inputs")
    # (*out, C, *kernel, N): per position a (K, N) matrix
    cols_view = view.transpose((*range(2, 2 + nd), 1, *range(2 + nd, 2 + 2 * nd), 0))
    flat = np.empty((positions, f, n), dtype=x.dtype)
    per_position = (k + f) * n * x.dtype.itemsize
    done = 0
    for box in tiles(out_sizes, per_position, as_workspace(workspace).tile):
        tile = tuple(s.stop - s.start for s in box)
        count = prod(tile)
        cols = np.ascontiguousarray(cols_view[box]).reshape(count, k, n)
        counter.matmul(w[done : done + count], cols, out=flat[done : done + count])
        done += count
    out = np.ascontiguousarray(flat.reshape(*out_sizes, f, n).transpose((nd + 1, nd, *range(nd))))
    if b is not None:
        out += b
    return out


def dense(x: Array, w: Array, b: Array | None, counter: MacCounter) -> Array:
    """Fully connected: x flattened per sample, times w.T (w: (units, in), PyTorch's layout)."""
    flat = x.reshape(x.shape[0], -1)
    out = counter.matmul(flat, w.T)
    if b is not None:
        out += b
    return out
