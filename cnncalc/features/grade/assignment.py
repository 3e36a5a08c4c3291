"""An assignment: what a teacher asks of a network, how answers are read, and what each is worth.

`cnncalc assign NETWORK -o hw1.yaml` writes a small YAML file the teacher edits (every field
is described in docs/homework.md and by the JSON Schema `cnncalc schema assignment` prints):

    cnncalc_assignment: 1
    title: hw1
    network: lenet5              # a bundled name, or a spec file next to this one
    conventions: {bias: true, k: either, mb: either}
    precision: {sig_figs: 2, strict: false, ambiguous: flag}
    columns: [shape, size, params]
    points: 1                    # per cell
    column_points: {params: 2}   # per cell of a column, over `points`
    carried_forward: 0.5         # share of a cell's points when it is carried forward
    rows: [CONV1, POOL1, ...]    # the rows asked (the network's names); [] with totals only
    total: [params]              # the Total row's cells asked

A question is one cell asked: its id is the row and the column ("CONV1.params",
"Total.params"), never a position, so deleting a row leaves every other id as it was.
`cnncalc grade hw1.yaml SHEETS` grades against it, under its conventions and precision: the
points of the questions answered right (and the stated share of those carried forward), out
of the points the assignment asks (never what a sheet or a classmate happens to answer).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.core.report import Report
from cnncalc.errors import Diagnostic, Location
from cnncalc.features.grade.alignment import units_of
from cnncalc.features.grade.cells import AMBIGUOUS, KILO, MEGABYTE, Ambiguous, Kilo, Megabyte, Precision, Prefixes
from cnncalc.features.grade.labels import name_key
from cnncalc.features.grade.results import CellResult, GradeResult, Status
from cnncalc.features.grade.sheet import COLUMNS, Column, SheetError

FORMAT_KEY = "cnncalc_assignment"
MAX_QUESTIONS = 10_000
MAX_POINTS = 1_000_000
MAX_SIG_FIGS = 12
#: the keys of the file, in the order `assign` writes them
KEYS = (
    FORMAT_KEY,
    "title",
    "network",
    "conventions",
    "precision",
    "columns",
    "points",
    "column_points",
    "carried_forward",
    "rows",
    "total",
)
CONVENTION_KEYS = ("bias", "k", "mb")
PRECISION_KEYS = ("sig_figs", "strict", "ambiguous")
_HINT = "`cnncalc assign NETWORK -o hw1.yaml` writes one to edit; `cnncalc schema assignment` prints its schema"


@dataclass(frozen=True)
class Question:
    id: str  # "CONV1.params": the row and the column, stable
    row: str  # a layer or block of the network, or "Total"
    column: Column
    points: float


@dataclass(frozen=True)
class Counting:
    """The counting conventions of the course: biases counted or not, what K and MB mean."""

    bias: bool = True
    k: Kilo = "either"
    mb: Megabyte = "either"

    @property
    def prefixes(self) -> Prefixes:
        return Prefixes(kilo=self.k, megabyte=self.mb)


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
    conventions: Counting = field(default_factory=Counting)
    precision: Precision = field(default_factory=Precision)
    #: the share of a question's points a cell earns when it applies the right rule to the
    #: student's own wrong earlier answer (status "carried" and no other mistake); 0: none
    carried_forward: float = 0.0
    #: where each value was written ("rows.2", "precision.sig_figs"), for located errors later
    where: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

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

    def check_rows(self, names: Sequence[str]) -> None:
        """Every row asked is a row of the network (`network_rows`), or a located SheetError."""
        keys = {name_key(n) for n in names}
        for i, row in enumerate(self.rows):
            if name_key(row) not in keys:
                close = difflib.get_close_matches(row, list(names), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                where = self.where.get(f"rows.{i}") or self.where.get("rows") or Location(self.path, 1, 1)
                raise SheetError(
                    [
                        Diagnostic(
                            f"row '{row}' is not a layer of {self.network}",
                            where,
                            f"{hint}the rows are {', '.join(list(names)[:8])}{', ...' if len(names) > 8 else ''}",
                        )
                    ]
                )


def network_rows(report: Report) -> list[str]:
    """The rows an assignment may ask: the layers and blocks a lecture table lists, in order."""
    return [u.name for u in units_of(report, 1) if not u.skippable and u.kind != "input"]


def make_assignment(
    network: str,
    names: Sequence[str],
    columns: Sequence[Column],
    rows: Sequence[str] | None,
    total: Sequence[Column],
    points: float = 1,
    column_points: dict[Column, float] | None = None,
    title: str = "",
    conventions: Counting | None = None,
    precision: Precision | None = None,
    carried_forward: float = 0.0,
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
    return Assignment(
        title or "assignment",
        network,
        tuple(columns),
        asked,
        tuple(total),
        points,
        column_points or {},
        conventions=conventions or Counting(),
        precision=precision or Precision(),
        carried_forward=carried_forward,
    )


def assignment_yaml(a: Assignment) -> str:
    """The file a teacher edits: every field written, each with what it means; values JSON-quoted
    where they are not plain words, so that the file reads back as written."""

    def word(text: str) -> str:
        return text if re.fullmatch(r"[A-Za-z_][\w.\-]*", text) else json.dumps(text)

    def number(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else repr(float(x))

    c, p = a.conventions, a.precision
    lines = [
        "# what the sheets are asked, how answers are read, and the points; question ids are ROW.column",
        f"{FORMAT_KEY}: 1",
        f"title: {word(a.title)}",
        f"network: {word(a.network)}  # a bundled network, or a spec file from this file's folder",
        "conventions:",
        f"  bias: {'true' if c.bias else 'false'}  # biases counted in params (false: weights only)",
        f"  k: {c.k}  # K, M, G in a count: 1000, 1024 or either",
        f"  mb: {c.mb}  # kB, MB, GB of memory: MB (10^6 bytes), MiB (2^20) or either",
        "precision:",
        f"  sig_figs: {p.sig_figs}  # a rounded answer keeps at least this many significant figures",
        f"  strict: {'true' if p.strict else 'false'}  # true: only numbers in full are right",
        f"  ambiguous: {p.ambiguous}  # a rounding a known mistake also gives: flag (not counted), right or wrong",
        f"columns: [{', '.join(a.columns)}]",
        f"points: {number(a.points)}  # per cell",
        "column_points: {" + ", ".join(f"{col}: {number(v)}" for col, v in a.column_points.items()) + "}",
        f"carried_forward: {number(a.carried_forward)}  # share of a cell's points when worked right "
        "from the student's own wrong earlier answer",
        "rows: []  # the rows asked: none"
        if not a.rows
        else "rows:  # the rows asked: delete a line to stop asking it",
    ]
    lines += [f"  - {word(r)}" for r in a.rows]
    lines.append(f"total: [{', '.join(a.total)}]  # the Total row's cells asked")
    return "\n".join(lines) + "\n"


def is_assignment(text: str) -> bool:
    return re.search(rf"(?m)^{FORMAT_KEY}\s*:", text) is not None


class _Reader:
    """Reads the plain data of an assignment file, each problem located where it was written."""

    def __init__(self, data: dict[str, Any], source: str, locate: Callable[[Sequence[str | int], bool], Any]):
        self.data = data
        self.source = source
        self._locate = locate
        self.where: dict[str, Location] = {}

    def at(self, *path: str | int, key: bool = False) -> Location:
        found = self._locate(path, key)
        return found if isinstance(found, Location) else Location(self.source, 1, 1)

    def fail(self, message: str, *path: str | int, hint: str = _HINT, key: bool = False) -> SheetError:
        return SheetError([Diagnostic(message, self.at(*path, key=key), hint)])

    def keys(self, mapping: dict[str, Any], allowed: Sequence[str], *path: str) -> None:
        for k in mapping:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), list(allowed), n=1)
                where = ".".join([*path, str(k)])
                raise self.fail(
                    f"unknown key '{where}' in an assignment" + (f" (did you mean '{close[0]}'?)" if close else ""),
                    *path,
                    str(k),
                    hint=f"the keys are {', '.join(allowed)}",
                    key=True,
                )

    def columns(self, key: str) -> tuple[Column, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(f"`{key}` is a list of columns, of {', '.join(COLUMNS)}", key)
        for i, v in enumerate(value):
            if v not in COLUMNS:
                raise self.fail(f"`{key}`: {v!r} is not a column; the columns are {', '.join(COLUMNS)}", key, i)
        return tuple(v for v in COLUMNS if v in value)

    def points(self, value: Any, *path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_POINTS:
            raise self.fail(f"`{'.'.join(path)}` is a number of points from 0 to {MAX_POINTS:,}", *path)
        return float(value)

    def section(self, key: str, allowed: Sequence[str]) -> dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"`{key}` is a mapping of {', '.join(allowed)}", key)
        self.keys(value, allowed, key)
        return value

    def choice(self, value: Any, choices: Sequence[str], *path: str) -> str:
        text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
        if text not in choices:
            raise self.fail(f"`{'.'.join(path)}` is one of {', '.join(choices)}, not {value!r}", *path)
        return text

    def flag(self, value: Any, *path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"`{'.'.join(path)}` is true or false, not {value!r}", *path)
        return value


def read_assignment(text: str, source: str) -> Assignment:
    """An assignment file as a teacher edited it; a problem is a SheetError at its line and
    column (exit 2), the same rules as the JSON Schema (assignment_schema)."""
    from cnncalc.errors import SpecError
    from cnncalc.spec.loader import parse_yaml

    try:
        data, source_map = parse_yaml(text, source, "assignment")
    except SpecError as e:
        raise SheetError(e.diagnostics) from None
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise SheetError.single(f"not an assignment (no `{FORMAT_KEY}:`)", Location(source, 1, 1), hint=_HINT)
    r = _Reader(data, source, lambda path, key: source_map.locate(path, key=key))
    r.keys(data, KEYS)
    if data[FORMAT_KEY] != 1:
        raise r.fail(f"`{FORMAT_KEY}` is 1 (the version of the format), not {data[FORMAT_KEY]!r}", FORMAT_KEY)
    network = data.get("network")
    if not isinstance(network, str) or not network.strip():
        path = ("network",) if "network" in data else ()
        raise r.fail("`network` names the network: a bundled name or a spec file", *path)
    title = data.get("title")
    if title is not None and not isinstance(title, str | int | float):
        raise r.fail("`title` is the assignment's name, a string", "title")
    rows = data.get("rows") or []
    if not isinstance(rows, list):
        raise r.fail("`rows` is a list of the network's layer names", "rows")
    for i, row in enumerate(rows):
        if isinstance(row, bool) or not isinstance(row, str | int) or not str(row).strip():
            raise r.fail("`rows` is a list of the network's layer names", "rows", i)
    column_points = data.get("column_points") or {}
    if not isinstance(column_points, dict):
        raise r.fail(f"`column_points` maps columns ({', '.join(COLUMNS)}) to points", "column_points")
    r.keys(column_points, COLUMNS, "column_points")
    conventions = r.section("conventions", CONVENTION_KEYS)
    precision = r.section("precision", PRECISION_KEYS)
    sig_figs = precision.get("sig_figs", 2)
    if isinstance(sig_figs, bool) or not isinstance(sig_figs, int) or not 1 <= sig_figs <= MAX_SIG_FIGS:
        raise r.fail(f"`precision.sig_figs` is a whole number from 1 to {MAX_SIG_FIGS}", "precision", "sig_figs")
    carried = data.get("carried_forward", 0)
    if isinstance(carried, bool) or not isinstance(carried, int | float) or not 0 <= carried <= 1:
        raise r.fail("`carried_forward` is the share of a cell's points, from 0 to 1 (0.5: half)", "carried_forward")
    a = Assignment(
        title=str(title if title is not None else Path(source).stem),
        network=network.strip(),
        columns=r.columns("columns"),
        rows=tuple(str(row).strip() for row in rows),
        total=r.columns("total"),
        points=r.points(data.get("points", 1), "points"),
        column_points={k: r.points(v, "column_points", k) for k, v in column_points.items()},
        path=source,
        conventions=Counting(
            bias=r.flag(conventions.get("bias", True), "conventions", "bias"),
            k=_kilo(r.choice(conventions.get("k", "either"), KILO, "conventions", "k")),
            mb=_megabyte(r.choice(conventions.get("mb", "either"), MEGABYTE, "conventions", "mb")),
        ),
        precision=Precision(
            sig_figs=sig_figs,
            strict=r.flag(precision.get("strict", False), "precision", "strict"),
            ambiguous=_ambiguous(r.choice(precision.get("ambiguous", "flag"), AMBIGUOUS, "precision", "ambiguous")),
        ),
        carried_forward=float(carried),
        where={
            **{f"rows.{i}": r.at("rows", i) for i in range(min(len(rows), MAX_QUESTIONS))},
            "rows": r.at("rows"),
        },
    )
    if not a.questions:
        raise r.fail("the assignment asks nothing: give `rows` and `columns`, or `total`")
    if len(a.questions) > MAX_QUESTIONS:
        raise r.fail(f"{len(a.questions):,} questions; at most {MAX_QUESTIONS:,}", "rows")
    ids = [q.id for q in a.questions]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise r.fail(f"question {twice} is asked twice: a row is listed twice", "rows")
    return a


def _kilo(text: str) -> Kilo:
    return next(k for k in KILO if k == text)


def _megabyte(text: str) -> Megabyte:
    return next(m for m in MEGABYTE if m == text)


def _ambiguous(text: str) -> Ambiguous:
    return next(a for a in AMBIGUOUS if a == text)


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
        carried = sum(s == "carried" and self.points.get(q, 0) > 0 for q, s in self.statuses.items())
        percent = f" ({self.percent:.1f} %)" if self.percent is not None else ""
        partial = f", {carried} carried forward (part credit)" if carried else ""
        return (
            f"Assignment {self.title}: {_num(self.earned)}/{_num(self.max_points)} points{percent}, "
            f"{right} of {len(self.statuses)} questions right{partial}"
        )


def carried_only(cell: CellResult) -> bool:
    """A cell worked right from the student's own wrong earlier answer, and nothing else wrong."""
    return cell.status == "carried" and cell.mistakes == ("carried",)


