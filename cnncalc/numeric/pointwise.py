"""Element-wise and per-position kernels: activations, normalisations, resampling, merges.

Arrays are batched and channels-first, as in `cnncalc.numeric.conv`; none of these
kernels multiplies matrices, so none counts MACs. Activations can work in place (the
executor and the fused conv tiles use that to spare a copy).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

#: a pass over fewer elements than this runs in one thread: handing work to another thread
#: costs tens of microseconds, as much as a pass over this many float32 values
SPLIT_MIN = 1 << 16


def threads() -> int:
    """How many threads the element-wise passes use: as many as BLAS is told to
    (OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS), else the CPUs this process may run on."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return min(int(value), 16)
    try:
        return min(len(os.sched_getaffinity(0)), 16)
    except (AttributeError, OSError):
        return min(os.cpu_count() or 1, 16)


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="cnncalc")


def split_rows(work: Callable[[slice], None], rows: int, elements: int) -> None:
    """Run `work` on slices that together cover range(rows), in parallel when it pays.

    NumPy releases the GIL inside its element-wise loops, so the element-wise passes of a
    forward pass (batch norm, residual adds, ReLU) run on as many cores as BLAS does, as a
    framework's do; each slice's result is the same whichever thread computes it.
    `elements` is the size of the whole pass.
    """
    parts = min(threads(), rows, max(1, elements // SPLIT_MIN))
    if parts <= 1:
        work(slice(0, rows))
        return
    bounds = [rows * k // parts for k in range(parts + 1)]
    pool = _pool(parts - 1)
    futures = [pool.submit(work, slice(a, b)) for a, b in list(itertools.pairwise(bounds))[1:]]
    work(slice(bounds[0], bounds[1]))
    for future in futures:
        future.result()


def _rows(x: Array) -> Array:
    """x as (N x C, positions) without a copy (x is C-contiguous), or x itself as one row."""
    return x.reshape(x.shape[0] * x.shape[1], -1) if x.ndim > 2 else x.reshape(1, -1)


def activation(x: Array, name: str, negative_slope: float = 0.01, inplace: bool = False) -> Array:
    """An element-wise function; with inplace the result overwrites x (and is x).

    gelu is the tanh approximation (PyTorch's approximate='tanh'); hard_sigmoid and
    hard_swish are PyTorch's (relu6(x + 3) / 6).
    """
    if name == "relu" and x.flags.c_contiguous:
        return _relu(x, inplace)
    out = x if inplace else x.copy()
    if name == "relu":
        np.maximum(out, 0, out=out)
    elif name == "relu6":
        np.clip(out, 0, 6, out=out)
    elif name == "leaky_relu":
        np.multiply(out, negative_slope, out=out, where=out < 0)
    elif name == "elu":
        np.copyto(out, np.where(out > 0, out, np.expm1(np.minimum(out, 0))))
    elif name == "selu":
        alpha, scale = 1.6732632423543772, 1.0507009873554805
        np.copyto(out, scale * np.where(out > 0, out, alpha * np.expm1(np.minimum(out, 0))))
    elif name == "gelu":
        inner = np.tanh(np.sqrt(2 / np.pi) * (out + 0.044715 * out**3))
        np.multiply(out, 0.5 * (1 + inner), out=out)
    elif name == "sigmoid":
        _sigmoid(out)
    elif name == "tanh":
        np.tanh(out, out=out)
    elif name == "softmax":
        softmax(out, inplace=True)
    elif name == "swish":
        gate = _sigmoid(out.copy())
        out *= gate
    elif name == "hard_swish":
        out *= np.clip(out + 3, 0, 6) / 6
    elif name == "hard_sigmoid":
        out += 3
        np.clip(out, 0, 6, out=out)
        out /= 6
    elif name == "softplus":
        np.logaddexp(0, out, out=out)
    elif name != "linear":
        raise ValueError(f"unknown activation {name!r}")
    return out


def _relu(x: Array, inplace: bool) -> Array:
    out = x if inplace else np.empty_like(x)
    source, target = _rows(x), _rows(out)

    def part(rows: slice) -> None:
        np.maximum(source[rows], 0, out=target[rows])

    split_rows(part, target.shape[0], target.size)
    return out


def _sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)) in place, as 0.5 (1 + tanh(x / 2)), which never overflows."""
    x *= 0.5
    np.tanh(x, out=x)
    x += 1
    x *= 0.5
    return x


def softmax(x: Array, inplace: bool = False) -> Array:
    """Softmax over axis 1 (the channels of a map, the features of a vector)."""
    out = x if inplace else x.copy()
    out -= out.max(axis=1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def batch_norm(
    x: Array,
    mean: Array,
    var: Array,
    gamma: Array | None,
    beta: Array | None,
    epsilon: float,
    into: Array | None = None,
) -> Array:
    """Inference batch norm: (x - mean) / sqrt(var + eps) * gamma + beta, per channel (axis 1).

    `into` (an array of x's shape and type, not x) receives the result instead of new memory.
    """
    scale = 1 / np.sqrt(var + epsilon)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    scale, shift = scale.astype(x.dtype), shift.astype(x.dtype)
    if not x.flags.c_contiguous or x.ndim < 2:
        out: Array = np.multiply(x, scale.reshape(shape), out=into)
        out += shift.reshape(shape)
        return out
    out = np.empty_like(x) if into is None else into
    source, target = _rows(x), _rows(out)
    # one (scale, shift) per row of the (N x C, positions) view
    row_scale = np.tile(scale, x.shape[0])[:, None]
    row_shift = np.tile(shift, x.shape[0])[:, None]

    def part(rows: slice) -> None:
        np.multiply(source[rows], row_scale[rows], out=target[rows])
        target[rows] += row_shift[rows]

    split_rows(part, target.shape[0], target.size)
    return out


def lrn(x: Array, size: int, alpha: float, beta: float, k: float) -> Array:
    """Local response normalisation across channels, PyTorch's formula.

    b_c = a_c / (k + alpha / size * sum of a^2 over the channels c - size//2 .. c + (size-1)//2)^beta
    """
    squares = np.square(x)
    channels = x.shape[1]
    before = size // 2
    pads = [(0, 0)] * x.ndim
    pads[1] = (before, size - 1 - before)
    sq = np.pad(squares, pads)
    total = np.zeros_like(x)
    for t in range(size):
        total += sq[:, t : t + channels]
    total *= alpha / size
    total += k
    np.power(total, beta, out=total)
    return x / total


def upsample(x: Array, scale: Sequence[int], mode: str) -> Array:
    """Nearest: repeat each position; bilinear: linear per axis, PyTorch's align_corners=False."""
    out = x
    for axis, factor in enumerate(scale, start=2):
        if mode == "nearest":
            out = np.repeat(out, factor, axis=axis)
            continue
        m = out.shape[axis]
        src = (np.arange(m * factor) + 0.5) / factor - 0.5
        src = np.maximum(src, 0)
        low = np.floor(src).astype(np.intp)
        high = np.minimum(low + 1, m - 1)
        lam = (src - low).astype(x.dtype)
        shape = [1] * out.ndim
        shape[axis] = m * factor
        lam = lam.reshape(shape)
        out = np.take(out, low, axis=axis) * (1 - lam) + np.take(out, high, axis=axis) * lam
    return out if out is not x else x.copy()


def add(inputs: Sequence[Array], into: Array | None = None) -> Array:
    """The sum of `inputs`; `into` (of the result's shape and type, none of the inputs) receives it."""
    first = inputs[0]
    if into is None or not all(a.shape == first.shape and a.flags.c_contiguous for a in inputs):
        out: Array = np.add(inputs[0], inputs[1], out=into)
        for extra in inputs[2:]:
            out += extra
        return out
    rows = [_rows(a) for a in inputs]
    target = _rows(into)

    def part(span: slice) -> None:
        np.add(rows[0][span], rows[1][span], out=target[span])
        for extra in rows[2:]:
            target[span] += extra[span]

    split_rows(part, target.shape[0], target.size)
    return into


def multiply(inputs: Sequence[Array]) -> Array:
    out = np.multiply(inputs[0], inputs[1])
    for extra in inputs[2:]:
        out *= extra
    return out


def concat(inputs: Sequence[Array]) -> Array:
    return np.concatenate(inputs, axis=1)
