"""Zero padding as a layer of its own: rows and columns of zeros added around a map (Keras's
ZeroPadding1D/2D/3D, PyTorch's nn.ZeroPad2d, an ONNX Pad of constant zeros).

A conv or pool pads its own input, and a zero padding right before one is usually written
into that layer's padding. This kind is the padding that cannot be: one read by a layer that
has no padding of its own (NASNet pads a map, then crops the other side to shift it by a
pixel), or more than a pool may take. No params and no arithmetic: the output is a new map,
the input's values copied into a larger one of zeros. The output of each spatial axis is
n + before + after; its first position lies `before` pixels ahead of the input's, which the
receptive field follows as a window of one pixel with that padding.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.layers.base import Counts, DslWord, LayerBase, NonNegative, Shape, Step, spatial_rank
from cnncalc.layers.crop import Pair, border_pairs
from cnncalc.layers.steps import border_steps


def pad_pairs(padding: NonNegative | list[NonNegative | list[NonNegative]], ndim: int) -> tuple[Pair, ...]:
    """(before, after) per spatial axis of a pad's `padding`."""
    return border_pairs(padding, ndim, "padding")


class Pad(LayerBase):
    """Add `padding` zeros around each spatial axis."""

    kind: Literal["pad"] = Field(
        description="pad: add zeros around the borders (Keras's ZeroPadding2D, PyTorch's nn.ZeroPad2d)."
    )
    padding: NonNegative | list[NonNegative | list[NonNegative]] = Field(
        default=1, description="Zeros added: one int, one per axis, or a [before, after] pair per axis."
    )
    stem: ClassVar[str] = "pad"
    dsl_words = (DslWord("pad", "pad", "pad", options=("p",), example="pad p=1"),)
    family: ClassVar[str] = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, "pad")
        pairs = pad_pairs(self.padding, ndim)
        sizes = tuple(n + a + b for n, (a, b) in zip(x[1:], pairs, strict=True))
        return Counts(output=(x[0], *sizes), window=tuple((1, 1, a) for a, _ in pairs))

    def describe(self) -> str:
        return f"p={self.padding}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        pairs = pad_pairs(self.padding, len(x) - 1)
        return border_steps(
            x,
            counts.output,
            pairs,
            grow=True,
            channels_note="each channel padded alike",
            why="no parameters to learn: a padding only adds zeros",
            flops_note="the values are copied into a map of zeros: no arithmetic",
        )
