"""Pooling: max / average / sum / L2 over windows, and global pooling.

No parameters to learn. FLOPs per output element, for a window of K taps:
max K-1 comparisons; sum K-1 adds; average K (K-1 adds, 1 divide);
L2 ("square sum") 2K (K squares, K-1 adds, 1 square root).
"""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field

from cnncalc.conventions import Conventions
from cnncalc.layers.base import (
    Counts,
    LayerBase,
    NonNegative,
    PaddingSpec,
    PerDim,
    Shape,
    check_declared,
    fmt_dims,
    fmt_padding,
    spatial_rank,
)
from cnncalc.layers.conv import slide

PoolKind = Literal["max_pool", "avg_pool", "sum_pool", "l2_pool"]
GlobalPoolKind = Literal["global_avg_pool", "global_max_pool"]


def window_flops(kind: str, taps: int) -> int:
    """FLOPs to reduce one window of `taps` values (see the module docstring)."""
    if kind in ("max_pool", "sum_pool", "global_max_pool"):
        return taps - 1
    if kind in ("avg_pool", "global_avg_pool"):
        return taps
    return 2 * taps  # l2_pool


class Pool(LayerBase):
    """Max, average, sum or L2 pooling with PyTorch's padding and ceil_mode rules."""

    kind: PoolKind
    kernel: PerDim = Field(default=2, description="Window size: one int, or one per spatial axis.")
    stride: PerDim | None = Field(default=None, description="Step between windows; defaults to the kernel size.")
    padding: PaddingSpec = Field(default=0, description="Padding per side, as for conv.")
    dilation: PerDim = Field(default=1, description="Spacing between window taps (max pooling in PyTorch).")
    ceil_mode: bool = Field(
        default=False, description="Round the output size up, as PyTorch's ceil_mode (last window may overhang)."
    )
    in_channels: NonNegative | None = Field(default=None, description="Expected input channels; checked.")
    stem = "pool"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        stride = self.kernel if self.stride is None else self.stride
        geo = slide(x, self.kind, self.kernel, stride, self.padding, self.dilation, self.ceil_mode)
        check_declared(self.in_channels, x[0], "in_channels", "channels")
        out = (x[0], *geo.out)
        return Counts(
            output=out,
            flops=prod(out) * window_flops(self.kind, prod(geo.kernel)),
            warnings=geo.warnings,
            window=geo.window,
        )

    def describe(self) -> str:
        stride = self.kernel if self.stride is None else self.stride
        k = fmt_dims(self.kernel if isinstance(self.kernel, list) else [self.kernel])
        s = fmt_dims(stride if isinstance(stride, list) else [stride])
        text = f"f={k}, s={s}"
        if self.padding != 0:
            text += f", p={fmt_padding(self.padding)}"
        if self.ceil_mode:
            text += ", ceil"
        return text


class GlobalPool(LayerBase):
    """Average or max over all spatial positions: (C, *spatial) -> (C,)."""

    kind: GlobalPoolKind
    keepdims: bool = Field(default=False, description="Keep the spatial axes as size 1, as PyTorch's AdaptivePool(1).")
    stem = "gpool"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, self.kind)
        out = (x[0], *(1,) * ndim) if self.keepdims else (x[0],)
        return Counts(output=out, flops=x[0] * window_flops(self.kind, prod(x[1:])), ends_receptive_field=True)
