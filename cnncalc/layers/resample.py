"""Upsampling by an integer factor (nearest or bilinear), the decoder half of image-to-image nets.

No parameters. FLOPs per output element: nearest 0 (a copy); linear interpolation
(2^d - 1) lerps of 3 FLOPs (subtract, multiply, add) over d spatial axes: 9 for bilinear.
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.conventions import Conventions
from cnncalc.layers.base import Counts, LayerBase, PerDim, Shape, fmt_dims, per_dim, spatial_rank


class Upsample(LayerBase):
    """Repeat (nearest) or interpolate (bilinear) each position `scale` times per axis."""

    kind: Literal["upsample"]
    scale: PerDim = Field(default=2, description="Integer factor per spatial axis.")
    mode: Literal["nearest", "bilinear"] = Field(default="nearest", description="How new positions are filled.")
    stem: ClassVar[str] = "up"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, "upsample")
        factors = per_dim(self.scale, ndim, "scale")
        out = (x[0], *(n * f for n, f in zip(x[1:], factors, strict=True)))
        per_element = 0 if self.mode == "nearest" else 3 * (2**ndim - 1)
        return Counts(output=out, flops=per_element * prod(out), ends_receptive_field=True)

    def describe(self) -> str:
        scale = fmt_dims(self.scale if isinstance(self.scale, list) else [self.scale])
        return f"x{scale}, {self.mode}"
