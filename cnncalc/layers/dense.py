"""Dense (fully connected) layers.

A dense layer after a feature map flattens it first, as the lecture tables and
Caffe's InnerProduct do: FC3 after a (5, 5, 16) pool has 400 inputs.
Weights: in x units; biases: units; MACs: in x units.
"""

from __future__ import annotations

from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.layers.base import (
    ActivationName,
    Counts,
    DslWord,
    LayerBase,
    Positive,
    Shape,
    Step,
    check_declared,
    weighted_flops,
)
from cnncalc.layers.steps import channels_last_terms, param_steps, weighted_flops_step


class Dense(LayerBase):
    """Fully connected layer: every output unit sees every input element."""

    kind: Literal["dense"] = Field(description="dense (also fc, linear, fully_connected).")
    units: Positive = Field(description="Number of output units (neurons).", examples=[4096])
    bias: bool = Field(default=True, description="Learn one bias per unit.")
    activation: ActivationName | None = Field(
        default=None, description="Activation applied to the output (Keras style); counts as a separate layer would."
    )
    in_features: Positive | None = Field(
        default=None, description="Expected number of inputs (nn.Linear's in_features); checked, never inferred."
    )
    stem = "fc"
    aliases: ClassVar[dict[str, str]] = {"fc": "dense", "linear": "dense", "fully_connected": "dense"}
    dsl_words = (
        DslWord("fc", "dense", "fc-<units>", "units", ("act", "nobias", "frozen"), example="fc-4096"),
        DslWord("dense", "dense", "dense-<units>", "units", ("act", "nobias", "frozen")),
        # as nn.Linear, `kind: linear`
        DslWord("linear", "dense", "linear-<units>", "units", ("act", "nobias", "frozen")),
    )
    #: a lecture table's "softmax" row is often the last dense layer with its softmax
    sheet_words = dict.fromkeys(("fc", "dense", "linear", "fullyconnected", "softmax"), ("dense",))
    family = "dense"

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
            flops=weighted_flops(macs, self.units, biases > 0, self.activation, c),
            ends_receptive_field=True,
        )

    def describe(self) -> str:
        extra = "" if self.bias else ", no bias"
        if self.activation:
            extra += f", +{self.activation}"
        return f"{self.units} units{extra}"

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        """The lecture's (p*c)+c: p inputs, c units, one bias per unit."""
        counts = self.apply(x, c)
        p, units = prod(x), self.units
        steps: list[Step] = []
        if len(x) > 1:
            sym, num = channels_last_terms(x)
            steps.append(Step("inputs p", "inputs", sym, num, p, note="the map is flattened into p inputs"))
        steps.append(Step("output units", "output", "c", str(units), units, axis=0))
        if counts.biases:
            params, biases = ("(p*c)+c", f"({p}*{units})+{units}"), ("c", str(units), counts.biases)
            note = "every unit has a weight for each input and one bias"
        else:
            params, biases = ("p*c", f"{p}*{units}"), ("0", "0", 0)
            note = "no bias (bias: false)" if not self.bias else "biases not counted (--no-bias)"
        steps += param_steps(("p*c", f"{p}*{units}", counts.weights), biases, params, note)
        steps.append(Step("MACs", "macs", "p*c", f"{p}*{units}", counts.macs, note="one multiply-add per weight"))
        steps.append(weighted_flops_step(counts.macs, ("c", str(units), units), counts.biases > 0, self.activation, c))
        return tuple(steps)


def _flat_note(x: Shape) -> str:
    return f" once flattened ({' x '.join(map(str, x))})" if len(x) > 1 else ""
