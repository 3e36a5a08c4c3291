"""The grader: a sheet aligned to the network, each cell judged, totals against the sums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from math import prod

from cnncalc.analysis import analyze
from cnncalc.conventions import Conventions
from cnncalc.graph import build_graph
from cnncalc.homework.cells import Precision, judge, judge_with, read_number
from cnncalc.homework.explain import Explanation, explain_report
from cnncalc.homework.grade.alignment import Aligner, Target, units_of
from cnncalc.homework.grade.judging import Context, Judge
from cnncalc.homework.grade.labels import total_kind
from cnncalc.homework.grade.results import GradeResult, RowResult
from cnncalc.homework.sheet import Column, Sheet, SheetFormat, SheetRow, blank_sheet
from cnncalc.spec.model import Spec


class Grader:
    """Grades sheets against one spec; build it once for a whole class."""

    def __init__(self, spec: Spec, conventions: Conventions | None = None, precision: Precision | None = None) -> None:
        self.spec = spec
        self.precision = precision or Precision()
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
        pairs, missing, unmatched = self.align(sheet)
        context = Context(memory_bytes=self._memory_in_bytes(pairs))
        # rows are told apart by their place in the sheet: a one-line YAML or JSON sheet has
        # every row on line 1
        by_row: dict[int, RowResult] = {}
        for row, target in pairs:
            cells = tuple(self.judge.cell(col, row.cells[col], target, context) for col in sheet.columns)
            by_row[id(row)] = RowResult(row.line, row.label, tuple(u.name for u in target.units), cells)
        listed = [t for _, t in pairs]
        for row in sheet.rows:
            kind = total_kind(row.label)
            if kind is not None:
                cells = tuple(
                    c
                    for col in sheet.columns
                    if (c := self.judge.total_cell(col, row.cells[col], kind, listed, context)) is not None
                )
                by_row[id(row)] = RowResult(row.line, row.label, (kind,), cells, total=True)
        results = [self._merged(by_row[id(r)], missing) for r in sheet.rows if id(r) in by_row]
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
            missing_with_params=tuple(m for m in missing if self._unit_params(m)),
            extra=tuple((r.line, r.label) for r in unmatched),
            ignored=sheet.ignored,
            notes=tuple(notes),
            conventions=self.conventions.footer(),
        )

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
        """A wrong figure that is the row's layer plus a layer with no row: two rows merged."""
        if row.total or not missing:
            return row
        cells = []
        for cell in row.cells:
            if cell.right or cell.mistakes or cell.column not in ("params", "macs"):
                cells.append(cell)
                continue
            reading = read_number(cell.written)
            found = None
            for name in missing:
                extra = sum(getattr(r, cell.column) for r in self.report.rows if r.name == name)
                if extra and reading is not None and judge_with(reading, cell.expected_value + extra, self.precision):
                    found = (name, extra)
                    break
            if found is None:
                cells.append(cell)
                continue
            name, extra = found
            detail = f"{cell.expected_value:,} + {extra:,} ({name}, which has no row) = {cell.expected_value + extra:,}"
            cells.append(replace(cell, mistakes=("merged_rows",), detail=detail))
        return replace(row, cells=tuple(cells))

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
