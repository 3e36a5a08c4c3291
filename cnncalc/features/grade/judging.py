"""Judging one row's cells: right at the precision written, or wrong with the expected value and why.

A cell's expected value is the report's figure for the layers its row stands for (the alignment's
target), or a sum for a Total row. It is right when the true value rounds (or is cut) to it at the
precision written (cnncalc.features.grade.rounding). A wrong cell gets the expected value, the
explanation step that gives it (cnncalc.features.explain.explanation), and, when the student's
figure is what a common mistake gives, the mistake by name, or "carried forward" when the right
rule was applied to the student's own earlier wrong answer (cnncalc.features.grade.diagnosis).
Total rows are judged against the sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from math import prod

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import Graph
from cnncalc.core.report import LayerRow, Report
from cnncalc.features.explain.explanation import CONV_FAMILY, DENSE_FAMILY, Explanation, LayerExplanation, display_lines
from cnncalc.features.grade import rounding
from cnncalc.features.grade.alignment import Target, shown_shapes, skippable
from cnncalc.features.grade.cells import (
    Precision,
    Reading,
    judge_shape,
    read_number,
    read_shape,
    show_shape,
    unread_reason,
)
from cnncalc.features.grade.diagnosis import Context, Diagnosis
from cnncalc.features.grade.labels import TotalKind
from cnncalc.features.grade.results import CellResult
from cnncalc.features.grade.sheet import Column
from cnncalc.layers.registry import family_kinds

#: what people write in a cell they leave blank
BLANK = ("", "-", "\u2013", "\u2014", "n/a", "na", "none", "/", "--")


class Judge:
    """Judges the cells of sheets against one spec's report, explanation and mistakes."""

    def __init__(
        self,
        report: Report,
        graph: Graph,
        explanation: Explanation,
        conventions: Conventions,
        other_bias: Report,
        precision: Precision | None = None,
    ) -> None:
        self.precision = precision or Precision()
        self.report = report
        self.graph = graph
        self.explanation = explanation
        self.conventions = conventions
        self.other_bias = other_bias
        self.diagnosis = Diagnosis(report, graph, conventions, other_bias)

    def cell(self, column: Column, written: str, target: Target, context: Context) -> CellResult:
        main = self.report.rows[target.main]
        rows = [self.report.rows[i] for i in target.rows]
        multi = [r for r in rows if r.params or r.macs]
        if column == "shape":
            return self._shape_cell(written, target, context)
        size = prod(main.output_shape)
        bytes_per = self.report.dtype_bytes * self.report.batch
        if column == "size":
            expected, step = size, self._line(target.main, "size")
        elif column == "params":
            expected = sum(r.params for r in rows)
            step = self._line(target.main, "params") if len(multi) <= 1 else self._target_sum(target, "params")
        elif column == "macs":
            expected = sum(r.macs for r in rows)
            step = self._line(target.main, "macs") if len(multi) <= 1 else self._target_sum(target, "macs")
        elif column == "flops":
            expected, step = sum(r.flops for r in rows), ""
        else:
            expected, step = main.activation_bytes, self._line(target.main, "memory")
        reading = read_number(written, memory=column == "memory")
        as_bytes = reading is not None and (reading.is_bytes or context.memory_bytes)
        if column == "memory" and reading is not None and not as_bytes:
            expected, step = size, self._line(target.main, "size")
        if column == "memory" and main.inplace and as_bytes:
            expected = size * bytes_per
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if written.strip().lower() in BLANK:
            if expected == 0:
                return replace(cell, right=True, how="blank read as 0")
            return replace(cell, problem="no answer")
        if reading is None:
            return replace(cell, problem=unread_reason(written))
        context.values[(column, target.main)] = reading
        how = rounding.right(self.precision, written, reading, expected)
        if how is not None:
            others = self.diagnosis.variant_values(column, reading, target, context)
            return self._right(cell, written, reading, expected, how, others, as_bytes)
        cell = replace(cell, expected=f"{expected:,}{rounding.in_unit(reading, expected)}")
        if (figures := rounding.figures(self.precision, reading, expected)) is not None:
            return figures.on(cell)
        return self.diagnosis.diagnose(cell, reading, column, target, context)

    def _right(
        self,
        cell: CellResult,
        written: str,
        reading: Reading,
        expected: int,
        how: str,
        others: Sequence[tuple[tuple[str, ...], int]],
        as_bytes: bool,
    ) -> CellResult:
        """A figure right at the precision written (`how`), in a row cell or a Total alike: flagged
        when a common mistake's value (`others`) rounds to it too, unless it was truncated."""
        lecture = rounding.lecture_rounding(reading, expected)
        hidden = (
            None
            if how.startswith("truncated")
            else rounding.hidden(self.precision, written, reading, expected, others, lecture)
        )
        how += ", read as bytes" if as_bytes and not reading.is_bytes else ""
        return rounding.rounded_right(self.precision, cell, reading, expected, how, hidden)

    def _shape_cell(self, written: str, target: Target, context: Context) -> CellResult:
        main = self.report.rows[target.main]
        shown, other = shown_shapes(self.report, main.output_shape)
        cell = CellResult("shape", written, False, show_shape(shown), shown, step=self._shape_line(target.main))
        if written.strip().lower() in BLANK:
            return replace(cell, problem="no answer")
        parsed = read_shape(written)
        if parsed is None:
            return replace(cell, problem=f"could not read {written!r} as a shape")
        how = judge_shape(parsed, shown, other)
        if how is not None:
            return replace(cell, right=True, how=how)
        return self.diagnosis.diagnose_shape(cell, parsed, shown, target, context)

    def total_cell(
        self, column: Column, written: str, kind: TotalKind, listed: Sequence[Target], context: Context
    ) -> CellResult | None:
        if column == "shape" or (kind != "total" and column not in ("params", "macs")):
            return None
        if written.strip().lower() in BLANK:
            return None  # a total left blank is not asked for
        picked = [
            r
            for r in self.report.rows
            if kind == "total" or r.kind in family_kinds(CONV_FAMILY if kind == "conv" else DENSE_FAMILY)
        ]
        dense = picked if kind == "total" else [r for r in picked if r.params]
        fc_only = dense[:-1] if kind in ("dense", "dense_one") and len(dense) > 1 else []
        if kind == "dense_one" and fc_only:
            picked, fc_only = fc_only, picked  # fc1 alone; all of them also read right
        reading = read_number(written, memory=column == "memory")
        as_bytes = column == "memory" and reading is not None and (reading.is_bytes or context.memory_bytes)
        sums: list[tuple[int, str, str]] = []  # (value, step, why it is right too)
        if column in ("params", "macs", "flops"):
            values = [(r.name, getattr(r, column)) for r in picked]
            expected = sum(v for _, v in values)
            step = self._sum_line(values)
        else:
            sums = self._activation_totals(as_bytes)
            expected, step, _ = sums[0]
            if reading is not None:  # the meaning of "total" nearest to what is written
                expected, step, _ = min(sums, key=lambda s: abs(reading.value - s[0]))
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if reading is None:
            return replace(cell, problem=unread_reason(written))
        how = rounding.right(self.precision, written, reading, expected)
        if how is not None:
            others = self.diagnosis.total_alternatives(column, picked)
            return self._right(cell, written, reading, expected, how, others, as_bytes)
        cell = replace(cell, expected=f"{expected:,}{rounding.in_unit(reading, expected)}")
        alternatives: list[tuple[int, str]] = [(value, why) for value, _, why in sums if value != expected]
        if kind == "dense_one" and fc_only and column == "params":
            names = ", ".join(r.name for r in fc_only if r.params)
            alternatives.append((sum(r.params for r in fc_only), f"read as all the fully connected layers ({names})"))
        for value, why in alternatives:
            how = rounding.right(self.precision, written, reading, value)
            if how is not None:
                return replace(cell, right=True, how=f"{how}; {why}")
        if (figures := rounding.figures(self.precision, reading, expected)) is not None:
            return figures.on(cell)
        if kind == "dense" and fc_only and column in ("params", "macs"):
            value = sum(getattr(r, column) for r in fc_only)
            if value != expected and rounding.fits(reading, value):
                left = ", ".join(r.name for r in picked if r not in fc_only)
                return replace(cell, mistakes=("output_layer_left_out",), detail=f"{value:,} without {left}")
        return self.diagnosis.diagnose_total(cell, reading, column, picked, listed, context)

    def _activation_totals(self, as_bytes: bool) -> list[tuple[int, str, str]]:
        """The network's activation totals a Total row may mean, never the sum of the rows a sheet
        happens to list: (value, its sum, why): the layers a lecture table lists (the input, convs,
        pools, dense layers: the VGG table's "24M"), those without the input, the layers with
        weights (the "neurons" of the AlexNet paper and the 004 table), and every layer."""
        rows = [r for r in self.report.rows if not r.inplace]
        listed = [r for r in rows if not skippable(r) or r.kind == "input"]

        def total(chosen: Sequence[LayerRow], why: str) -> tuple[int, str, str]:
            values = [(r.name, r.activation_bytes if as_bytes else prod(r.output_shape)) for r in chosen]
            return sum(v for _, v in values), self._sum_line(values), why

        found: dict[int, tuple[int, str, str]] = {}
        for chosen, why in (
            (listed, "the sum over the layers a table lists, the input too"),
            ([r for r in listed if r.kind != "input"], "the sum over the layers, the input left out"),
            ([r for r in rows if r.params], "the sum over the layers with weights (the neurons)"),
            (rows, "the sum over every layer of the network"),
        ):
            if chosen:
                value = total(chosen, why)
                found.setdefault(value[0], value)
        return list(found.values())

    def _layer(self, index: int) -> LayerExplanation:
        return self.explanation.layers[index]

    def _line(self, index: int, field_: str) -> str:
        """The displayed explanation of one number of one row: 'formula = expression = value'."""
        layer = self._layer(index)
        want = {"params": "params", "macs": "MACs", "size": "activations", "memory": "memory"}[field_]
        for line in display_lines(layer, self.report):
            if line.label == want:
                trivial = "=" not in line.text() and line.note
                return f"{line.text()} ({line.note})" if trivial else line.text()
        return ""

    def _shape_line(self, index: int) -> str:
        lines = [
            ln for ln in display_lines(self._layer(index), self.report) if ln.label.startswith(("output", "input"))
        ]
        return "; ".join(f"{ln.label.removeprefix('output ')}: {ln.text()}" for ln in lines)

    @staticmethod
    def _sum_line(values: Sequence[tuple[str, int]], what: str = "") -> str:
        """'608 + 3,216 + ... = 62,958 (the sum over CONV1, CONV2, ...)'."""
        terms = [(name, v) for name, v in values if v]
        if not terms:
            return "0: none of these layers has any"
        shown = " + ".join(f"{v:,}" for _, v in terms[:12])
        shown += f" + ... ({len(terms) - 12} more)" if len(terms) > 12 else ""
        names = ", ".join(n for n, _ in terms[:4]) + (", ..." if len(terms) > 4 else "")
        return f"{shown} = {sum(v for _, v in terms):,} (the sum over {what or names})"

    def _target_sum(self, target: Target, field_: str) -> str:
        rows = [self.report.rows[i] for i in target.rows]
        values = [(r.name, getattr(r, field_)) for r in rows]
        blocks = [u for u in target.units if u.kind == "block"]
        what = ""
        if len(blocks) == 1 and len(target.units) == 1:
            what = f"the {sum(1 for _, v in values if v)} layers of {blocks[0].name} that have any"
        return self._sum_line(values, what)


__all__ = ["BLANK", "Judge"]
