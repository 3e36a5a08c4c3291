"""`cnncalc grade` output: one sheet or a class in a terminal, and the scores CSV.

Sheets come from students: every cell, label, student name and file name they hold is
escaped here for the output it goes into (terminal or CSV), never trusted as markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from cnncalc.features.grade import CATALOG, ClassResult, GradeResult, class_json, to_json
from cnncalc.features.grade.assignment import Assignment, AssignmentScore
from cnncalc.features.grade.lms import gradescope_json
from cnncalc.features.grade.sheet import COLUMNS, TITLES, Column
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Text, Writers, joined_lines
from cnncalc.render.table import render_grid

RIGHT, WRONG, AMBIGUOUS = "\u2713", "\u2717", "?"


def _mark(right: bool, ambiguous: bool) -> str:
    return RIGHT if right else AMBIGUOUS if ambiguous else WRONG


def _sheets(n: int) -> str:
    return f"{n} sheet{'s' if n != 1 else ''}"


def result_lines(result: GradeResult, width: int | None) -> list[str]:
    """One sheet: the table as written with a mark per cell, then what is wrong and why."""
    head = terminal(f"{result.path}: {result.student}, graded against {result.spec}")
    grid_columns = [numeric("Line"), text("Layer"), *(text(TITLES[c]) for c in result.columns)]
    rows: list[list[Cell]] = []
    for row in result.rows:
        by_column = {cell.column: cell for cell in row.cells}
        cells: list[Cell] = [row.line, row.label]
        for column in result.columns:
            cell = by_column.get(column)
            cells.append(f"{_mark(cell.right, cell.ambiguous)} {cell.written}" if cell else "")
        rows.append(cells)
    table = render_grid(Grid(grid_columns, rows), width)
    lines: list[str] = []
    wrong = [(row, cell) for row, cell in result.cells() if not cell.right and not cell.ambiguous]
    if wrong:
        lines.append("Wrong:")
        lines += [f"  line {r.line}, {r.label}, {c.column} '{c.written}': {c.verdict()}" for r, c in wrong]
    unsure = [(row, cell) for row, cell in result.cells() if cell.ambiguous]
    if unsure:
        lines.append("Ambiguous (counted neither right nor wrong; wrong under --strict):")
        lines += [f"  line {r.line}, {r.label}, {c.column} '{c.written}': {c.verdict()}" for r, c in unsure]
    quiet = ("", "exact", "size-1 axes ignored", "blank read as 0")
    rounded = [(row, cell) for row, cell in result.cells() if cell.right and cell.how not in quiet]
    if rounded:
        lines.append("Right, as read:")
        lines += [f"  line {r.line}, {r.label}, {c.column} '{c.written}': {c.how}" for r, c in rounded]
    for label, items in (
        ("Layers with no row", result.missing),
        ("Rows that match no layer", tuple(f"line {n}: {t}" for n, t in result.extra)),
        ("Columns not graded", result.ignored),
    ):
        if items:
            lines.append(f"{label}: {', '.join(items)}")
    lines += [f"note: {note}" for note in result.notes]
    mistakes = ", ".join(f"{CATALOG[m].name} x{n}" for m, n in result.mistakes().most_common())
    verdict = "all right" if result.all_right else "not all right"
    lines.append(f"Score: {result.score.text()}; {verdict}" + (f". Mistakes: {mistakes}" if mistakes else ""))
    # the table's lines are escaped by render_grid; escaping twice would double the backslashes
    return [head, *table, *(terminal(line) for line in lines)]


def _answered_columns(results: ClassResult) -> list[Column]:
    """The graded columns some sheet of the class answers, in the usual order: the class views
    give each one a column."""
    return [c for c in COLUMNS if any(c in r.columns for r in results.results)]


def _per_column(result: GradeResult, shown: list[Column]) -> list[Cell]:
    """A sheet's 'right/graded' in each shown column, empty where it does not answer it."""
    score = result.score
    return [f"{score.columns[c][0]}/{score.columns[c][1]}" if c in score.columns else "" for c in shown]


def _mistake_counts(result: GradeResult, sep: str) -> str:
    """A sheet's mistakes by name with their counts, most frequent first."""
    return sep.join(f"{CATALOG[m].name} x{n}" for m, n in result.mistakes().most_common())


