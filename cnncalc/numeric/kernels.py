"""The forward step of each layer kind, and the numeric core's capability table `KERNELS`.

A forward step reads a layer's hyper-parameters from its model, calls the kernels of
`conv`, `pool` and `pointwise` on the arrays, and returns the output array; `KERNELS`
maps every layer class the numeric core runs to its forward step and, for a kind with
weights, to its `init_*` in cnncalc.numeric.params. Both `forward_layer` and `init_params`
look a layer up there, so a kind it does not list is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnncalc.layers import LayerBase
from cnncalc.layers.capabilities import Capabilities
from cnncalc.layers.conv import Conv, ConvTranspose, DepthwiseConv, LocallyConnected, SeparableConv
from cnncalc.layers.crop import Crop, crop_pairs
from cnncalc.layers.dense import Dense
from cnncalc.layers.elementwise import (
    Activation,
    BatchNorm,
    ChannelShuffle,
    ChannelSlice,
    Dropout,
    Flatten,
    LayerNorm,
    LocalResponseNorm,
    Scale,
)
from cnncalc.layers.merge import Add, Concat, Multiply
from cnncalc.layers.pad import Pad
from cnncalc.layers.pool import GlobalPool, Pool
from cnncalc.layers.preprocess import Normalize
from cnncalc.layers.resample import Upsample
from cnncalc.layers.reshape import Unflatten
from cnncalc.numeric import conv, pointwise, pool
from cnncalc.numeric.blas import Array, MacCounter
from cnncalc.numeric.params import (
    Context,
    ParamSet,
    axes,
    init_batch_norm,
    init_conv,
    init_dense,
    init_depthwise,
    init_layer_norm,
    init_local,
    init_normalize,
    init_scale,
    init_separable,
    init_transposed,
    paddings,
)
from cnncalc.numeric.workspace import Pair

# --- the forward step of each layer kind ----------------------------------------------------------


def forward_layer(
    layer: LayerBase, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    """The output of `layer` on `inputs`; `inplace` lets an element-wise layer overwrite its input."""
    kernel = KERNELS.handler(layer, "verify cannot run", layer.name or layer.kind)
    return kernel.forward(layer, inputs, p, counter, ctx, inplace)


def init_params(layer: LayerBase, input_shape: tuple[int, ...], ctx: Context) -> ParamSet:
    """Seeded random weights for `layer` on a batched input of `input_shape`.

    Weights are uniform in +-sqrt(6 / fan_in) (He's uniform init), biases in
    +-1/sqrt(fan_in) (PyTorch's default): values stay in range through deep networks.
    """
    p = ParamSet()
    kernel = KERNELS.handler(layer, "verify cannot run", layer.name or layer.kind)
    if kernel.init is not None:
        c = input_shape[1] if len(input_shape) > 1 else 0
        kernel.init(layer, input_shape, c, ctx, p)
    return p


#: kernel, stride, (before, after) padding and dilation per spatial axis
_Window = tuple[tuple[int, ...], tuple[int, ...], tuple[Pair, ...], tuple[int, ...]]


def _window(layer: Conv | DepthwiseConv | SeparableConv | LocallyConnected | Pool, x: Array) -> _Window:
    """kernel, stride, paddings and dilation per spatial axis of a sliding layer on `x`."""
    nd = x.ndim - 2
    kernel = axes(layer.kernel, nd)
    raw_stride = layer.kernel if isinstance(layer, Pool) and layer.stride is None else layer.stride
    assert raw_stride is not None
    stride = axes(raw_stride, nd)
    dilation = axes(layer.dilation, nd)
    return kernel, stride, paddings(layer.padding, x.shape[2:], kernel, stride, dilation), dilation


def _transposed_paddings(layer: ConvTranspose, nd: int, sizes: Sequence[int]) -> tuple[Pair, ...]:
    """A transposed conv's 'same' makes the output input x stride (PyTorch-style cropping)."""
    kernel = axes(layer.kernel, nd)
    stride = axes(layer.stride, nd)
    dilation = axes(layer.dilation, nd)
    if layer.padding != "same":
        return paddings(layer.padding, sizes, kernel, stride, dilation)
    extra = axes(layer.output_padding, nd)
    pairs: list[Pair] = []
    for k, s, d, op in zip(kernel, stride, dilation, extra, strict=True):
        total = d * (k - 1) + 1 + op - s
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


def _run_conv(
    layer: Conv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    _, stride, pads, dilation = _window(layer, x)
    w, b, ws, act = p.need("weight"), p.bias(), ctx.workspace, layer.activation
    return conv.conv(x, w, b, stride, pads, dilation, layer.groups, counter, ws, act)


def _run_depthwise(
    layer: DepthwiseConv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    _, stride, pads, dilation = _window(layer, x)
    w, b, ws, act = p.need("weight"), p.bias(), ctx.workspace, layer.activation
    return conv.conv(x, w, b, stride, pads, dilation, x.shape[1], counter, ws, act)


def _run_separable(
    layer: SeparableConv, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
    ws = ctx.workspace
    _, stride, pads, dilation = _window(layer, x)
    mid = conv.conv(x, p.need("depthwise"), None, stride, pads, dilation, x.shape[1], counter, ws)
    ones = (1,) * nd
    pointwise_weights, b = p.need("pointwise"), p.get("bias")
    return conv.conv(mid, pointwise_weights, b, ones, ((0, 0),) * nd, ones, 1, counter, ws, layer.activation)


def _run_transposed(
    layer: ConvTranspose, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
    out = conv.conv_transpose(
        x,
        p.need("weight"),
        p.get("bias"),
        axes(layer.stride, nd),
        _transposed_paddings(layer, nd, x.shape[2:]),
        axes(layer.dilation, nd),
        axes(layer.output_padding, nd),
        layer.groups,
        counter,
        ctx.workspace,
    )
    return _fused(out, layer.activation)


def _run_local(
    layer: LocallyConnected, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    kernel, stride, pads, dilation = _window(layer, x)
    w, b = p.need("weight"), p.get("bias")
    out = conv.locally_connected(x, w, b, kernel, stride, pads, dilation, counter, ctx.workspace)
    return _fused(out, layer.activation)


def _run_dense(
    layer: Dense, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return _fused(conv.dense(inputs[0], p.need("weight"), p.get("bias"), counter), layer.activation)


def _run_pool(
    layer: Pool, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    kernel, stride, pads, dilation = _window(layer, inputs[0])
    return pool.pool(inputs[0], layer.kind, kernel, stride, pads, dilation, layer.ceil_mode, ctx.workspace)


def _run_global_pool(
    layer: GlobalPool, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pool.global_pool(inputs[0], layer.kind, layer.keepdims)


def _run_activation(
    layer: Activation, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    if p.fused == "applied":  # the batch norm before it applied it (see the executor's `_plan_fusions`); in place
        return inputs[0]
    return pointwise.activation(inputs[0], layer.kind, layer.negative_slope, inplace=inplace)


def _run_dropout(
    layer: Dropout, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return inputs[0] if inplace else inputs[0].copy()  # identity at inference


def _run_flatten(
    layer: Flatten, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    flat = inputs[0].reshape(inputs[0].shape[0], -1)
    return flat if inplace else flat.copy()


def _run_unflatten(
    layer: Unflatten, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    view = x.reshape(x.shape[0], x.shape[1], *(1,) * layer.axes)
    return view if inplace else view.copy()


def _run_crop(
    layer: Crop, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    pairs = crop_pairs(layer.crop, x.ndim - 2)
    view = x[(slice(None), slice(None), *(slice(a, n - b) for n, (a, b) in zip(x.shape[2:], pairs, strict=True)))]
    return view if inplace else view.copy()


def _run_pad(
    layer: Pad, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    """Zeros around each spatial axis: a new array, the input copied into its middle."""
    x = inputs[0]
    nd = x.ndim - 2
    pairs = paddings(layer.padding, x.shape[2:], (1,) * nd, (1,) * nd, (1,) * nd)
    out = np.zeros((*x.shape[:2], *(n + a + b for n, (a, b) in zip(x.shape[2:], pairs, strict=True))), x.dtype)
    out[(slice(None), slice(None), *(slice(a, a + n) for n, (a, _) in zip(x.shape[2:], pairs, strict=True)))] = x
    return out


def _run_normalize(
    layer: Normalize, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    std = np.sqrt(p.need("variance")).astype(x.dtype).reshape(shape)
    mean = p.need("mean").astype(x.dtype).reshape(shape)
    out: Array = np.subtract(x, mean, out=ctx.workspace.output(x.shape, x.dtype))
    np.divide(out, std, out=out)
    return out


def _run_batch_norm(
    layer: BatchNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    mean, var, into = p.need("running_mean"), p.need("running_var"), ctx.workspace.output(x.shape, x.dtype)
    if p.fused == "folded+relu":  # the convolution scaled and shifted x (see the executor's `_plan_fusions`)
        return np.maximum(x, 0, out=into)
    if p.fused == "folded":
        np.copyto(into, x)
        return into
    return pointwise.batch_norm(x, mean, var, p.get("gamma"), p.get("beta"), layer.epsilon, into)


def _run_lrn(
    layer: LocalResponseNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.lrn(inputs[0], layer.size, layer.alpha, layer.beta, layer.k)


def _run_layer_norm(
    layer: LayerNorm, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.layer_norm(inputs[0], p.get("gamma"), p.get("beta"), layer.epsilon)


def _run_scale(
    layer: Scale, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.scale(inputs[0], layer.op, layer.value, p.get("weight"))


def _run_channel_shuffle(
    layer: ChannelShuffle, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.channel_shuffle(inputs[0], layer.groups)


def _run_channel_slice(
    layer: ChannelSlice, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    part = inputs[0][:, layer.start : layer.stop]
    return part if inplace else part.copy()


def _run_upsample(
    layer: Upsample, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    nd = x.ndim - 2
    if layer.size is not None:
        sizes = axes(layer.size, nd)
    else:
        sizes = tuple(n * f for n, f in zip(x.shape[2:], axes(layer.scale, nd), strict=True))
    return pointwise.upsample(x, sizes, layer.mode)


def _run_add(
    layer: Add, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    x = inputs[0]
    same = all(a.shape == x.shape and a.dtype == x.dtype for a in inputs)
    return pointwise.add(inputs, ctx.workspace.output(x.shape, x.dtype) if same else None)


def _run_multiply(
    layer: Multiply, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.multiply(inputs)


def _run_concat(
    layer: Concat, inputs: Sequence[Array], p: ParamSet, counter: MacCounter, ctx: Context, inplace: bool
) -> Array:
    return pointwise.concat(inputs)


#: a layer's forward step: (layer, inputs, weights, MAC counter, context, may overwrite its input) -> output
Forward = Callable[[Any, Sequence[Array], ParamSet, MacCounter, Context, bool], Array]
#: allocating a layer's weights: (layer, batched input shape, input channels, context, into)
Init = Callable[[Any, tuple[int, ...], int, Context, ParamSet], None]


@dataclass(frozen=True)
class Kernel:
    """How the numeric core runs one layer class: its forward step and, if it has weights, their allocation."""

    forward: Forward
    init: Init | None = None


#: the numeric core's capability table: every layer class it runs, and how
KERNELS: Capabilities[Kernel] = Capabilities(
    feature="the numeric core",
    lacks="kernel",
    handlers={
        Conv: Kernel(_run_conv, init_conv),
        DepthwiseConv: Kernel(_run_depthwise, init_depthwise),
        SeparableConv: Kernel(_run_separable, init_separable),
        ConvTranspose: Kernel(_run_transposed, init_transposed),
        LocallyConnected: Kernel(_run_local, init_local),
        Dense: Kernel(_run_dense, init_dense),
        Pool: Kernel(_run_pool),
        GlobalPool: Kernel(_run_global_pool),
        Activation: Kernel(_run_activation),
        Dropout: Kernel(_run_dropout),
        Flatten: Kernel(_run_flatten),
        BatchNorm: Kernel(_run_batch_norm, init_batch_norm),
        LocalResponseNorm: Kernel(_run_lrn),
        LayerNorm: Kernel(_run_layer_norm, init_layer_norm),
        Scale: Kernel(_run_scale, init_scale),
        ChannelShuffle: Kernel(_run_channel_shuffle),
        ChannelSlice: Kernel(_run_channel_slice),
        Upsample: Kernel(_run_upsample),
        Add: Kernel(_run_add),
        Multiply: Kernel(_run_multiply),
        Concat: Kernel(_run_concat),
        Unflatten: Kernel(_run_unflatten),
        Crop: Kernel(_run_crop),
        Pad: Kernel(_run_pad),
        Normalize: Kernel(_run_normalize, init_normalize),
    },
)


def _fused(out: Array, name: str | None) -> Array:
    """A Keras-style `activation:` applied in place on the layer's fresh output."""
    return out if name is None or name == "linear" else pointwise.activation(out, name, inplace=True)
