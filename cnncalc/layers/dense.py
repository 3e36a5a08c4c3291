"""Dense (fully connected) layers.

A dense layer after a feature map flattens it first, as the lecture tables and
Caffe's InnerProduct do: FC3 after a (5, 5, 16) pool has 400 inputs.
Weights: in x units; biases: units; MACs: in x units.
"""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field

from cnncalc.conventions import Conventions
from cnncalc.layers.base import ActivationName, Counts, LayerBase, Positive, Shape, activation_flops, check_declared


class Dense(LayerBase):
    """Fully connected layer: every output unit sees every input element."""

    kind: Literal["dense"]
    units: Positive = Field(description="Number of output units (neurons).", examples=[4096])
    bias: bool = Field(default=True, description="Learn one bias per unit.")
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output (Keras style); counts as a separate layer would."
    )
    in_features: Positive | None = Field(
        default=None, description="Expected number of inputs (nn.Linear's in_features); checked, never inferred."
    )
    stem = "fc"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        n_in = prod(x)
        check_declared(self.in_features, n_in, "in_features", "features" + _flat_note(x))
        macs = n_in * self.units
        biases = self.units if self.bias and c.bias else 0
        return Counts(
            output=(self.units,),
            weights=macs,
            biases=biases,
            macs=macs,
            flops=2 * macs + biases + activation_flops(self.activation, self.units, c),
            ends_receptive_field=True,
        )

    def describe(self) -> str:
        extra = "" if self.bias else ", no bias"
        if self.activation:
            extra += f", +{self.activation}"
        return f"{self.units} units{extra}"


def _flat_note(x: Shape) -> str:
    return f" once flattened ({' x '.join(map(str, x))})" if len(x) > 1 else ""
