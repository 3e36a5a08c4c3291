"""Input standardisation as Keras writes it: the Normalization layer.

Keras's Normalization computes (x - mean) / sqrt(variance) per channel. Given its mean and
variance as numbers (ConvNeXt's ImageNet statistics) it has no weights; left to `adapt()`
(EfficientNet's), it keeps mean, variance and the count of samples seen as non-trainable
weights: 2 x C + 1, which Keras's count_params() includes. Like batch norm's running
statistics, they count as params under Keras's convention only (Conventions.bn_running_stats).
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.layers.base import Counts, DslWord, LayerBase, Shape, Step
from cnncalc.layers.steps import elementwise_flops_step, unchanged_steps


class Normalize(LayerBase):
    """(x - mean) / std per channel: a subtract and a divide per value, nothing trainable."""

    kind: Literal["normalize"] = Field(description="normalize: (x - mean) / std per channel (Keras's Normalization).")
    stored: bool = Field(
        default=False,
        description="Mean, variance and a count kept as weights (Keras's adapt()): 2*C + 1 non-trainable.",
    )
    stem: ClassVar[str] = "norm"
    dsl_words = (DslWord("normalize", "normalize", "normalize", example="normalize"),)
    family: ClassVar[str] = "norm"
    #: mean and variance (the count is one number for the layer)
    state_per_channel: ClassVar[int] = 2

    def state(self, x: Shape) -> int:
        """Mean and variance per channel and the count: what Keras keeps, when stored."""
        return self.state_per_channel * x[0] + 1 if self.stored else 0

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, non_trainable=self.state(x) if c.bn_running_stats else 0, flops=2 * prod(x))

    def describe(self) -> str:
        return "stored statistics" if self.stored else ""

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        ch = str(x[0])
        if counts.non_trainable:
            note = "mean and variance per channel and a count, kept by adapt(), non-trainable (Keras)"
            params = Step("params", "params", "2*c + 1", f"2*{ch} + 1", counts.non_trainable, note=note)
            state = Step("statistics", "non_trainable", "2*c + 1", f"2*{ch} + 1", counts.non_trainable)
            steps: tuple[Step, ...] = (params, state)
        else:
            why = "stored statistics, not params (PyTorch's convention)" if self.stored else "fixed numbers"
            steps = (Step("params", "params", "0", "0", 0, note=f"no parameters to learn: mean and std are {why}"),)
        return (
            *unchanged_steps(x, "standardises each channel"),
            *steps,
            Step("MACs", "macs", "0", "0", 0, note="a subtract and a divide per value, counted as FLOPs"),
            elementwise_flops_step(("2", "2", 2), x, counts.flops, "a subtract and a divide per value"),
        )
