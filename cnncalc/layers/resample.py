"""Upsampling by an integer factor, or to a given size (nearest or bilinear), the decoder half of
image-to-image nets (a segmentation head resized to the input: 65x65 from 33x33).

No parameters. FLOPs per output element: nearest 0 (a copy); linear interpolation
(2^d - 1) lerps of 3 FLOPs (subtract, multiply, add) over d spatial axes: 9 for bilinear.
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.layers.base import AXIS_NAMES, Counts, LayerBase, PerDim, Shape, Step, per_dim, spatial_rank
from cnncalc.layers.steps import elementwise_flops_step, fmt_dims, no_params_steps


class Upsample(LayerBase):
    """Repeat (nearest) or interpolate (bilinear) each position `scale` times per axis, or to
    `size` positions per axis (F.interpolate's `size`: the factor need not be whole)."""

    kind: Literal["upsample"] = Field(description="upsample: repeat (nearest) or interpolate (bilinear).")
    scale: PerDim = Field(default=2, description="Integer factor per spatial axis.")
    size: PerDim | None = Field(
        default=None, description="Output size per spatial axis, instead of a factor (F.interpolate's size)."
    )
    mode: Literal["nearest", "bilinear"] = Field(default="nearest", description="How new positions are filled.")
    stem: ClassVar[str] = "up"
    family: ClassVar[str] = "resample"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, "upsample")
        if self.size is not None:
            out = (x[0], *per_dim(self.size, ndim, "size"))
        else:
            factors = per_dim(self.scale, ndim, "scale")
            out = (x[0], *(n * f for n, f in zip(x[1:], factors, strict=True)))
        per_element = 0 if self.mode == "nearest" else 3 * (2**ndim - 1)
        return Counts(output=out, flops=per_element * prod(out), ends_receptive_field=True)

    def describe(self) -> str:
        if self.size is not None:
            return f"to {fmt_dims(self.size if isinstance(self.size, list) else [self.size])}, {self.mode}"
        scale = fmt_dims(self.scale if isinstance(self.scale, list) else [self.scale])
        return f"x{scale}, {self.mode}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        steps = [Step("output C", "output", "c_in", str(x[0]), x[0], axis=0)]
        names = AXIS_NAMES[len(x) - 1]
        if self.size is not None:
            steps += [
                Step(f"output {name}", "output", "size", str(out), out, note="the size given", axis=i + 1)
                for i, (name, out) in enumerate(zip(names, counts.output[1:], strict=True))
            ]
        else:
            factors = per_dim(self.scale, len(x) - 1, "scale")
            steps += [
                Step(f"output {name}", "output", "n*scale", f"{n}*{f}", out, axis=i + 1)
                for i, (name, n, f, out) in enumerate(zip(names, x[1:], factors, counts.output[1:], strict=True))
            ]
        ndim = len(x) - 1
        if self.mode == "nearest":
            per, note = ("0", "0", 0), "nearest: a copy, no arithmetic"
        else:
            lerps = f"({'*'.join('2' * ndim)} - 1)"
            per = (f"3*{lerps}", f"3*{lerps}", 3 * (2**ndim - 1))
            note = f"linear in {ndim} axes: 2^{ndim} - 1 lerps of 3 FLOPs (subtract, multiply, add) per value"
        return (
            *steps,
            *no_params_steps(f"no parameters to learn: {self.mode} upsampling"),
            elementwise_flops_step(per, counts.output, counts.flops, note),
        )
