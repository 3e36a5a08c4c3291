"""The common mistakes of the exercise, recomputed with the layer rules under the wrong convention.

A wrong answer is diagnosed by computing what the layer gives when one thing is done the
way students (and sometimes slides) get it wrong: without the bias, with one input
channel (the slides' "(5x5+1)x6 = 156" and "Only 10,000!"), with ceil instead of floor,
with the other padding, with stride 4 (the AlexNet slide's "stride = 4" on every layer),
ignoring the groups, or one off in the output size. Each variant is the layer's own
`explain` on a changed layer, input or convention, so the diagnosis quotes the very
formula the student used. A right rule applied to the student's own earlier wrong answer
is "carried forward", not a new mistake.

>>> from cnncalc.core.conventions import Conventions
>>> from cnncalc.layers import Conv
>>> conv = Conv(kind="conv", filters=8, kernel=5)
>>> [(v.mistakes, v.params) for v in layer_variants(conv, (3, 32, 32), Conventions())][:3]
[(('forgot_bias',), 600), (('forgot_input_depth',), 208), (('forgot_input_depth', 'forgot_bias'), 200)]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cnncalc.core.algebra import ExprError, evaluate
from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import LayerBase, Shape, Step
from cnncalc.layers.registry import kind_class


@dataclass(frozen=True)
class Mistake:
    """A mistake with a name a student recognises and the rule it breaks."""

    id: str
    name: str
    rule: str


def _catalog() -> dict[str, Mistake]:
    """The catalogue, read from mistakes.json beside this module (id -> name and rule): prose,
    kept apart from the code that diagnoses. JSON, as the rest of cnncalc already imports it."""
    entries = json.loads(Path(__file__).with_name("mistakes.json").read_text(encoding="utf-8"))
    return {key: Mistake(key, entry["name"], entry["rule"]) for key, entry in entries.items()}


CATALOG: dict[str, Mistake] = _catalog()


@dataclass(frozen=True)
class Variant:
    """What a layer gives under a mistaken convention (fields are None when it does not say)."""

    mistakes: tuple[str, ...]
    output: Shape | None  # channels-first
    params: int | None
    macs: int | None
    texts: dict[str, str]  # field -> "expression = value", the formula the student used

    @property
    def carried(self) -> bool:
        return "carried" in self.mistakes


def from_steps(mistakes: tuple[str, ...], steps: Sequence[Step]) -> Variant:
    """A variant read off a layer's explanation steps."""
    axes = {s.axis: s for s in steps if s.field == "output" and s.axis is not None}
    output = tuple(axes[i].value for i in range(len(axes))) if axes and set(axes) == set(range(len(axes))) else None
    by_field = {s.field: s for s in steps if s.field in ("params", "macs")}
    texts = {f: f"{s.expression} = {s.value:,}" for f, s in by_field.items()}
    if axes:
        texts["output"] = "; ".join(_axis_text(s) for s in axes.values())
    params = by_field["params"].value if "params" in by_field else None
    macs = by_field["macs"].value if "macs" in by_field else None
    return Variant(mistakes, output, params, macs, texts)


def _axis_text(step: Step) -> str:
    name = step.quantity.split(" ")[-1]
    return (
        f"{name} = {step.value}" if step.expression == str(step.value) else f"{name}: {step.expression} = {step.value}"
    )


def _try(mistakes: tuple[str, ...], layer: LayerBase, x: Shape, c: Conventions) -> Variant | None:
    try:
        return from_steps(mistakes, layer.explain(x, c))
    except (LayerRuleError, ValueError, ZeroDivisionError):
        return None


