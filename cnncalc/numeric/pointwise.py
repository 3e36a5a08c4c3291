"""Element-wise and per-position kernels: activations, normalisations, resampling, merges.

Arrays are batched and channels-first, as in `cnncalc.numeric.conv`; none of these
kernels multiplies matrices, so none counts MACs. Activations can work in place (the
executor and the fused conv tiles use that to spare a copy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


def activation(x: Array, name: str, negative_slope: float = 0.01, inplace: bool = False) -> Array:
    """An element-wise function; with inplace the result overwrites x (and is x).

    gelu is the tanh approximation (PyTorch's approximate='tanh'); hard_sigmoid and
    hard_swish are PyTorch's (relu6(x + 3) / 6).
    """
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
    scale, shift = batch_norm_affine(mean, var, gamma, beta, epsilon)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out: Array = np.multiply(x, scale.astype(x.dtype).reshape(shape), out=into)
    out += shift.astype(x.dtype).reshape(shape)
    return out


def batch_norm_affine(
    mean: Array, var: Array, gamma: Array | None, beta: Array | None, epsilon: float
) -> tuple[Array, Array]:
    """Inference batch norm as y = x * scale + shift per channel: (scale, shift), in float64."""
    scale = 1 / np.sqrt(var.astype(np.float64) + epsilon)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    return scale, shift


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


def upsample(x: Array, sizes: Sequence[int], mode: str) -> Array:
    """To `sizes` positions per spatial axis, as PyTorch's F.interpolate: nearest takes the
    position floor(i * n / m); bilinear is linear per axis with align_corners=False."""
    out = x
    for axis, size in enumerate(sizes, start=2):
        m = out.shape[axis]
        if mode == "nearest":
            out = np.take(out, np.minimum((np.arange(size) * m) // size, m - 1), axis=axis)
            continue
        src = (np.arange(size) + 0.5) * m / size - 0.5
        src = np.maximum(src, 0)
        low = np.minimum(np.floor(src).astype(np.intp), m - 1)
        high = np.minimum(low + 1, m - 1)
        lam = (src - low).astype(x.dtype)
        shape = [1] * out.ndim
        shape[axis] = size
        lam = lam.reshape(shape)
        out = np.take(out, low, axis=axis) * (1 - lam) + np.take(out, high, axis=axis) * lam
    return out if out is not x else x.copy()


def add(inputs: Sequence[Array], into: Array | None = None) -> Array:
    """The sum of `inputs`; `into` (of the result's shape and type, none of the inputs) receives it."""
    out: Array = np.add(inputs[0], inputs[1], out=into)
    for extra in inputs[2:]:
        out = out + extra if extra.shape != out.shape else np.add(out, extra, out=out)
    return out


def multiply(inputs: Sequence[Array]) -> Array:
    out: Array = np.multiply(inputs[0], inputs[1])
    for extra in inputs[2:]:
        out = out * extra if extra.shape != out.shape else np.multiply(out, extra, out=out)
    return out


def concat(inputs: Sequence[Array]) -> Array:
    return np.concatenate(inputs, axis=1)


def scale(x: Array, op: str, value: float, weight: Array | None) -> Array:
    """x (op) a constant: the layer's fixed value, or a learned one per channel (axis 1)."""
    const: Any = value if weight is None else weight.reshape((1, -1) + (1,) * (x.ndim - 2))
    ufunc = {"multiply": np.multiply, "add": np.add, "subtract": np.subtract, "divide": np.divide}.get(op, np.power)
    out: Array = ufunc(x, const)
    return out


def layer_norm(x: Array, gamma: Array | None, beta: Array | None, epsilon: float) -> Array:
    """Normalise the channels (axis 1) at each position: (x - mean) / sqrt(var + eps) * gamma + beta."""
    mean = x.mean(axis=1, keepdims=True)
    out: Array = x - mean
    var = np.mean(out * out, axis=1, keepdims=True)
    out /= np.sqrt(var + epsilon)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if gamma is not None:
        out *= gamma.reshape(shape)
    if beta is not None:
        out += beta.reshape(shape)
    return out


def channel_shuffle(x: Array, groups: int) -> Array:
    """(N, g, C/g, ...) transposed to (N, C/g, g, ...) and read as (N, C, ...), as ShuffleNet does."""
    n, c = x.shape[:2]
    grid = x.reshape(n, groups, c // groups, *x.shape[2:])
    out: Array = np.ascontiguousarray(grid.swapaxes(1, 2)).reshape(x.shape)
    return out
