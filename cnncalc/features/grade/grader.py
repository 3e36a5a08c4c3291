"""The grader: a sheet aligned to the network, each cell judged, totals against the sums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from math import prod

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import build_graph
from cnncalc.core.walk import analyze
from cnncalc.features.explain.explanation import Explanation, explain_report
from cnncalc.features.grade.alignment import Aligner, Target, units_of
from cnncalc.features.grade.blank import blank_sheet
from cnncalc.features.grade.cells import (
    Precision,
    Prefixes,
    decimal_convention,
    judge,
    judge_shape,
    judge_with,
    prefix_convention,
    read_number,
    read_shape,
    show_shape,
    unread_reason,
)
from cnncalc.features.grade.diagnosis import Context
from cnncalc.features.grade.judging import BLANK, Judge
from cnncalc.features.grade.labels import label_kinds, total_kind
from cnncalc.features.grade.results import CellResult, GradeResult, RowResult
from cnncalc.features.grade.sheet import Column, Sheet, SheetFormat, SheetRow
from cnncalc.spec.model import Spec


class Grader:
    """Grades sheets against one spec; build it once for a whole class."""

    def __init__(
        self,
        spec: Spec,
        conventions: Conventions | None = None,
        precision: Precision | None = None,
        prefixes: Prefixes | None = None,
    ) -> None:
        self.spec = spec
        self.precision = precision or Precision()
        self.prefixes = prefixes or Prefixes()
        self.conventions = conventions or Conventions()
        self.report = analyze(spec, self.conventions)
        self.graph = build_graph(spec)
        self.explanation: Explanation = explain_report(self.report, self.graph)
        other = replace(self.conventions, bias=not self.conventions.bias)
        self.other_bias = analyze(spec, other)
        self.aligner = Aligner(self.report)
        self.judge = Judge(self.report, self.graph, self.explanation, self.conventions, self.other_bias, self.precision)

    def align(self, sheet: Sheet) -> tuple[list[tuple[SheetRow, Target]], list[str], list[SheetRow]]:
        """Matched (row, target) pairs in order, the names of unanswered layers, rows matching nothing."""
        return self.aligner.align(sheet)

    def grade(self, sheet: Sheet) -> GradeResult:
        """Grade one sheet, its numbers read with its own decimal separator (Sheet.decimal_comma)
        and digit grouping (Sheet.indian), and the course's meanings of K and MB (Prefixes)."""
        with decimal_convention(sheet.decimal_comma, sheet.indian), prefix_convention(self.prefixes):
            return self._grade(sheet)

    def _grade(self, sheet: Sheet) -> GradeResult:
        pairs, missing, unmatched = self.align(sheet)
        context = Context(memory_bytes=self._memory_in_bytes(pairs))
        # rows are told apart by their place in the sheet: a one-line YAML or JSON sheet has
        # every row on line 1
        by_row: dict[int, RowResult] = {}
        for row, target in pairs:
            cells = tuple(self.judge.cell(col, row.cells[col], target, context) for col in sheet.columns)
            by_row[id(row)] = RowResult(row.line, row.label, tuple(u.name for u in target.units), cells)
        listed = [t for _, t in pairs]
        before: dict[int, Target] = {}
        last: Target | None = None
        for row in sheet.rows:
            matched = next((t for r, t in pairs if r is row), None)
            last = matched or last
            if last is not None:
                before[id(row)] = last
        flattens = [r for r in unmatched if "flatten" in label_kinds(r.label) and id(r) in before]
        for row in flattens:  # a flatten row where the network flattens implicitly: graded, it has 0
            by_row[id(row)] = self._flatten_row(row, sheet.columns, before[id(row)])
        unmatched = [r for r in unmatched if r not in flattens]
        for row in sheet.rows:
            kind = total_kind(row.label)
            if kind is not None:
                cells = tuple(
                    c
                    for col in sheet.columns
                    if (c := self.judge.total_cell(col, row.cells[col], kind, listed, context)) is not None
                )
                by_row[id(row)] = RowResult(row.line, row.label, (kind,), cells, total=True)
        results = [self._unanswered(self._merged(by_row[id(r)], missing)) for r in sheet.rows if id(r) in by_row]
        notes = []
        if "memory" in sheet.columns:
            unit = "bytes" if context.memory_bytes else "elements"
            notes.append(
                f"memory without a unit is read as {unit} for the whole sheet (the unit its numbers fit); "
                "B, KB, MB are bytes"
            )
        return GradeResult(
            spec=self.report.name,
            student=sheet.student,
            path=sheet.path,
            columns=sheet.columns,
            rows=tuple(results),
            missing=tuple(missing),
            # a sheet of totals only asks no layer's row
            missing_with_params=tuple(m for m in missing if self._unit_params(m)) if pairs else (),
            extra=tuple((r.line, r.label) for r in unmatched),
            ignored=sheet.ignored,
            notes=tuple(notes),
            conventions=self.conventions.footer(),
        )

    def order(self) -> tuple[str, ...]:
        """The names of the network's layers and blocks, in order: the order of the questions."""
        names: dict[str, None] = {}
        for r in self.report.rows:
            if r.block:
                names.setdefault(r.block[0])
            names.setdefault(r.name)
        return tuple(names)

    @staticmethod
    def _unanswered(row: RowResult) -> RowResult:
        """A row with every cell blank (a template handed back as it was): nothing answered,
        not zeros read right."""
        if row.total or not all(c.written.strip().lower() in BLANK for c in row.cells):
            return row
        cells = tuple(replace(c, right=False, how="", mistakes=(), problem="no answer") for c in row.cells)
        return replace(row, cells=cells)

    def _flatten_row(self, row: SheetRow, columns: Sequence[Column], before: Target) -> RowResult:
        """A "Flatten" row of a sheet for a network whose dense layer flattens on its own.

        Its answers are the flattened output of the layer before it (5x5x16 -> 400) and no
        parameters, MACs or FLOPs: a flatten only reshapes.
        """
        shape = self.report.rows[before.main].output_shape
        n = prod(shape)
        shown = "x".join(map(str, self.report.shown(shape)))
        step = f"{shown} = {n:,} values in a row; a flatten only reshapes"
        cells: list[CellResult] = []
        for column in columns:
            written = row.cells[column]
            expected: int | tuple[int, ...] = (n,) if column == "shape" else 0
            if column in ("size", "memory"):
                expected = n
            cell = CellResult(column, written, False, show_shape((n,)) if column == "shape" else f"{expected:,}",
                              expected, step=step)  # fmt: skip
            blank = written.strip().lower() in BLANK
            if column == "shape":
                parsed = read_shape(written)
                right = parsed is not None and judge_shape(parsed, (n,), (n,)) is not None
                cells.append(replace(cell, right=right, how="exact" if right else "", problem="no answer" * blank))
                continue
            reading = read_number(written, memory=column == "memory")
            if blank:
                cells.append(replace(cell, right=expected == 0, how="blank read as 0") if expected == 0 else
                             replace(cell, problem="no answer"))  # fmt: skip
            elif reading is None:
                cells.append(replace(cell, problem=unread_reason(written)))
            elif isinstance(expected, int) and judge_with(reading, expected, self.precision):
                cells.append(replace(cell, right=True, how="exact"))
            elif column == "params":
                cells.append(replace(cell, mistakes=("flatten_params",), detail=f"{written} for a reshape"))
            else:
                cells.append(cell)
        return RowResult(row.line, row.label, ("flatten",), tuple(cells))

    def _memory_in_bytes(self, pairs: Sequence[tuple[SheetRow, Target]]) -> bool:
        """Whether the sheet's unit-less memory cells count bytes: the unit more of them fit
        exactly (elements when as many fit either, as the VGG table of 002 counts)."""
        elements = in_bytes = 0
        for row, target in pairs:
            reading = read_number(row.cells.get("memory", ""), memory=True)
            if reading is None or reading.is_bytes:
                continue
            main = self.report.rows[target.main]
            if reading.is_bytes or main.inplace:
                continue
            elements += judge(reading, prod(main.output_shape)) is not None
            in_bytes += judge(reading, main.activation_bytes) is not None
        return in_bytes > elements

    def _merged(self, row: RowResult, missing: Sequence[str]) -> RowResult:
        """A wrong figure that is the row's layer plus the layer next to it, which has no row:
        two layers' numbers merged into one row ("CONV4" with CONV4 + CONV5's parameters)."""
        if row.total or not missing:
            return row
        cells = []
        for cell in row.cells:
            if (
                cell.right
                or cell.ambiguous
                or cell.mistakes
                or cell.column not in ("params", "macs")
                or not isinstance(cell.expected_value, int)
            ):
                cells.append(cell)
                continue
            reading = read_number(cell.written)
            found = None
            for name in missing:
                extra = self._unit_value(name, cell.column)
                if extra and reading is not None and judge_with(reading, cell.expected_value + extra, self.precision):
                    found = (name, extra)
                    break
            if found is None:
                cells.append(cell)
                continue
            name, extra = found
            mine = "+".join(row.layers)
            order = self.order()
            terms = [(mine, cell.expected_value), (name, extra)]
            if name in order and row.layers[0] in order and order.index(name) < order.index(row.layers[0]):
                terms.reverse()
            (a, x), (b, y) = terms
            detail = f"{a} + {b}: {x:,} + {y:,} = {x + y:,}; {name} has no row of its own"
            cells.append(replace(cell, mistakes=("merged_rows",), detail=detail))
        return replace(row, cells=tuple(cells))

    def _unit_value(self, name: str, column: str) -> int:
        """A layer's (or a whole block's) params or MACs."""
        return sum(getattr(r, column) for r in self.report.rows if r.name == name or (r.block and r.block[0] == name))

    def _unit_params(self, name: str) -> int:
        return sum(r.params for r in self.report.rows if r.name == name or (r.block and r.block[0] == name))


def grade(spec: Spec, sheet: Sheet, conventions: Conventions | None = None) -> GradeResult:
    """Grade one sheet (build a Grader to grade many against one spec)."""
    return Grader(spec, conventions).grade(sheet)


def template(spec: Spec, columns: Sequence[Column], fmt: SheetFormat) -> str:
    """A blank sheet for `spec`: the input, then each layer a lecture table lists, then Total."""
    report = analyze(spec)
    labels = ["Input Layer"] + [u.name for u in units_of(report, 1) if not u.skippable]
    return blank_sheet(labels, columns, fmt, title=f"{report.name}: answer sheet")


__all__ = ["Grader", "grade", "template"]
