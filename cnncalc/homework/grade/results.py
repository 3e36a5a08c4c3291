"""What grading gives: a verdict per cell, per row and per sheet, the score, and a class's summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cnncalc.homework.mistakes import CATALOG
from cnncalc.homework.sheet import COLUMNS, Column

Status = Literal["right", "wrong", "carried"]


@dataclass(frozen=True)
class CellResult:
    """One graded cell: right (and how it was read), or wrong with what it should be and why."""

    column: Column
    written: str
    right: bool
    expected: str  # the true value as shown: '608', '(28, 28, 8)'
    expected_value: int | tuple[int, ...]
    how: str = ""  # right: 'exact', or the rounding assumed
    mistakes: tuple[str, ...] = ()
    detail: str = ""  # the student's figure under the mistake: '(5*5*3)*8 = 600'
    step: str = ""  # the explanation step that gives the expected value
    problem: str = ""  # 'no answer', 'could not read ...'

    @property
    def status(self) -> Status:
        if self.right:
            return "right"
        return "carried" if "carried" in self.mistakes else "wrong"

    def verdict(self) -> str:
        """One sentence for the student."""
        if self.right:
            return "right" if self.how in ("", "exact") else f"right ({self.how})"
        text = f"{self.problem}; " if self.problem else "wrong: "
        text += f"expected {self.expected}"
        if self.step:
            text += f": {self.step}"
        if self.mistakes:
            names = " and ".join(CATALOG[m].name for m in self.mistakes)
            rules = "; ".join(CATALOG[m].rule for m in self.mistakes)
            text += f". Mistake: {names}" + (f" ({self.detail})" if self.detail else "") + f" — {rules}"
        elif not self.problem:  # said honestly rather than guessed
            text += f"; no common mistake gives {self.written.strip()}"
        return text


@dataclass(frozen=True)
class RowResult:
    line: int
    label: str
    layers: tuple[str, ...]  # the layers (or blocks) of the spec the row was matched to
    cells: tuple[CellResult, ...]
    total: bool = False


@dataclass(frozen=True)
class Score:
    right: int
    graded: int
    columns: dict[Column, tuple[int, int]]  # column -> (right, graded)

    def text(self) -> str:
        parts = ", ".join(f"{c} {r}/{g}" for c, (r, g) in self.columns.items())
        return f"{self.right}/{self.graded} right" + (f" ({parts})" if parts else "")


@dataclass(frozen=True)
class GradeResult:
    spec: str
    student: str
    path: str
    columns: tuple[Column, ...]
    rows: tuple[RowResult, ...]
    missing: tuple[str, ...]  # layers of the spec no row answers
    missing_with_params: tuple[str, ...]  # those of them that have parameters
    extra: tuple[tuple[int, str], ...]  # (line, label) of rows that match no layer
    ignored: tuple[str, ...]  # columns of the sheet that are not graded
    notes: tuple[str, ...]
    conventions: str

    def cells(self) -> Iterable[tuple[RowResult, CellResult]]:
        return ((row, cell) for row in self.rows for cell in row.cells)

    @property
    def score(self) -> Score:
        columns: dict[Column, tuple[int, int]] = {}
        for _, cell in self.cells():
            right, graded = columns.get(cell.column, (0, 0))
            columns[cell.column] = (right + cell.right, graded + 1)
        ordered = {c: columns[c] for c in COLUMNS if c in columns}
        return Score(sum(r for r, _ in ordered.values()), sum(g for _, g in ordered.values()), ordered)

    @property
    def all_right(self) -> bool:
        """Every graded cell right, and no layer with parameters left out."""
        score = self.score
        return score.graded > 0 and score.right == score.graded and not self.missing_with_params

    def mistakes(self) -> Counter[str]:
        """How many wrong cells each mistake explains."""
        return Counter(m for _, cell in self.cells() if not cell.right for m in cell.mistakes)


@dataclass(frozen=True)
class ClassResult:
    """A folder of sheets graded against one spec."""

    spec: str
    results: tuple[GradeResult, ...]
    unreadable: tuple[tuple[str, str], ...]  # (file, message)

    def mistakes(self) -> list[tuple[str, int, int]]:
        """(mistake, wrong cells it explains, sheets where it occurs), most frequent first."""
        cells: Counter[str] = Counter()
        sheets: Counter[str] = Counter()
        for r in self.results:
            counts = r.mistakes()
            cells.update(counts)
            sheets.update(counts.keys())
        return sorted(((m, cells[m], sheets[m]) for m in cells), key=lambda t: (-t[2], -t[1], t[0]))

    def hardest(self, limit: int = 5) -> list[tuple[str, int]]:
        """The cells most often wrong: ('CONV2 params', sheets); ties in the order the sheets show them.

        A set here would order ties by string hashes, which change from run to run.
        """
        wrong: Counter[str] = Counter()
        for r in self.results:
            wrong.update(list(dict.fromkeys(f"{row.label} {cell.column}" for row, cell in r.cells() if not cell.right)))
        return sorted(wrong.items(), key=lambda item: -item[1])[:limit]


__all__ = ["CellResult", "ClassResult", "GradeResult", "RowResult", "Score", "Status"]
