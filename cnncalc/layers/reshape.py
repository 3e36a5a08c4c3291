"""Reshapes that only add or drop axes of size 1: a vector back into a map.

A squeeze-and-excitation block pools a map to one value per channel, and Keras's
EfficientNet writes that vector back as a 1x1xC map with a Reshape, so that a
broadcasting multiply can scale the map with it. The values do not move: a view,
no params, no arithmetic, no new memory.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import AXIS_NAMES, Counts, DslWord, LayerBase, Positive, Shape, Step
from cnncalc.layers.steps import no_params_steps


class Unflatten(LayerBase):
    """A vector of C values as a map of C channels whose `axes` spatial sizes are all 1."""

    kind: Literal["unflatten"] = Field(description="unflatten: a vector as a map of 1x1 (C values, C channels).")
    axes: int = Field(default=2, ge=1, le=3, description="Spatial axes of the map, each of size 1 (2: 1x1xC).")
    channels: Positive | None = Field(
        default=None, description="The vector's length, checked against the input when given (a Keras Reshape's C)."
    )
    stem: ClassVar[str] = "unflatten"
    dsl_words = (DslWord("unflatten", "unflatten", "unflatten", example="unflatten"),)
    family: ClassVar[str] = "reshape"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        if len(x) != 1:
            raise LayerRuleError(
                f"unflatten reads a vector, got a map of shape {x}", field="kind", hint="flatten the map first"
            )
        if self.channels is not None and self.channels != x[0]:
            raise LayerRuleError(
                f"unflatten to {self.channels} channels of a vector of {x[0]} values: they must be equal",
                field="channels",
            )
        return Counts(output=(x[0], *(1,) * self.axes), inplace=True)

    def describe(self) -> str:
        return "to " + "x".join(["1"] * self.axes) + "xC"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        steps = [Step("output C", "output", "n", str(x[0]), x[0], note="the vector's values as channels", axis=0)]
        steps += [
            Step(f"output {name}", "output", "1", "1", 1, axis=i + 1) for i, name in enumerate(AXIS_NAMES[self.axes])
        ]
        assert counts.output == (x[0], *(1,) * self.axes)
        return (
            *steps,
            *no_params_steps("no parameters to learn: a view of the same values"),
            Step("FLOPs", "flops", "0", "0", 0, note="a view of the same values: no arithmetic"),
        )
