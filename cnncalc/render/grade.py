"""`cnncalc grade` output: one sheet or a class in a terminal, and the scores CSV.

Sheets come from students: every cell, label, student name and file name they hold is
escaped here for the output it goes into (terminal or CSV), never trusted as markup.
"""

from __future__ import annotations

from pathlib import PurePath

from cnncalc.homework.grade import CATALOG, ClassResult, GradeResult
from cnncalc.homework.sheet import COLUMNS, TITLES
from cnncalc.render import columns
from cnncalc.render.columns import Cell, Grid, numeric, text
from cnncalc.render.escape import terminal
from cnncalc.render.table import render_grid

RIGHT, WRONG = "\u2713", "\u2717"


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
            cells.append(f"{RIGHT if cell.right else WRONG} {cell.written}" if cell else "")
        rows.append(cells)
    table = render_grid(Grid(grid_columns, rows), width)
    lines: list[str] = []
    wrong = [(row, cell) for row, cell in result.cells() if not cell.right]
    if wrong:
        lines.append("Wrong:")
        lines += [f"  line {r.line}, {r.label}, {c.column} '{c.written}': {c.verdict()}" for r, c in wrong]
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


def class_lines(results: ClassResult, width: int | None) -> list[str]:
    """A folder: one row per student, then the most frequent mistakes of the class."""
    shown = [c for c in COLUMNS if any(c in r.columns for r in results.results)]
    grid_columns = [
        text("Student"),
        text("File", priority=1),
        numeric("Score"),
        *(numeric(c) for c in shown),
        text("Mistakes"),
    ]
    rows: list[list[Cell]] = []
    for r in results.results:
        score = r.score
        per = [f"{score.columns[c][0]}/{score.columns[c][1]}" if c in score.columns else "" for c in shown]
        mistakes = ", ".join(f"{CATALOG[m].name} x{n}" for m, n in r.mistakes().most_common())
        rows.append([r.student, PurePath(r.path).name, f"{score.right}/{score.graded}", *per, mistakes])
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
    after += [f"unreadable, skipped: {message}" for _, message in results.unreadable]
    return lines + [terminal(line) for line in after]


SCORE_COLUMNS = [
    text("student"),
    text("file"),
    numeric("right"),
    numeric("graded"),
    numeric("percent"),
    text("all_right"),
]


def scores_csv(results: ClassResult) -> str:
    """One row per student: the score, per column, the mistakes; unreadable sheets with their error.

    Student names and file names are text cells: one starting with `=` cannot become a formula.
    """
    per_column = [c for c in COLUMNS if any(c in r.columns for r in results.results)]
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
        per = [f"{score.columns[c][0]}/{score.columns[c][1]}" if c in score.columns else "" for c in per_column]
        percent = f"{100 * score.right / score.graded:.1f}" if score.graded else ""
        mistakes = "; ".join(f"{CATALOG[m].name} x{n}" for m, n in r.mistakes().most_common())
        row: list[Cell] = [r.student, r.path, score.right, score.graded, percent, "yes" if r.all_right else "no"]
        rows.append([*row, *per, "; ".join(r.missing), mistakes, ""])
    for path, message in results.unreadable:
        rows.append(["", path, "", "", "", "", *[""] * len(per_column), "", "", message])
    return columns.to_csv(Grid(grid_columns, rows))


__all__ = ["class_lines", "result_lines", "scores_csv"]