def class_lines(results: ClassResult, width: int | None) -> list[str]:
    """A folder: one row per student, then the most frequent mistakes of the class."""
    shown = _answered_columns(results)
    grid_columns = [
        text("Student"),
        text("File", priority=1),
        numeric("Score"),
        *(numeric(c) for c in shown),
        text("Mistakes"),
    ]
    rows: list[list[Cell]] = []
    for r in results.results:
        score = f"{r.score.right}/{r.score.graded}"
        rows.append([r.student, PurePath(r.path).name, score, *_per_column(r, shown), _mistake_counts(r, ", ")])
    title = f"{_sheets(len(results.results))} graded against {results.spec}"
    lines = render_grid(Grid(grid_columns, rows, title=title), width)
    after: list[str] = []
    right = sum(r.all_right for r in results.results)
    after.append(f"All right: {right} of {_sheets(len(results.results))}")
    frequent = results.mistakes()
    if frequent:
        after.append("Most frequent mistakes:")
        for mistake, cells, sheets in frequent:
            after.append(
                f"  {CATALOG[mistake].name}: {cells} cell{'s' if cells != 1 else ''} on {_sheets(sheets)} "
                f"({CATALOG[mistake].rule})"
            )
    hardest = results.hardest()
    if hardest:
        after.append("Cells most often wrong: " + ", ".join(f"{cell} ({_sheets(n)})" for cell, n in hardest))
    after += [f"skipped: {message}" for _, message in results.unreadable]
    return lines + [terminal(line) for line in after]


SCORE_COLUMNS = [
    text("student"),
    text("file"),
    numeric("right"),
    numeric("graded"),
    numeric("percent"),
    text("all_right"),
]


def gradebook_csv(results: ClassResult) -> str:
    """One row per student, one column per question ('CONV2 params'): right, wrong, carried
    forward or missing, empty where the sheet was not asked it; the score and percent first,
    over the student's own questions (never over what classmates answered), for a
    learning-management system import.

    Questions are the class's cells by the layer they answer (FC1 and fc1 are one), in the
    network's order; a sheet that could not be read is a row with its error and no answers.
    """
    questions = results.questions()
    grid_columns = [
        text("student"),
        text("file"),
        numeric("right"),
        numeric("asked"),
        numeric("percent"),
        *(text(q) for q in questions),
        text("error"),
    ]
    rows: list[list[Cell]] = []
    for r in results.results:
        asked = r.questions()
        score = r.score
        percent = f"{score.percent:.1f}" if score.percent is not None else ""
        words = [_STATUS_WORDS[asked[q]] if q in asked else "" for q in questions]
        rows.append([r.student, PurePath(r.path).name, score.right, score.graded, percent, *words, ""])
    for path, message in results.unreadable:
        rows.append(["", PurePath(path).name, "", "", "", *[""] * len(questions), message])
    return columns.to_csv(Grid(grid_columns, rows))


_STATUS_WORDS = {
    "right": "right",
    "wrong": "wrong",
    "carried": "carried forward",
    "missing": "missing",
    "ambiguous": "ambiguous, not counted",
}


def _md(text: str) -> str:
    """Student text in Markdown prose: table pipes, emphasis, links and HTML all shown as written."""
    flat = terminal(re.sub(r"\r\n|\r|\n", " ", text))
    return re.sub(r"([\\`*_\[\]<>#!|~])", r"\\\1", flat)


