"""Pooling kernels: maxima, sums and means over sliding windows, and over a whole map.

Arrays are batched and channels-first, as in `cnncalc.numeric.conv`. Pooling multiplies no
matrices, so nothing here counts MACs; the windows are views of the padded input
(`cnncalc.numeric.workspace`), combined tap by tap.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from cnncalc.numeric.blas import Array
from cnncalc.numeric.workspace import Pair, Workspace, padded, windows


def pool(
    x: Array,
    kind: str,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Sequence[Pair],
    dilation: Sequence[int],
    ceil_mode: bool,
    workspace: Workspace | None = None,
) -> Array:
    """Max, average, sum or L2 pooling over windows, with PyTorch's padding semantics.

    Max pooling pads with -inf (padding is never picked); the others pad with zeros.
    Average divides by the taps inside the padded input (count_include_pad=True, as
    PyTorch's default): with ceil_mode a last window that overhangs the padding counts
    only its taps inside it. ceil_mode adds windows until the last one starts beyond
    the input and its left padding (PyTorch's rule).
    """
    nd = len(kernel)
    sizes = x.shape[2:]
    extra: list[Pair] = []
    counts: list[int] = []
    for m, k, s, d, (a, z) in zip(sizes, kernel, stride, dilation, pads, strict=True):
        length = m + a + z
        span = d * (k - 1) + 1
        count = (length - span) // s + 1
        if ceil_mode:
            count = -(-(length - span) // s) + 1
            if (count - 1) * s >= m + a:
                count -= 1
        overhang = max(0, (count - 1) * s + span - length)
        extra.append((a, z + overhang))
        counts.append(count)
    fill = -np.inf if kind == "max_pool" else 0.0
    size = prod((*x.shape[:2], *(m + a + z for m, (a, z) in zip(sizes, extra, strict=True))))
    xp = padded(x, extra, fill, into=None if workspace is None else workspace.take("pad", size, x.dtype))
    # (N, C, *out, *kernel); ceil_mode may also drop a window floor mode would keep
    keep: tuple[Any, ...] = (slice(None), slice(None), *(slice(0, c) for c in counts))
    view = windows(xp, kernel, stride, dilation)[keep]
    indices: list[tuple[Any, ...]] = [(Ellipsis, *tap) for tap in itertools.product(*(range(k) for k in kernel))]
    taps = [view[index] for index in indices]
    out: Array
    if kind == "l2_pool":
        out = np.square(taps[0])
        for values in taps[1:]:
            out += np.square(values)
    elif len(taps) == 1:
        out = taps[0].copy()
    else:
        combine = np.maximum if kind == "max_pool" else np.add
        into = None if workspace is None else workspace.output(taps[0].shape, x.dtype)
        out = combine(taps[0], taps[1], out=into)  # the first two taps make the output: no extra copy
        for values in taps[2:]:
            combine(out, values, out=out)
    if kind == "l2_pool":
        np.sqrt(out, out=out)
    elif kind == "avg_pool":
        out /= _taps_inside(view.shape[2 : 2 + nd], kernel, stride, dilation, sizes, pads)
    return out


def _taps_inside(
    out_sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    sizes: Sequence[int],
    pads: Sequence[Pair],
) -> Array:
    """Number of taps of each window that fall inside the padded input (not the overhang)."""
    result = np.ones((1,) * len(kernel), dtype=np.float64)
    for axis, (o, k, s, d, m, (a, z)) in enumerate(zip(out_sizes, kernel, stride, dilation, sizes, pads, strict=True)):
        starts = np.arange(o) * s
        taps = starts[:, None] + np.arange(k)[None, :] * d
        inside = (taps < m + a + z).sum(axis=1).astype(np.float64)
        shape = [1] * len(kernel)
        shape[axis] = o
        result = result * inside.reshape(shape)
    return result


def global_pool(x: Array, kind: str, keepdims: bool) -> Array:
    """Mean or max over all spatial axes."""
    axes = tuple(range(2, x.ndim))
    out: Array = (
        np.max(x, axis=axes, keepdims=keepdims)
        if kind == "global_max_pool"
        else np.mean(x, axis=axes, keepdims=keepdims)
    )
    return out
