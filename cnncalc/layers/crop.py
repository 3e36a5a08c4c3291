"""Cropping: rows and columns cut off the borders of a map (Keras's Cropping1D/2D/3D).

A view of the input: no params, no arithmetic, no new memory. The output of each spatial
axis is n - before - after; its first position is the input's position `before`, which the
receptive field follows as a window of one pixel with a negative padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import Counts, DslWord, LayerBase, NonNegative, Shape, Step, spatial_rank
from cnncalc.layers.steps import border_steps

Pair = tuple[int, int]


def border_pairs(
    value: NonNegative | Sequence[NonNegative | Sequence[NonNegative]], ndim: int, field: str
) -> tuple[Pair, ...]:
    """(before, after) per spatial axis from the accepted spellings of a border field (a crop's
    `crop`, a pad's `padding`): one number for every side, one per axis (both sides), or a
    [before, after] pair per axis."""
    if isinstance(value, int):
        return ((value, value),) * ndim
    if len(value) != ndim:
        raise LayerRuleError(
            f"'{field}' has {len(value)} entries but the input has {ndim} spatial axes",
            field=field,
            hint="give one int, one int per axis, or one [before, after] pair per axis",
        )
    pairs: list[Pair] = []
    for v in value:
        if isinstance(v, int):
            pairs.append((v, v))
        elif len(v) == 2:
            pairs.append((v[0], v[1]))
        else:
            raise LayerRuleError(f"a {field} pair must be [before, after], got {list(v)}", field=field)
    return tuple(pairs)


def crop_pairs(crop: NonNegative | Sequence[NonNegative | Sequence[NonNegative]], ndim: int) -> tuple[Pair, ...]:
    """(before, after) per spatial axis of a crop's `crop`."""
    return border_pairs(crop, ndim, "crop")


class Crop(LayerBase):
    """Cut `crop` pixels off the borders of each spatial axis."""

    kind: Literal["crop"] = Field(description="crop: cut rows and columns off the borders (Keras's Cropping2D).")
    crop: NonNegative | list[NonNegative | list[NonNegative]] = Field(
        default=1, description="Pixels cut: one int, one per axis, or a [before, after] pair per axis."
    )
    stem: ClassVar[str] = "crop"
    dsl_words = (DslWord("crop", "crop", "crop", example="crop"),)
    family: ClassVar[str] = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, "crop")
        pairs = crop_pairs(self.crop, ndim)
        sizes = tuple(n - a - b for n, (a, b) in zip(x[1:], pairs, strict=True))
        if any(size < 1 for size in sizes):
            raise LayerRuleError(f"crop {[list(p) for p in pairs]} of a map of {x[1:]}: nothing is left", field="crop")
        return Counts(output=(x[0], *sizes), inplace=True, window=tuple((1, 1, -a) for a, _ in pairs))

    def describe(self) -> str:
        return f"crop {self.crop}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        pairs = crop_pairs(self.crop, len(x) - 1)
        return border_steps(
            x,
            counts.output,
            pairs,
            grow=False,
            channels_note="a view of the borders cut",
            why="no parameters to learn: a crop only cuts the borders",
            flops_note="a view of the same values: no arithmetic",
        )