def feedback_markdown(result: GradeResult) -> str:
    """One student's feedback: the score, then each cell wrong or unanswered with what it should be
    and why, the layers with no row, and what was right as read (the rounding assumed)."""
    score = result.score
    lines = [
        f"# Feedback: {_md(result.student)}",
        "",
        f"Sheet {_md(PurePath(result.path).name)}, graded against {_md(result.spec)}.",
        "",
        f"**Score: {score.right}/{score.graded}**"
        + (f" ({score.percent:.1f} %)" if score.percent is not None else "")
        + ("; all right." if result.all_right else "."),
        "",
    ]
    wrong = [(row, cell) for row, cell in result.cells() if not cell.right]
    if wrong:
        lines += ["## To correct", ""]
        for row, cell in wrong:
            word = _STATUS_WORDS[cell.status]
            lines.append(f"- line {row.line}, {_md(row.label)}, {cell.column} ({word}): {_md(cell.verdict())}")
        lines.append("")
    if result.missing:
        lines += ["## Layers with no row", "", ", ".join(_md(m) for m in result.missing), ""]
    if result.extra:
        lines += ["## Rows that match no layer", ""]
        lines += [f"- line {n}: {_md(label)}" for n, label in result.extra]
        lines.append("")
    quiet = ("", "exact", "size-1 axes ignored", "blank read as 0")
    rounded = [(row, cell) for row, cell in result.cells() if cell.right and cell.how not in quiet]
    if rounded:
        lines += ["## Right, as read", ""]
        lines += [f"- line {r.line}, {_md(r.label)}, {c.column} '{_md(c.written)}': {_md(c.how)}" for r, c in rounded]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def scores_csv(results: ClassResult) -> str:
    """One row per student: the score, per column, the mistakes; unreadable sheets with their error.

    Student names and file names are text cells: one starting with `=` cannot become a formula.
    """
    per_column = _answered_columns(results)
    grid_columns = [
        *SCORE_COLUMNS,
        *(numeric(f"{c}_right") for c in per_column),
        text("missing"),
        text("mistakes"),
        text("error"),
    ]
    rows: list[list[Cell]] = []
    for r in results.results:
        score = r.score
        percent = f"{score.percent:.1f}" if score.percent is not None else ""
        row: list[Cell] = [r.student, r.path, score.right, score.graded, percent, "yes" if r.all_right else "no"]
        rows.append([*row, *_per_column(r, per_column), "; ".join(r.missing), _mistake_counts(r, "; "), ""])
    for path, message in results.unreadable:
        rows.append(["", path, "", "", "", "", *[""] * len(per_column), "", "", message])
    return columns.to_csv(Grid(grid_columns, rows))


__all__ = ["class_lines", "feedback_markdown", "gradebook_csv", "result_lines", "scores_csv"]


def marks_json(marks: AssignmentScore) -> dict[str, object]:
    """An assignment's points for one sheet, question by question (ids that never change)."""
    return {
        "title": marks.title,
        "points": marks.earned,
        "max_points": marks.max_points,
        "percent": None if marks.percent is None else round(marks.percent, 1),
        "questions": [{"id": q, "status": marks.statuses[q], "points": marks.points.get(q)} for q in marks.statuses],
    }


@dataclass(frozen=True)
class SheetView:
    """What `grade` prints for one sheet: the result, and with an assignment its points."""

    result: GradeResult
    assignment: Assignment | None = None
    marks: AssignmentScore | None = None


def _sheet_text(v: SheetView, width: int | None) -> Text:
    return joined_lines(result_lines(v.result, width) + ([terminal(v.marks.text())] if v.marks else []))


def _sheet_json(v: SheetView, width: int | None) -> Text:
    document = to_json(v.result)
    if v.marks is not None:
        document["assignment"] = marks_json(v.marks)
    return json_parts(document)


#: `grade`'s formats for one sheet; gradescope is the autograder's results.json, exactly its keys
SHEET_WRITERS: Writers[SheetView] = Writers(
    {
        OutputFormat.text: _sheet_text,
        OutputFormat.json: _sheet_json,
        OutputFormat.gradescope: lambda v, width: (
            json.dumps(gradescope_json(v.result, v.assignment), indent=2, ensure_ascii=True) + "\n"
        ),
    }
)


@dataclass(frozen=True)
class ClassView:
    """What `grade` prints for a folder: the class, and with an assignment each sheet's points."""

    graded: ClassResult
    marks: Sequence[AssignmentScore] | None = None


def _class_text(v: ClassView, width: int | None) -> Text:
    lines = class_lines(v.graded, width)
    if v.marks is not None:
        pairs = zip(v.graded.results, v.marks, strict=True)
        lines += [terminal(f"{r.student} ({PurePath(r.path).name}): {m.text()}") for r, m in pairs]
    return joined_lines(lines)


def _class_json(v: ClassView, width: int | None) -> Text:
    document = class_json(v.graded)
    if v.marks is not None:
        pairs = zip(v.graded.results, v.marks, strict=True)
        document["assignment"] = [{"file": r.path, "student": r.student, **marks_json(m)} for r, m in pairs]
    return json_parts(document)


#: `grade`'s formats for a folder (Gradescope grades one submission at a time)
CLASS_WRITERS: Writers[ClassView] = Writers({OutputFormat.text: _class_text, OutputFormat.json: _class_json})
