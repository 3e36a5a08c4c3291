"""Grades in the files learning platforms import: a roster, points per question, Gradescope's JSON.

- A roster (`--roster roster.csv`) maps each sheet file to a student: columns `file` and `name`,
  and optionally `id`, `sis user id`, `sis login id`, `section`, `email` (titles in any case).
- `gradebook(..., lms)` writes numeric points per question, in the columns each platform's CSV
  import expects (tests/features/grade/test_grade_lms.py holds each platform's documented rules):
  Canvas (Student, ID, SIS User ID, SIS Login ID, Section, then one column per question, and the
  "Points Possible" row Canvas's own export writes; no total column, since Canvas makes an
  assignment of every column after Section and would count each point twice), Moodle (an
  `ID number` and an `Email address` column to map users by, every student having one of them,
  the questions, the total) or plain (student, id, file, the questions, total, max).
- `gradescope_json` is the autograder's results.json: score, output and one test per question
  (name, score, max_score, output); no top-level max_score, which the format does not have (the
  assignment's points are set on Gradescope; the tests' max_score add up to this sheet's).

Without an assignment each cell asked is one point; with one, its questions and points. A
question a sheet was not asked is left empty, never scored 0 for it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

from cnncalc.errors import Diagnostic, Location
from cnncalc.features.grade.assignment import Assignment, score
from cnncalc.features.grade.labels import name_key
from cnncalc.features.grade.results import ClassResult, GradeResult
from cnncalc.features.grade.sheet import SheetError
from cnncalc.render.escape import csv_cell

Lms = Literal["canvas", "moodle", "plain"]
LMS: tuple[Lms, ...] = ("canvas", "moodle", "plain")
MAX_ROSTER = 100_000

_ROSTER_TITLES = {
    "file": ("file", "sheet", "filename", "file name"),
    "name": ("name", "student", "student name"),
    "id": ("id", "user id", "canvas id", "student id"),
    "sis_id": ("sis user id", "sis id", "id number", "idnumber"),
    "login": ("sis login id", "login", "username", "login id"),
    "section": ("section",),
    "email": ("email", "email address", "e-mail"),
}


@dataclass(frozen=True)
class Student:
    file: str
    name: str
    id: str = ""
    sis_id: str = ""
    login: str = ""
    section: str = ""
    email: str = ""


def read_roster(text: str, source: str) -> dict[str, Student]:
    """Roster rows by sheet file name; a problem is a located SheetError (exit 2)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise SheetError.single(f"{source}: an empty roster", Location(source, 1, 1), hint="file,name,id")
    header = [re.sub(r"\s+", " ", h.strip().lower().replace("_", " ")) for h in rows[0]]
    at: dict[str, int] = {}
    for key, titles in _ROSTER_TITLES.items():
        found = next((i for i, h in enumerate(header) if h in titles), None)
        if found is not None:
            at[key] = found
    if "file" not in at or "name" not in at:
        raise SheetError.single(
            f"{source}: a roster needs a `file` and a `name` column", Location(source, 1, 1), hint="file,name,id"
        )
    out: dict[str, Student] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(out) >= MAX_ROSTER:
            raise SheetError([Diagnostic(f"more than {MAX_ROSTER:,} students", Location(source, line, 1))])
        values = {k: (cells[i].strip() if i < len(cells) else "") for k, i in at.items()}
        file = PurePath(values.pop("file")).name
        if not file or not values.get("name"):
            raise SheetError([Diagnostic("a roster row needs a file and a name", Location(source, line, 1))])
        if file in out:
            raise SheetError([Diagnostic(f"{file!r} is in the roster twice", Location(source, line, 1))])
        out[file] = Student(file, **values)
    return out


@dataclass(frozen=True)
class Points:
    """Each question's points for one sheet: None where the sheet was not asked it."""

    questions: tuple[tuple[str, float], ...]  # (question id, max points), the columns' order
    values: tuple[float | None, ...]

    @property
    def total(self) -> float:
        return sum(v for v in self.values if v is not None)

    @property
    def max_total(self) -> float:
        return sum(m for (_, m), v in zip(self.questions, self.values, strict=True) if v is not None)


def questions_of(graded: ClassResult, assignment: Assignment | None) -> tuple[tuple[str, float], ...]:
    if assignment is not None:
        return tuple((q.id, q.points) for q in assignment.questions)
    return tuple((q, 1.0) for q in graded.questions())


