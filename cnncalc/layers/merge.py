"""Layers that read several tensors: add (residuals), concat (inception), multiply (gates).

None has parameters. FLOPs per output element: add and multiply (n_inputs - 1); concat 0.
Add and multiply broadcast as NumPy does where a size is 1 (squeeze-and-excitation's gate).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import ClassVar, Literal, NamedTuple

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import AXIS_NAMES, Counts, LayerBase, Shape, Step
from cnncalc.layers.steps import elementwise_flops_step, no_params_steps, unchanged_steps


def _show(shape: Shape) -> str:
    """Channels-first shape as the lecture writes it, channels last: (56, 56, 256)."""
    return str((*shape[1:], shape[0]) if len(shape) > 1 else shape)


class MergeBase(LayerBase):
    """A layer with two or more inputs, listed in `from:`."""

    stem: ClassVar[str] = "merge"
    family: ClassVar[str] = "merge"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return self.merge([x], c)

    def merge(self, inputs: Sequence[Shape], c: Conventions, origins: Sequence[Origin] = ()) -> Counts:
        """Output and costs on `inputs`; `origins` (where the graph is known) says where each input
        comes from, so that an error can tell the shortcut from the main path."""
        raise NotImplementedError

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        return self.explain_merge([x], c)

    def explain_merge(self, inputs: Sequence[Shape], c: Conventions) -> tuple[Step, ...]:
        """Steps of `merge(inputs, c)`: element-wise merges keep the shape; no parameters."""
        counts = self.merge(inputs, c)
        n = len(inputs)
        why = f"{self.kind} of {n} tensors of one shape, value by value"
        op = "add" if self.kind == "add" else "multiply"
        note = f"{n} inputs: {n - 1} {op}{'' if n == 2 else 's'} per value"
        return (
            *unchanged_steps(counts.output, why),
            *no_params_steps(f"no parameters to learn: a {self.kind}"),
            elementwise_flops_step(("n - 1", f"{n} - 1", n - 1), counts.output, counts.flops, note),
        )


class Origin(NamedTuple):
    """Where an input of a merge comes from: the layer's position in the graph and its name."""

    position: int
    name: str


def _elementwise(kind: str, inputs: Sequence[Shape], origins: Sequence[Origin]) -> Counts:
    if len(inputs) < 2:
        raise LayerRuleError(f"{kind} needs at least two inputs", field="from", hint="list them: from: [a, b]")
    out = inputs[0]
    for j, other in enumerate(inputs[1:], 1):
        wider = _broadcast(out, other)
        if wider is None:
            raise LayerRuleError(
                f"{kind} of shapes {_show(out)} and {_show(other)}: they must match",
                field="from",
                hint=_pair_hint(inputs, origins, 0, j),
            )
        out = wider
    return Counts(output=out, flops=(len(inputs) - 1) * prod(out))


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """The shape of `a` and `b` combined: equal, or (as NumPy broadcasts) of one rank with a size
    of 1 where they differ, as a squeeze-and-excitation's 1x1xC gate scales an HxWxC map."""
    if a == b:
        return a
    if len(a) != len(b) or any(m != n and 1 not in (m, n) for m, n in zip(a, b, strict=True)):
        return None
    return tuple(max(m, n) for m, n in zip(a, b, strict=True))


def _pair_hint(inputs: Sequence[Shape], origins: Sequence[Origin], a: int, b: int) -> str | None:
    """The hint for inputs `a` and `b` that differ: the shortcut is the one that skips layers,
    the input that comes from earlier in the graph; without the graph, the later one listed."""
    if len(origins) == len(inputs) and origins[a].position < origins[b].position:
        return _shortcut_hint(inputs[b], inputs[a], origins[a].name)
    return _shortcut_hint(inputs[a], inputs[b], origins[b].name if len(origins) == len(inputs) else None)


def _shortcut_hint(main: Shape, shortcut: Shape, name: str | None = None) -> str | None:
    """How to make `shortcut` match `main`: the projection of a ResNet block."""
    if len(main) != len(shortcut):
        return "flatten or pool the inputs to the same rank"
    stride = shortcut[1] // main[1] if len(main) > 1 and main[1] and shortcut[1] % main[1] == 0 else 1
    if len(main) > 1 and shortcut[1:] != main[1:] and stride == 1:
        return "the spatial sizes do not divide: check the strides and padding of both paths"
    named = f" from '{name}'" if name is not None else ""
    return f"give the shortcut{named} a 1x1 conv with {main[0]} filters" + (f", stride {stride}" if stride > 1 else "")


class Add(MergeBase):
    """Element-wise sum, as a residual connection: shapes must match, or be 1 where they differ."""

    kind: Literal["add"] = Field(description="add: element-wise sum of the tensors in `from:`.")
    stem: ClassVar[str] = "add"
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"add": ("add",)}

    def merge(self, inputs: Sequence[Shape], c: Conventions, origins: Sequence[Origin] = ()) -> Counts:
        return _elementwise("add", inputs, origins)


class Multiply(MergeBase):
    """Element-wise product, as the gates of highway networks and squeeze-and-excitation: shapes
    must match, or be 1 where they differ (a 1x1xC gate scales every position of an HxWxC map)."""

    kind: Literal["multiply"] = Field(description="multiply: element-wise product of the tensors in `from:`.")
    stem: ClassVar[str] = "mul"

    def merge(self, inputs: Sequence[Shape], c: Conventions, origins: Sequence[Origin] = ()) -> Counts:
        return _elementwise("multiply", inputs, origins)


class Concat(MergeBase):
    """Stack along channels (inception, DenseNet): the other axes must match."""

    kind: Literal["concat"] = Field(description="concat: the tensors in `from:` stacked along the channels.")
    stem: ClassVar[str] = "concat"
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"concat": ("concat",)}

    def merge(self, inputs: Sequence[Shape], c: Conventions, origins: Sequence[Origin] = ()) -> Counts:
        if len(inputs) < 2:
            raise LayerRuleError("concat needs at least two inputs", field="from", hint="list them: from: [a, b]")
        first = inputs[0]
        for other in inputs[1:]:
            if other[1:] != first[1:] or len(other) != len(first):
                raise LayerRuleError(
                    f"concat of shapes {_show(first)} and {_show(other)}: all but the channels must match",
                    field="from",
                    hint="pad or crop the branches to one spatial size (check strides and padding)",
                )
        return Counts(output=(sum(s[0] for s in inputs), *first[1:]))

    def explain_merge(self, inputs: Sequence[Shape], c: Conventions) -> tuple[Step, ...]:
        counts = self.merge(inputs, c)
        terms = " + ".join(f"c_{i + 1}" for i in range(len(inputs)))
        numbers = " + ".join(str(s[0]) for s in inputs)
        steps = [Step("output C", "output", terms, numbers, counts.output[0], note="stacked along channels", axis=0)]
        names = AXIS_NAMES.get(len(counts.output) - 1, ())
        steps += [
            Step(f"output {n}", "output", "unchanged", str(v), v, axis=i + 1)
            for i, (n, v) in enumerate(zip(names, counts.output[1:], strict=True))
        ]
        return (
            *steps,
            *no_params_steps("no parameters to learn: a concat only stacks its inputs"),
            Step("FLOPs", "flops", "0", "0", 0, note="a copy: no arithmetic"),
        )
