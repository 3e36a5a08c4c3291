"""An assignment: what a teacher asks of a network, and how many points each answer is worth.

`cnncalc assign NETWORK -o hw1.yaml` writes a small YAML file the teacher edits:

    cnncalc_assignment: 1
    title: hw1
    network: lenet5              # a bundled name, or a spec file next to this one
    columns: [shape, size, params]
    points: 1                    # per cell
    column_points: {params: 2}   # per cell of a column, over `points`
    rows: [CONV1, POOL1, ...]    # the rows asked (the network's names); [] with totals only
    total: [params]              # the Total row's cells asked

A question is one cell asked: its id is the row and the column ("CONV1.params",
"Total.params"), never a position, so deleting a row leaves every other id as it was.
`cnncalc grade hw1.yaml SHEETS` grades against it: the points of the questions answered right,
out of the points the assignment asks (never what a sheet or a classmate happens to answer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnncalc.errors import Diagnostic, Location
from cnncalc.features.grade.labels import name_key
from cnncalc.features.grade.results import GradeResult, Status
from cnncalc.features.grade.sheet import COLUMNS, Column, SheetError

FORMAT_KEY = "cnncalc_assignment"
EMPTY = "rows: []  # the rows asked: none"
MAX_QUESTIONS = 10_000


@dataclass(frozen=True)
class Question:
    id: str  # "CONV1.params": the row and the column, stable
    row: str  # a layer or block of the network, or "Total"
    column: Column
    points: float


@dataclass(frozen=True)
class Assignment:
    title: str
    network: str  # as written in the file
    columns: tuple[Column, ...]
    rows: tuple[str, ...]
    total: tuple[Column, ...]
    points: float
    column_points: dict[Column, float]
    path: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        out = [
            Question(f"{row}.{c}", row, c, self.column_points.get(c, self.points))
            for row in self.rows
            for c in self.columns
        ]
        out += [Question(f"Total.{c}", "Total", c, self.column_points.get(c, self.points)) for c in self.total]
        return tuple(out)

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    def network_path(self) -> str:
        """The network: a bundled name as written, a spec file relative to the assignment's folder."""
        if self.path and ("/" in self.network or self.network.endswith((".yaml", ".yml", ".json"))):
            candidate = Path(self.path).parent / self.network
            if not Path(self.network).is_absolute():
                return str(candidate)
        return self.network


def make_assignment(
    network: str,
    names: Sequence[str],
    columns: Sequence[Column],
    rows: Sequence[str] | None,
    total: Sequence[Column],
    points: float = 1,
    column_points: dict[Column, float] | None = None,
    title: str = "",
) -> Assignment:
    """An assignment over `names` (the network's rows, in order): all of them (rows None), some, or none."""
    asked = tuple(names) if rows is None else tuple(rows)
    keys = {name_key(n): n for n in names}
    unknown = [r for r in asked if name_key(r) not in keys]
    if unknown:
        raise SheetError.single(
            f"not layers of {network}: {', '.join(unknown[:5])}", hint=f"of {', '.join(list(names)[:8])}, ..."
        )
    asked = tuple(keys[name_key(r)] for r in asked)
    return Assignment(title or "assignment", network, tuple(columns), asked, tuple(total), points, column_points or {})


