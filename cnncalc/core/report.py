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
from typing import NamedTuple

from cnncalc.core.conventions import Conventions
from cnncalc.core.receptive import ReceptiveField
from cnncalc.layers.base import Shape
from cnncalc.spec.model import Layout, from_channels_first


class LayerRow(NamedTuple):
    """One layer's figures. A named tuple: as immutable as a frozen dataclass, and ten times
    faster to make (a frozen dataclass sets each of its 19 fields through object.__setattr__;
    a 10,000-layer report makes 10,000 rows)."""

    index: int  # type: ignore[assignment]  # the row number; hides tuple.index, which rows never need
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
    block: tuple[str, ...]  # enclosing block instances, outermost first
    inputs: tuple[str, ...]  # names of the rows this one reads
    shared_with: str | None  # the row whose weights this one reuses (its params count there)
    receptive_field: ReceptiveField | None

    @property
    def params(self) -> int:
        return self.trainable_params + self.non_trainable_params


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


def rollup(report: Report, depth: int) -> tuple[LayerRow, ...]:
    """Rows `depth` levels deep, as torchinfo's depth: 1 shows the top-level layers and one
    row per top-level block call, 2 also opens those blocks one level, and so on.

    A merged row sums params, MACs, FLOPs and activations of its layers, and shows the
    output shape and receptive field of its last layer.
    """
    depth -= 1  # index of the block level a merged row stands for
    merged: list[LayerRow] = []
    groups: dict[str, list[LayerRow]] = {}
    for row in report.rows:
        if len(row.block) <= depth:
            merged.append(row)
            continue
        key = row.block[depth]
        if key not in groups:
            groups[key] = []
            merged.append(row)  # placeholder, replaced below
        groups[key].append(row)
    out: list[LayerRow] = []
    for row in merged:
        if len(row.block) <= depth:
            out.append(row)
            continue
        members = groups[row.block[depth]]
        last = members[-1]
        out.append(
            LayerRow(
                index=row.index,
                name=row.block[depth],
                kind="block",
                summary=f"{len(members)} layers",
                input_shape=row.input_shape,
                output_shape=last.output_shape,
                activation_elements=sum(r.activation_elements for r in members),
                activation_bytes=sum(r.activation_bytes for r in members),
                weights=sum(r.weights for r in members),
                biases=sum(r.biases for r in members),
                trainable_params=sum(r.trainable_params for r in members),
                non_trainable_params=sum(r.non_trainable_params for r in members),
                macs=sum(r.macs for r in members),
                flops=sum(r.flops for r in members),
                inplace=False,
                block=row.block[:depth],
                inputs=row.inputs,
                shared_with=None,
                receptive_field=last.receptive_field,
            )
        )
    return tuple(out)
