"""Every number of a network, step by step: the lecture's formulas with the numbers filled in.

Each layer kind states its own steps (`LayerBase.explain`, next to the rule that computes
the numbers in cnncalc.layers); this module walks the analysed network, adds what the
analysis itself decides (activation size and memory, shared weights, the batch) and the
totals as the sums they are, and turns the result into JSON. The terminal text and the
Markdown (optionally with LaTeX math) are written by cnncalc.features.explain.output.

Every step's expression evaluates to its value (cnncalc.core.algebra), and every value
is the number `summarize` reports; tests/features/explain/test_explain.py checks both for every row of
every bundled network.

>>> from cnncalc.spec.dsl import load_dsl
>>> e = explain(load_dsl("32x32x3 | CONV1:conv5-10 p=2"))
>>> [f"{s.expression} = {s.value}" for s in e.layers[1].steps if s.field in ("output", "params")][:2]
['(32 + 2*2 - 5)/1 + 1 = 32', '(32 + 2*2 - 5)/1 + 1 = 32']
>>> next(f"{s.formula} = {s.expression} = {s.value}" for s in e.layers[1].steps if s.field == "params")
'((f*f*c_in)+1)*k = ((5*5*3)+1)*10 = 760'
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from math import prod
from typing import Any

from cnncalc.core.algebra import to_latex
from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import Graph, build_graph
from cnncalc.core.report import LayerRow, Report
from cnncalc.core.walk import analyze
from cnncalc.errors import SpecError
from cnncalc.layers import MergeBase, family_kinds
from cnncalc.layers.base import AXIS_NAMES, Shape, Step
from cnncalc.layers.steps import channels_last_terms
from cnncalc.render.envelope import SCHEMA_VERSION as JSON_SCHEMA_VERSION
from cnncalc.render.human import format_bytes, format_count
from cnncalc.spec.model import Layout, Spec

#: the layers the lecture calls "convolutional layers" when it asks for their parameters, and
#: "fully connected layers": the registered kinds of these families (LayerBase.family)
CONV_FAMILY = "conv"
DENSE_FAMILY = "dense"


def __getattr__(name: str) -> tuple[str, ...]:
    """CONV_KINDS, read from the registry when asked (a kind registered later is in it)."""
    if name == "CONV_KINDS":
        return family_kinds(CONV_FAMILY)
    raise AttributeError(name)


@dataclass(frozen=True)
class LayerExplanation:
    """The steps of one row of the Report (row 0 is the input)."""

    row: LayerRow
    input_shapes: tuple[Shape, ...]  # channels-first, one per input of the layer
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]

    def step(self, field: str) -> Step | None:
        """The first step giving `field` ("params", "macs", "activations", "memory", ...)."""
        return next((s for s in self.steps if s.field == field), None)


@dataclass(frozen=True)
class Explanation:
    """A Report with the steps behind each of its numbers."""

    report: Report
    layers: tuple[LayerExplanation, ...]
    totals: tuple[Step, ...]


def explain(spec: Spec, conventions: Conventions | None = None, layout: Layout | None = None) -> Explanation:
    """Analyse `spec` and explain every number of the result."""
    report = analyze(spec, conventions, layout)
    return explain_report(report, build_graph(spec))


def explain_report(report: Report, graph: Graph) -> Explanation:
    """The steps of a Report, from the graph it was computed on (same spec, same order)."""
    c = report.conventions
    layers: list[LayerExplanation] = []
    by_name = {row.name: row for row in report.rows}
    for node, row in zip(graph.nodes, report.rows, strict=True):
        if node.layer is None:
            layers.append(LayerExplanation(row, (row.output_shape,), _input_steps(row, report), ()))
            continue
        inputs = tuple(report.rows[i].output_shape for i in node.inputs)
        if isinstance(node.layer, MergeBase):
            steps = node.layer.explain_merge(inputs, c)
        else:
            steps = node.layer.explain(inputs[0], c)
        steps = _analysis_steps(steps, row, report, by_name)
        warnings = tuple(w.removeprefix(f"layer '{row.name}': ") for w in report.warnings if _warns(w, row))
        layers.append(LayerExplanation(row, inputs, steps, warnings))
    return Explanation(report, tuple(layers), total_steps(report))


def _warns(warning: str, row: LayerRow) -> bool:
    return warning.startswith(f"layer '{row.name}': ")


def _input_steps(row: LayerRow, report: Report) -> tuple[Step, ...]:
    x = row.output_shape
    names = ("C", *AXIS_NAMES[len(x) - 1]) if len(x) > 1 else ("units",)
    steps = [
        Step(f"input {name}", "output", "given", str(n), n, axis=axis)
        for axis, (name, n) in enumerate(zip(names, x, strict=True))
    ]
    steps.append(Step("params", "params", "0", "0", 0, note="the input has nothing to learn: it only gives the shape"))
    return (*steps, *_size_steps(row, report))


def _analysis_steps(
    steps: Sequence[Step], row: LayerRow, report: Report, by_name: dict[str, LayerRow]
) -> tuple[Step, ...]:
    """What the analysis adds to a layer's own steps: sharing, the batch, size and memory."""
    out: list[Step] = []
    for step in steps:
        if row.shared_with and step.field in ("weights", "biases", "non_trainable"):
            continue
        if row.shared_with and step.field == "params":
            owner = by_name[row.shared_with]
            note = f"shares the weights of {owner.name}, counted there ({format_count(owner.params)})"
            step = Step("params", "params", "0", "0", 0, note=note)
        elif step.field in ("macs", "flops") and report.batch != 1:
            step = replace(
                step,
                formula=f"({step.formula})*batch",
                expression=f"({step.expression})*{report.batch}",
                value=step.value * report.batch,
            )
        out.append(step)
    return (*out, *_size_steps(row, report))