def assignment_yaml(a: Assignment) -> str:
    """The file a teacher edits; every value JSON-quoted where it is not a plain word."""

    def word(text: str) -> str:
        return text if re.fullmatch(r"[A-Za-z_][\w.\-]*", text) else json.dumps(text)

    def number(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else repr(float(x))

    rows = "\n".join(f"  - {word(r)}" for r in a.rows)
    lines = [
        "# what the sheets are asked, and the points; question ids are ROW.column (CONV1.params)",
        f"{FORMAT_KEY}: 1",
        f"title: {word(a.title)}",
        f"network: {word(a.network)}",
        f"columns: [{', '.join(a.columns)}]",
        f"points: {number(a.points)}  # per cell",
        "column_points: {" + ", ".join(f"{c}: {number(p)}" for c, p in a.column_points.items()) + "}",
        "rows: []  # the rows asked: none"
        if not a.rows
        else "rows:  # the rows asked: delete a line to stop asking it",
    ]
    if a.rows:
        lines.append(rows)
    lines.append(f"total: [{', '.join(a.total)}]  # the Total row's cells asked")
    return "\n".join(lines) + "\n"


def is_assignment(text: str) -> bool:
    return re.search(rf"(?m)^{FORMAT_KEY}\s*:", text) is not None


def read_assignment(text: str, source: str) -> Assignment:
    """An assignment file as a teacher edited it; a problem is a located SheetError (exit 2)."""
    from cnncalc.errors import SpecError
    from cnncalc.spec.loader import parse_yaml

    try:
        data, _ = parse_yaml(text, source, "assignment")
    except SpecError as e:
        raise SheetError(e.diagnostics) from None
    where = Location(source, 1, 1)
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise SheetError.single(f"{source}: not an assignment (no `{FORMAT_KEY}:`)", where)

    def fail(message: str) -> SheetError:
        hint = "`cnncalc assign NETWORK -o hw1.yaml` writes one to edit"
        return SheetError([Diagnostic(f"{source}: {message}", where, hint)])

    def columns_of(key: str) -> tuple[Column, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or any(v not in COLUMNS for v in value):
            raise fail(f"`{key}` is a list of {', '.join(COLUMNS)}")
        return tuple(v for v in COLUMNS if v in value)

    def points_of(value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1_000_000:
            raise fail(f"`{key}` is a number of points from 0 to 1,000,000")
        return float(value)

    network = data.get("network")
    if not isinstance(network, str) or not network.strip():
        raise fail("`network` names the network: a bundled name or a spec file")
    rows = data.get("rows") or []
    if not isinstance(rows, list) or not all(isinstance(r, str | int) for r in rows):
        raise fail("`rows` is a list of the network's layer names")
    column_points = data.get("column_points") or {}
    if not isinstance(column_points, dict) or any(k not in COLUMNS for k in column_points):
        raise fail(f"`column_points` maps columns ({', '.join(COLUMNS)}) to points")
    a = Assignment(
        title=str(data.get("title") or Path(source).stem),
        network=network.strip(),
        columns=columns_of("columns"),
        rows=tuple(str(r) for r in rows),
        total=columns_of("total"),
        points=points_of(data.get("points", 1), "points"),
        column_points={k: points_of(v, f"column_points.{k}") for k, v in column_points.items()},
        path=source,
    )
    if not a.questions:
        raise fail("asks nothing: give `rows` and `columns`, or `total`")
    if len(a.questions) > MAX_QUESTIONS:
        raise fail(f"{len(a.questions):,} questions; at most {MAX_QUESTIONS:,}")
    return a


@dataclass(frozen=True)
class AssignmentScore:
    """One sheet against an assignment: each question's status and points."""

    title: str
    statuses: dict[str, Status]  # question id -> status
    points: dict[str, float]  # question id -> points earned
    max_points: float

    @property
    def earned(self) -> float:
        return sum(self.points.values())

    @property
    def percent(self) -> float | None:
        return 100 * self.earned / self.max_points if self.max_points else None

    @property
    def all_right(self) -> bool:
        return all(s in ("right", "ambiguous") for s in self.statuses.values())

    def text(self) -> str:
        right = sum(s == "right" for s in self.statuses.values())
        percent = f" ({self.percent:.1f} %)" if self.percent is not None else ""
        return (
            f"Assignment {self.title}: {_num(self.earned)}/{_num(self.max_points)} points{percent}, "
            f"{right} of {len(self.statuses)} questions right"
        )


def score(assignment: Assignment, result: GradeResult) -> AssignmentScore:
    """The questions of `assignment` answered by `result`: a question with no cell is missing."""
    found: dict[tuple[str, str], Status] = {}
    for row, cell in result.cells():
        if row.total:
            if row.layers[0] == "total":
                found.setdefault(("total", cell.column), cell.status)
            continue
        for layer in row.layers:
            found.setdefault((name_key(layer), cell.column), cell.status)
    statuses: dict[str, Status] = {}
    points: dict[str, float] = {}
    for q in assignment.questions:
        status = found.get((name_key(q.row), q.column), "missing")
        statuses[q.id] = status
        if status != "ambiguous":  # neither right nor wrong: out of the points possible
            points[q.id] = q.points if status == "right" else 0.0
    possible = sum(q.points for q in assignment.questions if statuses[q.id] != "ambiguous")
    return AssignmentScore(assignment.title, statuses, points, possible)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


__all__ = [
    "Assignment",
    "AssignmentScore",
    "Question",
    "assignment_yaml",
    "is_assignment",
    "make_assignment",
    "read_assignment",
    "score",
]