def score(assignment: Assignment, result: GradeResult) -> AssignmentScore:
    """The questions of `assignment` answered by `result`: a question with no cell is missing.

    A right cell earns its points; a carried-forward one (carried_only) the assignment's
    `carried_forward` share of them; an ambiguous one (the `flag` policy) none, and is left out
    of the points possible."""
    found: dict[tuple[str, str], CellResult] = {}
    for row, cell in result.cells():
        if row.total:
            if row.layers[0] == "total":
                found.setdefault(("total", cell.column), cell)
            continue
        for layer in row.layers:
            found.setdefault((name_key(layer), cell.column), cell)
    statuses: dict[str, Status] = {}
    points: dict[str, float] = {}
    for q in assignment.questions:
        answer = found.get((name_key(q.row), q.column))
        status: Status = answer.status if answer is not None else "missing"
        statuses[q.id] = status
        if status == "ambiguous":  # neither right nor wrong: out of the points possible
            continue
        if status == "right":
            points[q.id] = q.points
        elif answer is not None and carried_only(answer):
            points[q.id] = q.points * assignment.carried_forward
        else:
            points[q.id] = 0.0
    possible = sum(q.points for q in assignment.questions if statuses[q.id] != "ambiguous")
    return AssignmentScore(assignment.title, statuses, points, possible)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


__all__ = [
    "Assignment",
    "AssignmentScore",
    "Counting",
    "Question",
    "assignment_yaml",
    "carried_only",
    "is_assignment",
    "make_assignment",
    "network_rows",
    "read_assignment",
    "score",
]