def layer_variants(layer: LayerBase, x: Shape, c: Conventions, carried: bool = False) -> list[Variant]:
    """The layer on input `x` under each mistaken convention that changes a number.

    carried: `x` is the student's own (wrong) input, so every variant is marked so.
    """
    tag: tuple[str, ...] = ("carried",) if carried else ()
    truth = _try(tag, layer, x, c)
    if truth is None:
        return []
    found: list[Variant | None] = [truth] if carried else []
    other_bias = replace(c, bias=not c.bias)
    found.append(_try((*tag, "forgot_bias" if c.bias else "counted_bias"), layer, x, other_bias))
    if c.bias and getattr(layer, "bias", True) is False:  # torchvision's convs before a batch norm
        found.append(_try((*tag, "bias_on_bias_free"), layer.model_copy(update={"bias": True}), x, c))
    # which mistakes a kind invites is declared by its class (LayerBase.sheet_mistakes)
    invited = layer.sheet_mistakes
    groups = getattr(layer, "groups", 1)
    if "forgot_input_depth" in invited and len(x) > 1 and x[0] > 1:
        flat = layer.model_copy(update={"groups": 1}) if groups != 1 else layer
        one = (1, *x[1:])
        found.append(_try((*tag, "forgot_input_depth"), flat, one, c))
        if c.bias:
            found.append(_try((*tag, "forgot_input_depth", "forgot_bias"), flat, one, replace(c, bias=False)))
    if "ignored_groups" in invited and groups > 1:
        found.append(_try((*tag, "ignored_groups"), layer.model_copy(update={"groups": 1}), x, c))
    if "ceil_not_floor" in invited:
        found.append(_ceil(tag, truth, layer, x, c))
    # stride 4 first: where both give the same figure, the slide's erratum is the likelier cause
    stride = getattr(layer, "stride", 1)
    stride = getattr(layer, "kernel", 1) if stride is None else stride  # a pool's stride defaults to its kernel
    if "stride_4" in invited and stride not in (4, (4, 4), [4, 4]):
        found.append(_try((*tag, "stride_4"), layer.model_copy(update={"stride": 4}), x, c))
    if "wrong_padding" in invited:
        padding = 0 if getattr(layer, "padding", 0) not in (0, "valid") else "same"
        found.append(_try((*tag, "wrong_padding"), layer.model_copy(update={"padding": padding}), x, c))
    if "off_by_one" in invited:
        found += _off_by_one(tag, truth)
    seen = {(truth.output, truth.params, truth.macs)} if not carried else set()
    out: list[Variant] = []
    for v in found:
        if v is not None and (v.output, v.params, v.macs) not in seen:
            seen.add((v.output, v.params, v.macs))
            out.append(v)
    return out


def _ceil(tag: tuple[str, ...], truth: Variant, layer: LayerBase, x: Shape, c: Conventions) -> Variant | None:
    """The output size with ceil where the rule has floor: the truth's own expressions, rounded up."""
    steps = layer.explain(x, c)
    changed: list[Step] = []
    for step in steps:
        if step.field == "output" and "floor(" in step.expression:
            expression = step.expression.replace("floor(", "ceil(")
            try:
                value = int(evaluate(expression))
            except ExprError:
                return None
            changed.append(replace(step, expression=expression, value=value))
        else:
            changed.append(step)
    if changed == list(steps):
        return None
    variant = from_steps((*tag, "ceil_not_floor"), changed)
    return replace(variant, params=truth.params, macs=None)


def _off_by_one(tag: tuple[str, ...], truth: Variant) -> list[Variant | None]:
    """The spatial output one smaller ((n + 2p - f)/s, the + 1 forgotten) or one larger."""
    if truth.output is None or len(truth.output) < 2:
        return []
    out: list[Variant | None] = []
    for delta in (-1, 1):
        spatial = tuple(n + delta for n in truth.output[1:])
        if min(spatial) > 0:
            out.append(Variant((*tag, "off_by_one"), (truth.output[0], *spatial), truth.params, None, {}))
    return out


def param_free_mistake(kind: str) -> str:
    """The mistake of giving parameters to a layer of `kind` that has none."""
    cls = kind_class(kind)
    family = cls.family if cls is not None else ""
    return {"pool": "pool_params", "reshape": "flatten_params"}.get(family, "free_layer_params")
