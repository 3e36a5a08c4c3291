"""A layer's weights for the numeric run: seeded arrays, each with its role.

`ParamSet` holds one layer's arrays; the `init_*` functions allocate them per layer kind,
uniform in He's bounds from the generator the executor seeds for that layer, and the
`KERNELS` table (cnncalc.numeric.kernels) says which kind uses which. Also here: the
per-axis hyper-parameters (`axes`, `paddings`) read off the layer models, which both the
weights' shapes and the forward steps need. No symbolic rule of cnncalc.layers is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any, Literal

import numpy as np

from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import BatchNorm, LayerNorm, Scale
from cnncalc.layers.preprocess import Normalize
from cnncalc.numeric import conv
from cnncalc.numeric.blas import Array
from cnncalc.numeric.workspace import Pair, Workspace, windows

#: what an allocated array is, for counting it under the report's conventions:
#: weight (always a param), bias (a param unless biases are not counted), shift (batch
#: norm's beta: always), state (batch norm's running statistics: a param only as Keras counts),
#: constant (numbers a layer computes with that no convention counts: a fixed mean and std)
Role = Literal["weight", "bias", "shift", "state", "constant"]

#: how a layer's work was done by the layer before it (see the executor's `_plan_fusions`): "" not at all;
#: "folded" a batch norm whose scale and shift its convolution applied; "folded+relu" the same,
#: and the ReLU that reads it is applied with its copy; "applied" that ReLU
Fused = Literal["", "folded", "folded+relu", "applied"]


@dataclass
class ParamSet:
    """The arrays of one layer's weights, each with its role."""

    arrays: dict[str, tuple[Array, Role]] = field(default_factory=dict)
    #: arrays computed from the weights of this and other layers at set-up, never counted as
    #: parameters: a convolution's bias with the batch norm after it folded in
    derived: dict[str, Array] = field(default_factory=dict)
    fused: Fused = ""

    def get(self, name: str) -> Array | None:
        found = self.arrays.get(name)
        return None if found is None else found[0]

    def need(self, name: str) -> Array:
        found = self.arrays[name]
        return found[0]

    def elements(self, role: Role) -> int:
        return sum(a.size for a, r in self.arrays.values() if r == role)

    def bias(self) -> Array | None:
        """The bias the forward step adds: a folded one where there is one, else the layer's own."""
        return self.derived.get("bias", self.get("bias"))


@dataclass
class Context:
    """What a layer's set-up and forward step read besides the layer: the run's settings."""

    rng: np.random.Generator  # the generator of the layer being set up (the executor's `_init`)
    dtype: np.dtype[Any]
    workspace: Workspace
    inplace: bool
    seed: int = 0


# --- hyper-parameters, resolved from the layer models --------------------------------------------


def axes(value: int | Sequence[int], nd: int) -> tuple[int, ...]:
    """One int for every spatial axis, or the list given (one per axis)."""
    if isinstance(value, int):
        return (value,) * nd
    if len(value) != nd:
        raise ValueError(f"{list(value)} gives {len(value)} values for {nd} spatial axes")
    return tuple(value)


