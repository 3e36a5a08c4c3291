"""What grading gives: a verdict per cell, per row and per sheet, the score, and a class's summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cnncalc.features.grade.mistakes import CATALOG
from cnncalc.features.grade.sheet import COLUMNS, Column

#: ambiguous: a rounding that cannot tell the right number from a known mistake's ("48K" for
#: 48,120, also 48,000 without the biases); counted neither right nor wrong (wrong under --strict)
Status = Literal["right", "wrong", "carried", "missing", "ambiguous"]

#: how a total row is named in the class view and the gradebook, whatever the sheet wrote
TOTAL_LABELS = {
    "total": "Total",
    "conv": "conv layers",
    "dense": "fully connected layers",
    "dense_one": "fully connected layer",
}


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
    problem: str = ""  # 'no answer', 'could not read ...', 'ambiguous: write one more digit ...'
    ambiguous: bool = False  # right at its rounding, and so is a known mistake: neither right nor wrong

    @property
    def status(self) -> Status:
        if self.right:
            return "right"
        if self.ambiguous:
            return "ambiguous"
        if self.problem == "no answer":
            return "missing"
        return "carried" if "carried" in self.mistakes else "wrong"

    def verdict(self) -> str:
        """One sentence for the student."""
        if self.right:
            return "right" if self.how in ("", "exact") else f"right ({self.how})"
        if self.ambiguous:
            return f"{self.problem}: {self.detail}" if self.detail else self.problem
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

    @property
    def question(self) -> str:
        """The row as the network names it: 'FC1' and 'fc1' are one question; totals by kind."""
        if self.total:
            return TOTAL_LABELS.get(self.layers[0], self.layers[0])
        return "+".join(self.layers)


@dataclass(frozen=True)
class Score:
    """Cells right of the cells asked, this sheet's own: its rows' cells, and the cells of each
    layer with weights that has no row (asked and unanswered, `missing`). Never what classmates
    answered: a totals-only sheet is asked its totals, a table without pools is not asked them."""

    right: int
    graded: int
    columns: dict[Column, tuple[int, int]]  # column -> (right, graded)
    missing: int = 0
    ambiguous: int = 0  # cells flagged "write one more digit": in neither right nor graded

    @property
    def percent(self) -> float | None:
        return 100 * self.right / self.graded if self.graded else None

    def text(self) -> str:
        parts = ", ".join(f"{c} {r}/{g}" for c, (r, g) in self.columns.items())
        unanswered = f", {self.missing} unanswered" if self.missing else ""
        unanswered += f", {self.ambiguous} ambiguous (not counted)" if self.ambiguous else ""
        return f"{self.right}/{self.graded} right" + (f" ({parts})" if parts else "") + unanswered


@dataclass(frozen=True)
class GradeResult:
    """One answer sheet graded against a spec.

    Every cell judged, what the sheet left out or added, and the conventions it was graded under
    (views and scores read it; nothing is recomputed)."""

    spec: str
    student: str
    path: str
    columns: tuple[Column, ...]
    rows: tuple[RowResult, ...]
    missing: tuple[str, ...]  # layers of the spec no row answers
    missing_with_params: tuple[str, ...]  # those of them that have parameters: asked, unanswered
    extra: tuple[tuple[int, str], ...]  # (line, label) of rows that match no layer
    ignored: tuple[str, ...]  # columns of the sheet that are not graded
    notes: tuple[str, ...]
    conventions: str

    def cells(self) -> Iterable[tuple[RowResult, CellResult]]:
        return ((row, cell) for row in self.rows for cell in row.cells)

    @property
    def score(self) -> Score:
        columns: dict[Column, tuple[int, int]] = {}
        missing = ambiguous = 0
        for _, cell in self.cells():
            if cell.ambiguous:  # neither right nor wrong: out of the score
                ambiguous += 1
                continue
            right, graded = columns.get(cell.column, (0, 0))
            columns[cell.column] = (right + cell.right, graded + 1)
            missing += cell.status == "missing"
        # the cells of the layers with weights that have no row: asked of every layer table, unanswered.
        # A layer without weights that a table leaves out (the AlexNet table's pools) is not asked.
        left_out = self.missing_with_params
        for column in self.columns if left_out else ():
            right, graded = columns.get(column, (0, 0))
            columns[column] = (right, graded + len(left_out))
            missing += len(left_out)
        ordered = {c: columns[c] for c in COLUMNS if c in columns}
        right, graded = sum(r for r, _ in ordered.values()), sum(g for _, g in ordered.values())
        return Score(right, graded, ordered, missing, ambiguous)

    def questions(self) -> dict[str, Status]:
        """'CONV2 params' -> its status, for every cell asked (the rows' and the missing layers')."""
        out: dict[str, Status] = {}
        for row, cell in self.cells():
            out.setdefault(f"{row.question} {cell.column}", cell.status)
        for name in self.missing_with_params:
            for column in self.columns:
                out.setdefault(f"{name} {column}", "missing")
        return out

    @property
    def all_right(self) -> bool:
        """Every cell asked right: none wrong, none blank, no layer left out (an ambiguous
        rounding is not counted either way)."""
        score = self.score
        return score.graded > 0 and score.right == score.graded and not self.missing_with_params

    def mistakes(self) -> Counter[str]:
        """How many wrong cells each mistake explains."""
        return Counter(m for _, cell in self.cells() if cell.status in ("wrong", "carried") for m in cell.mistakes)


@dataclass(frozen=True)
class ClassResult:
    """A folder of sheets graded against one spec."""

    spec: str
    results: tuple[GradeResult, ...]
    unreadable: tuple[tuple[str, str], ...]  # (file, message)
    order: tuple[str, ...] = ()  # the network's layers and blocks in order: the questions' order

    def _place(self, question: str) -> tuple[int, int, str]:
        """Network order, then the columns' order; totals last; anything else by name."""
        layer, _, column = question.rpartition(" ")
        first = layer.split("+", 1)[0]
        totals = list(TOTAL_LABELS.values())
        at = self.order.index(first) if first in self.order else len(self.order) + 1 + (
            totals.index(layer) if layer in totals else len(totals)
        )  # fmt: skip
        return at, COLUMNS.index(column) if column in COLUMNS else len(COLUMNS), question

    def questions(self) -> list[str]:
        """Every cell asked of the class, in a stable order (the network's, then the columns')."""
        found = {q for r in self.results for q in r.questions()}
        return sorted(found, key=self._place)

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
        """The cells most often wrong: ('CONV2 params', sheets), counted by the layer the row
        answers (FC1 and fc1 are one cell); ties in the network's order, the same every run."""
        wrong: Counter[str] = Counter()
        for r in self.results:
            wrong.update(q for q, status in r.questions().items() if status in ("wrong", "carried"))
        return sorted(wrong.items(), key=lambda item: (-item[1], self._place(item[0])))[:limit]


__all__ = ["TOTAL_LABELS", "CellResult", "ClassResult", "GradeResult", "RowResult", "Score", "Status"]