def _size_steps(row: LayerRow, report: Report) -> tuple[Step, ...]:
    """Activation size (the product of the shape) and the memory it takes."""
    sym, num = channels_last_terms(row.output_shape)
    elements = prod(row.output_shape)
    size = Step("activations", "activations", sym, num, elements)
    if row.inplace:
        note = "works in place: it overwrites its input's tensor, so it needs no new memory"
        return size, Step("memory", "memory", "0", "0", 0, note=note)
    formula, expression = "elements*bytes", f"{elements}*{report.dtype_bytes}"
    if report.batch != 1:
        formula, expression = f"{formula}*batch", f"{expression}*{report.batch}"
    note = f"{report.dtype}: {report.dtype_bytes} bytes per value"
    return size, Step("memory", "memory", formula, expression, row.activation_bytes, note=note)


def _sum_step(quantity: str, field: str, what: str, terms: Sequence[int], value: int, note: str = "") -> Step:
    parts = [str(t) for t in terms if t]
    return Step(quantity, field, f"sum of the layers' {what}", " + ".join(parts) or "0", value, note=note)


def total_steps(report: Report) -> tuple[Step, ...]:
    """The totals as the sums they are, over the rows of `report`."""
    t = report.totals
    rows = report.rows
    batch = "*batch" if report.batch != 1 else ""
    batch_num = f"*{report.batch}" if report.batch != 1 else ""
    conv_kinds, dense_kinds = family_kinds(CONV_FAMILY), family_kinds(DENSE_FAMILY)
    conv = [r.params for r in rows if r.kind in conv_kinds]
    dense = [r.params for r in rows if r.kind in dense_kinds]
    parts: tuple[Step, ...] = ()
    if any(conv) and any(dense):  # the exercise of 000 asks for both, and for the whole network
        parts = (
            _sum_step("params of the conv layers", "conv_params", "params", conv, sum(conv)),
            _sum_step("params of the dense layers", "dense_params", "params", dense, sum(dense)),
        )
    return (
        *parts,
        _sum_step("params", "params", "params", [r.params for r in rows], t.params),
        _sum_step("MACs", "macs", "MACs", [r.macs for r in rows], t.macs),
        _sum_step("FLOPs", "flops", "FLOPs", [r.flops for r in rows], t.flops),
        _sum_step(
            "activations",
            "activations",
            "activations",
            [r.activation_elements for r in rows],
            t.activation_elements,
            note="layers that work in place add nothing",
        ),
        Step(
            "memory",
            "memory",
            f"elements*bytes{batch}",
            f"{t.activation_elements}*{report.dtype_bytes}{batch_num}",
            t.activation_bytes,
            note="the sum over layers of activation memory (the slides' TOTAL memory)",
        ),
        Step(
            "param memory",
            "param_memory",
            "params*bytes",
            f"{t.params}*{report.dtype_bytes}",
            t.param_bytes,
        ),
    )