def paddings(
    padding: str | int | Sequence[int | Sequence[int]],
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[Pair, ...]:
    """(before, after) per axis from any spelling; 'same' as TensorFlow (extra pixel after)."""
    nd = len(sizes)
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        pairs: list[Pair] = []
        for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
            positions = -(-n // s)
            total = max((positions - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    if isinstance(padding, int):
        return ((padding, padding),) * nd
    assert not isinstance(padding, str)
    if len(padding) != nd:
        raise ValueError(f"padding {padding} has {len(padding)} entries for {nd} spatial axes")
    return tuple((p, p) if isinstance(p, int) else (p[0], p[1]) for p in padding)


# --- weights ---------------------------------------------------------------------------------------


def init_conv(layer: Conv, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    nd = len(input_shape) - 2
    kernel = axes(layer.kernel, nd)
    shape = (layer.filters, c // layer.groups, *kernel)
    if conv.prefers_tap_major(kernel, axes(layer.stride, nd), layer.groups, c):
        flat = _uniform(ctx, (prod(shape),), -1.0, 1.0)
        flat *= float(np.sqrt(6 / prod(shape[1:])))
        p.arrays["weight"] = (conv.tap_major_weights(shape, flat), "weight")
    else:
        _weight(p, ctx, "weight", shape)
    _bias(p, ctx, layer.bias, (layer.filters,), (c // layer.groups) * prod(kernel))


def init_depthwise(layer: DepthwiseConv, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    _weight(p, ctx, "weight", (c * layer.multiplier, 1, *kernel))
    _bias(p, ctx, layer.bias, (c * layer.multiplier,), prod(kernel))


def init_separable(layer: SeparableConv, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    nd = len(input_shape) - 2
    kernel = axes(layer.kernel, nd)
    mid = c * layer.multiplier
    _weight(p, ctx, "depthwise", (mid, 1, *kernel))
    _weight(p, ctx, "pointwise", (layer.filters, mid, *(1,) * nd))
    _bias(p, ctx, layer.bias, (layer.filters,), mid)


def init_transposed(layer: ConvTranspose, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    _weight(p, ctx, "weight", (c, layer.filters // layer.groups, *kernel), fan_in=c * prod(kernel))
    _bias(p, ctx, layer.bias, (layer.filters,), c * prod(kernel))


def init_local(layer: LocallyConnected, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    kernel = axes(layer.kernel, len(input_shape) - 2)
    grid = _grid(layer, input_shape[2:], kernel)
    _weight(p, ctx, "weight", (prod(grid), layer.filters, c * prod(kernel)))
    _bias(p, ctx, layer.bias, (layer.filters, *grid), c * prod(kernel))


def init_dense(layer: Dense, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    features = prod(input_shape[1:])
    _weight(p, ctx, "weight", (layer.units, features))
    _bias(p, ctx, layer.bias, (layer.units,), features)


def init_batch_norm(layer: BatchNorm, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    if layer.affine and layer.scale:
        p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
    if layer.affine and layer.center:
        p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")
    p.arrays["running_mean"] = (_uniform(ctx, (c,), -0.1, 0.1), "state")
    p.arrays["running_var"] = (_uniform(ctx, (c,), 0.5, 1.5), "state")


def init_normalize(layer: Normalize, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    """Mean and variance per channel; Keras's adapt() keeps them with a count, all three as weights."""
    p.arrays["mean"] = (_uniform(ctx, (c,), -0.1, 0.1), "state" if layer.stored else "constant")
    p.arrays["variance"] = (_uniform(ctx, (c,), 0.5, 1.5), "state" if layer.stored else "constant")
    if layer.stored:
        p.arrays["count"] = (np.ones((1,), dtype=ctx.dtype), "state")


def init_layer_norm(layer: LayerNorm, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    if layer.affine:
        p.arrays["gamma"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")
        p.arrays["beta"] = (_uniform(ctx, (c,), -0.1, 0.1), "shift")


def init_scale(layer: Scale, input_shape: tuple[int, ...], c: int, ctx: Context, p: ParamSet) -> None:
    if layer.learned:
        p.arrays["weight"] = (_uniform(ctx, (c,), 0.5, 1.5), "weight")


def _grid(layer: LocallyConnected, sizes: Sequence[int], kernel: Sequence[int]) -> tuple[int, ...]:
    """Output positions of a locally connected layer: the windows that fit, read off a view.

    The view is of a zero-stride array of the padded size, so nothing is allocated.
    """
    nd = len(sizes)
    stride = axes(layer.stride, nd)
    dilation = axes(layer.dilation, nd)
    pads = paddings(layer.padding, sizes, kernel, stride, dilation)
    shape = tuple(n + a + b for n, (a, b) in zip(sizes, pads, strict=True))
    view = windows(np.broadcast_to(np.float32(0), shape), kernel, stride, dilation)
    return tuple(view.shape[:nd])


def _uniform(ctx: Context, shape: tuple[int, ...], low: float, high: float) -> Array:
    a = ctx.rng.random(shape, dtype=ctx.dtype)  # in place from here on: no float64 temporary
    a *= high - low
    a += low
    return a


def _weight(p: ParamSet, ctx: Context, name: str, shape: tuple[int, ...], fan_in: int | None = None) -> None:
    fan = fan_in if fan_in is not None else prod(shape[1:])
    bound = float(np.sqrt(6 / max(fan, 1)))
    p.arrays[name] = (_uniform(ctx, shape, -bound, bound), "weight")


def _bias(p: ParamSet, ctx: Context, present: bool, shape: tuple[int, ...], fan_in: int) -> None:
    if present:
        bound = float(1 / np.sqrt(max(fan_in, 1)))
        p.arrays["bias"] = (_uniform(ctx, shape, -bound, bound), "bias")
