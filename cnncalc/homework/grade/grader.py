"""The grader: a sheet aligned to the network, each cell judged, totals against the sums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cnncalc.analysis import analyze
from cnncalc.conventions import Conventions
from cnncalc.graph import build_graph
from cnncalc.homework.explain import Explanation, explain_report
from cnncalc.homework.grade.alignment import Aligner, Target, units_of
from cnncalc.homework.grade.judging import Context, Judge
from cnncalc.homework.grade.labels import total_kind
from cnncalc.homework.grade.results import GradeResult, RowResult
from cnncalc.homework.sheet import Column, Sheet, SheetFormat, SheetRow, blank_sheet
from cnncalc.spec.model import Spec


class Grader:
    """Grades sheets against one spec; build it once for a whole class."""

    def __init__(self, spec: Spec, conventions: Conventions | None = None) -> None:
        self.spec = spec
        self.conventions = conventions or Conventions()
        self.report = analyze(spec, self.conventions)
        self.graph = build_graph(spec)
        self.explanation: Explanation = explain_report(self.report, self.graph)
        other = replace(self.conventions, bias=not self.conventions.bias)
        self.other_bias = analyze(spec, other)
        self.aligner = Aligner(self.report)
        self.judge = Judge(self.report, self.graph, self.explanation, self.conventions, self.other_bias)

    def align(self, sheet: Sheet) -> tuple[list[tuple[SheetRow, Target]], list[str], list[SheetRow]]:
        """Matched (row, target) pairs in order, the names of unanswered layers, rows matching nothing."""
        return self.aligner.align(sheet)

    def grade(self, sheet: Sheet) -> GradeResult:
        pairs, missing, unmatched = self.align(sheet)
        context = Context()
        results: list[RowResult] = []
        by_line: dict[int, RowResult] = {}
        for row, target in pairs:
            cells = tuple(self.judge.cell(col, row.cells[col], target, context) for col in sheet.columns)
            by_line[row.line] = RowResult(row.line, row.label, tuple(u.name for u in target.units), cells)
        listed = [t for _, t in pairs]
        for row in sheet.rows:
            kind = total_kind(row.label)
            if kind is not None:
                cells = tuple(
                    c
                    for col in sheet.columns
                    if (c := self.judge.total_cell(col, row.cells[col], kind, listed, context)) is not None
                )
                by_line[row.line] = RowResult(row.line, row.label, (kind,), cells, total=True)
        results = [by_line[r.line] for r in sheet.rows if r.line in by_line]
        notes = []
        if "memory" in sheet.columns:
            notes.append(
                "memory without a unit is read as elements (as the VGG table of 002 counts it), with B as bytes"
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