def points(result: GradeResult, questions: Sequence[tuple[str, float]], assignment: Assignment | None) -> Points:
    if assignment is not None:
        earned = score(assignment, result).points
        return Points(tuple(questions), tuple(earned.get(q) for q, _ in questions))
    asked = result.questions()
    # an ambiguous cell is neither right nor wrong: no points, and not in the points possible
    values = tuple(
        (m if asked[q] == "right" else 0.0) if q in asked and asked[q] != "ambiguous" else None for q, m in questions
    )
    return Points(tuple(questions), values)


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def gradebook(
    graded: ClassResult, lms: Lms, roster: dict[str, Student] | None = None, assignment: Assignment | None = None
) -> str:
    """The class's points per question and total, as `lms` imports them (see the module docstring)."""
    questions = questions_of(graded, assignment)
    prefix = f"{assignment.title}: " if assignment is not None else ""
    titles = [f"{prefix}{q}" for q, _ in questions]
    total_title = f"{prefix}Total" if prefix else "Total"
    roster = roster or {}
    people: list[tuple[Student, Points | None]] = []
    seen: set[str] = set()
    for r in graded.results:
        file = PurePath(r.path).name
        seen.add(file)
        people.append((roster.get(file, Student(file, r.student)), points(r, questions, assignment)))
    people += [(s, None) for f, s in roster.items() if f not in seen]  # on the roster, no sheet

    def row_points(p: Points | None) -> list[str]:
        if p is None:
            return [""] * (len(questions) + 1)
        return [_num(v) for v in p.values] + [_num(p.total)]

    lines: list[list[str]] = []
    if lms == "canvas":
        lines.append(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *titles])
        lines.append(["    Points Possible", "", "", "", "", *(_num(m) for _, m in questions)])
        lines += [[s.name, s.id, s.sis_id, s.login, s.section, *row_points(p)[:-1]] for s, p in people]
    elif lms == "moodle":
        unmapped = [s.file for s, p in people if p is not None and not (s.sis_id or s.id or s.email)]
        if unmapped:
            shown = ", ".join(unmapped[:5]) + (f" and {len(unmapped) - 5} more" if len(unmapped) > 5 else "")
            raise SheetError.single(
                f"--lms moodle: no ID number or email for {shown}: Moodle maps each row to a user by one of them",
                hint="give these sheets rows in --roster, with an `id number` (or `id`) or an `email` column",
            )
        lines.append(["Student", "ID number", "Email address", *titles, total_title])
        lines += [[s.name, s.sis_id or s.id, s.email, *row_points(p)] for s, p in people]
    else:
        lines.append(["student", "id", "file", *titles, total_title, "max"])
        lines += [[s.name, s.id, s.file, *row_points(p), _num(p.max_total) if p is not None else ""] for s, p in people]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in lines:
        writer.writerow([csv_cell(c) if c and not re.fullmatch(r"\d+(?:\.\d+)?", c) else c for c in cells])
    return out.getvalue()


def _key(layer: str, column: str) -> str:
    return f"{name_key(layer)}.{column}"


def gradescope_json(result: GradeResult, assignment: Assignment | None = None) -> dict[str, Any]:
    """Gradescope's autograder results.json for one sheet: score, max_score, a test per question."""
    questions = (
        tuple((q.id, q.points) for q in assignment.questions)
        if assignment is not None
        else tuple((q, 1.0) for q in result.questions())
    )
    earned = points(result, questions, assignment)
    verdicts: dict[str, str] = {}  # by the question's key: the layer's name and the column
    for row, cell in result.cells():
        text = f"line {row.line}, {row.label}: {cell.verdict()}"
        verdicts.setdefault(_key(row.question, cell.column), text)
    if assignment is not None:
        outputs = {q.id: verdicts.get(_key(q.row, q.column), "no answer") for q in assignment.questions}
    else:
        outputs = {}
        for q, _ in questions:
            layer, _, column = q.rpartition(" ")
            outputs[q] = verdicts.get(_key(layer, column), "no answer")
    # an ambiguous cell is worth nothing either way: its test is out of 0
    tests = [
        {"name": q, "score": v or 0.0, "max_score": m if v is not None else 0.0, "output": outputs.get(q, "no answer")}
        for (q, m), v in zip(questions, earned.values, strict=True)
    ]
    possible = sum(m for (_, m), v in zip(questions, earned.values, strict=True) if v is not None)
    return {
        "score": earned.total,
        "output": f"{result.student}: graded against {result.spec}, {_num(earned.total)} of {_num(possible)} points",
        "tests": tests,
    }


__all__ = ["LMS", "Lms", "Points", "Student", "gradebook", "gradescope_json", "points", "questions_of", "read_roster"]