def select(explanation: Explanation, name: str) -> Explanation:
    """Only the layer called `name` (any case), or every layer of the block instance `name`.

    A block's selection ends with its own totals, the sums over its layers.
    """
    layers = explanation.layers
    chosen = [e for e in layers if e.row.name == name] or [e for e in layers if e.row.name.lower() == name.lower()]
    if not chosen:
        chosen = [e for e in layers if name in e.row.block or name.lower() in (b.lower() for b in e.row.block)]
    if not chosen:
        names = [e.row.name for e in layers] + sorted({b for e in layers for b in e.row.block})
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "`cnncalc summarize` lists the names"
        raise SpecError.single(f"no layer or block named '{name}' in {explanation.report.name}", hint=hint)
    totals: tuple[Step, ...] = ()
    if len(chosen) > 1:
        rows = [e.row for e in chosen]
        totals = (
            _sum_step("params", "params", "params", [r.params for r in rows], sum(r.params for r in rows)),
            _sum_step("MACs", "macs", "MACs", [r.macs for r in rows], sum(r.macs for r in rows)),
            _sum_step("FLOPs", "flops", "FLOPs", [r.flops for r in rows], sum(r.flops for r in rows)),
        )
    return replace(explanation, layers=tuple(chosen), totals=totals)


# --- display: the lines a person reads ------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One displayed line: several steps may share one (output H, W)."""

    label: str
    formula: str
    expression: str
    value: str
    note: str

    def text(self) -> str:
        """'formula = expression = value', without repeating a part that says the same."""
        if self.formula in _WORDS:
            return f"{self.value} ({self.formula})"
        if self.formula == self.expression and self.value.replace(",", "").startswith(self.expression):
            return self.value  # "0 B", "0"
        parts = [self.formula]
        if self.expression != self.formula:
            parts.append(self.expression)
        if self.value.replace(",", "") != self.expression:
            parts.append(self.value)
        return " = ".join(parts)

    def latex(self) -> str:
        """The same in LaTeX math (without the surrounding $)."""
        if self.formula in _WORDS:
            return self.value.replace("x", " \\times ") + f" \\ (\\text{{{self.formula}}})"
        if self.formula == self.expression and self.value.replace(",", "").startswith(self.expression):
            return self.value.replace(",", "{,}").replace(" B", "\\,\\text{B}")
        parts = [to_latex(self.formula)]
        if self.expression != self.formula:
            parts.append(to_latex(self.expression))
        if self.value.replace(",", "") != self.expression:
            exact = self.value.split(" (")[0]
            parts.append(exact.replace(",", "{,}").replace(" B", "\\,\\text{B}"))
        return " = ".join(parts)


#: formulas that are words, not arithmetic: the shape is shown as it is
_WORDS = ("given", "unchanged")


_ORDER = {
    "output": 0,
    "activations": 1,
    "memory": 2,
    "inputs": 3,
    "params": 4,
    "non_trainable": 5,
    "macs": 6,
    "flops": 7,
}


