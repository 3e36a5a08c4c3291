"""The result of an analysis: plain, immutable numbers that every renderer reads.

Glossary (per row):
- output_shape: one sample's output, channels-first inside, shown in the spec's layout.
- activation_elements: elements of one sample's output tensor; 0 for a layer that
  writes in place or returns a view (activations, dropout, flatten).
- activation_bytes: activation_elements x dtype bytes x batch.
- params = weights + biases + non-trainable state counted as params.
- macs, flops: for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.conventions import Conventions
from cnncalc.layers.base import Shape
from cnncalc.spec.model import Layout, from_channels_first


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str
    kind: str
    summary: str
    input_shape: Shape
    output_shape: Shape
    activation_elements: int
    activation_bytes: int
    weights: int
    biases: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    flops: int
    inplace: bool

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params


@dataclass(frozen=True)
class Totals:
    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    flops: int
    activation_elements: int
    activation_bytes: int
    peak_activation_bytes: int
    param_bytes: int
    training_bytes: int


@dataclass(frozen=True)
class Report:
    """Rows in execution order (row 0 is the input), totals, warnings and how it was counted."""

    name: str
    input_shape: Shape
    layout: Layout
    dtype: str
    dtype_bytes: int
    batch: int
    rows: tuple[LayerRow, ...]
    totals: Totals
    warnings: tuple[str, ...]
    conventions: Conventions

    def shown(self, shape: Shape) -> Shape:
        """A channels-first shape in the layout this report is shown in."""
        return from_channels_first(shape, self.layout)
