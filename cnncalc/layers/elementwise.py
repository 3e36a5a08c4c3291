"""Layers that keep the shape: activations, dropout, batch norm, LRN, flatten.

Activations and dropout are applied in place by default (Conventions.inplace_activations):
they allocate no activation memory, so a separate ReLU layer and a Keras-style
`activation: relu` give the same totals.
"""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field

from cnncalc.conventions import Conventions
from cnncalc.layers.base import ActivationKind, Counts, LayerBase, Positive, Shape


class Activation(LayerBase):
    """An element-wise function; its FLOPs per element are in Conventions.activation_flops."""

    kind: ActivationKind
    negative_slope: float = Field(default=0.01, ge=0, description="Slope for x < 0 (leaky_relu only).")
    stem = "act"

    def default_stem(self) -> str:
        return self.kind

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, flops=c.activation_flops[self.kind] * prod(x), inplace=c.inplace_activations)

    def describe(self) -> str:
        return f"slope {self.negative_slope}" if self.kind == "leaky_relu" else ""


class Dropout(LayerBase):
    """Identity at inference: no FLOPs, no memory (the mask exists only in training)."""

    kind: Literal["dropout"]
    rate: float = Field(default=0.5, ge=0, lt=1, description="Fraction of units dropped during training.")
    stem = "dropout"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, inplace=c.inplace_activations)

    def describe(self) -> str:
        return f"p={self.rate}"


class BatchNorm(LayerBase):
    """Batch normalisation over channels (inference: one multiply-add per element).

    Trainable: gamma and beta, 2 per channel (when affine). Running mean and variance,
    2 per channel, are state; counted as non-trainable params only under Keras's
    convention (Conventions.bn_running_stats).
    """

    kind: Literal["batch_norm"]
    affine: bool = Field(default=True, description="Learn a scale (gamma) and shift (beta) per channel.")
    epsilon: float = Field(default=1e-5, gt=0, description="Added to the variance for stability.")
    stem = "bn"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        channels = x[0]
        return Counts(
            output=x,
            weights=channels if self.affine else 0,
            biases=channels if self.affine else 0,
            non_trainable=2 * channels if c.bn_running_stats else 0,
            flops=2 * prod(x),
        )


class LocalResponseNorm(LayerBase):
    """AlexNet's local response normalisation across `size` neighbouring channels.

    FLOPs per element: size squares + (size - 1) adds + scale by alpha/size + add k
    + power beta + divide = 2*size + 3.
    """

    kind: Literal["lrn"]
    size: Positive = Field(default=5, description="Number of neighbouring channels summed.")
    alpha: float = Field(default=1e-4, description="Scale of the sum of squares.")
    beta: float = Field(default=0.75, description="Exponent.")
    k: float = Field(default=2.0, description="Additive constant.")
    stem = "lrn"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x, flops=(2 * self.size + 3) * prod(x))

    def describe(self) -> str:
        return f"size {self.size}"


class Flatten(LayerBase):
    """(C, *spatial) -> (C x prod(spatial),): a view, so no new memory and no FLOPs."""

    kind: Literal["flatten"]
    stem = "flatten"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=(prod(x),), inplace=True, ends_receptive_field=True)