def display_lines(layer: LayerExplanation, report: Report) -> list[Line]:
    """The steps of a layer as lines: equal axes merged, weights and biases beside the params."""
    steps = sorted(layer.steps, key=lambda s: _ORDER.get(s.field, 9))
    weights = next((s.value for s in steps if s.field == "weights"), None)
    biases = next((s.value for s in steps if s.field == "biases"), None)
    lines: list[Line] = []
    unchanged = [s for s in steps if s.field == "output" and s.formula in ("unchanged", "given")]
    if unchanged:
        shape = "x".join(str(n) for n in report.shown(layer.row.output_shape))
        label = "input" if unchanged[0].formula == "given" else "output"
        lines.append(Line(label, unchanged[0].formula, unchanged[0].formula, shape, unchanged[0].note))
    for step in steps:
        if step.field in ("weights", "biases") or step in unchanged:
            continue
        value = _value(step, report)
        note = step.note
        if step.field == "params" and weights is not None and biases:
            note = "; ".join(n for n in (f"{format_count(weights)} weights + {format_count(biases)} biases", note) if n)
        last = lines[-1] if lines else None
        key = (step.formula, step.expression, value)
        same = last is not None and (last.formula, last.expression, last.value) == key
        if step.field == "output" and same and last is not None and last.label.startswith("output"):
            lines[-1] = replace(last, label=f"{last.label}, {step.quantity.split(' ')[-1]}")
            continue
        lines.append(Line(step.quantity, step.formula, step.expression, value, note))
    return lines


def total_lines(explanation: Explanation) -> list[Line]:
    report = explanation.report
    lines = []
    for step in explanation.totals:
        value = _value(step, report)
        lines.append(Line(step.quantity, step.formula, step.expression, value, step.note))
    return lines


def _value(step: Step, report: Report) -> str:
    """An exact figure; memory in bytes with its prefixed form beside it."""
    if "memory" not in step.field:
        return format_count(step.value)
    short = format_bytes(step.value, report.conventions.units)
    exact = f"{format_count(step.value)} B"
    return exact if short.replace(" ", "") == exact.replace(",", "").replace(" ", "") else f"{exact} ({short})"


def heading(layer: LayerExplanation, report: Report) -> str:
    """'CONV1 (conv f=5, s=1, p=0, k=8): 32x32x3 -> 28x28x8'."""
    row = layer.row
    shapes = ", ".join("x".join(map(str, report.shown(s))) for s in layer.input_shapes)
    out = "x".join(map(str, report.shown(row.output_shape)))
    if row.kind == "input":
        return f"input: {out}"
    what = f"{row.kind} {row.summary}".strip()
    where = f" in {row.block[-1]}" if row.block else ""
    return f"{row.name} ({what}{where}): {shapes} -> {out}"


def to_json(explanation: Explanation) -> dict[str, Any]:
    """Every step with its formula, expression, value and LaTeX; exact integers."""
    report = explanation.report
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "name": report.name,
        "input_shape": list(report.shown(report.input_shape)),
        "layout": report.layout,
        "dtype": report.dtype,
        "batch": report.batch,
        "layers": [
            {
                "index": e.row.index,
                "name": e.row.name,
                "kind": e.row.kind,
                "summary": e.row.summary,
                "block": ".".join(e.row.block[-1:]),
                "inputs": list(e.row.inputs),
                "input_shapes": [list(report.shown(s)) for s in e.input_shapes],
                "output_shape": list(report.shown(e.row.output_shape)),
                "steps": [_step_json(s) for s in e.steps],
                "warnings": list(e.warnings),
            }
            for e in explanation.layers
        ],
        "totals": [_step_json(s) for s in explanation.totals],
        "conventions": report.conventions.footer(),
    }


def _step_json(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {
        "quantity": step.quantity,
        "field": step.field,
        "formula": step.formula,
        "expression": step.expression,
        "value": step.value,
        "note": step.note,
        "latex": f"{to_latex(step.formula)} = {to_latex(step.expression)} = {step.value}",
    }
    if step.axis is not None:
        data["axis"] = step.axis
    return data


__all__ = [
    "Explanation",
    "LayerExplanation",
    "Line",
    "display_lines",
    "explain",
    "explain_report",
    "heading",
    "select",
    "to_json",
    "total_lines",
    "total_steps",
]
