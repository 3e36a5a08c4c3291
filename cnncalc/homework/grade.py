"""Grading a student's answer sheet against a spec, cell by cell, as a patient teacher would.

1. The rows of the sheet are matched to the layers of the network: by name (any case,
   "CONV1 (f=5, s=1)" is CONV1, "inception (3a)" is inception_3a), else by kind and
   order. Layers a lecture table leaves out (the input, in-place activations, dropout,
   LRN) may be missing; one row may stand for a few layers ("convolution 3x3/1" of the
   GoogLeNet table is conv2_reduce and conv2), or for a whole block (an inception module).
2. Each cell is read as people write it (cnncalc.homework.cells) and is right when the
   true value rounds (or is cut) to it at the precision written; the verdict says which
   rounding was assumed.
3. A wrong cell gets the expected value, the explanation step that gives it
   (cnncalc.homework.explain), and, when the student's figure is what a common mistake gives, the
   mistake by name (cnncalc.homework.mistakes), or "carried forward" when the right rule
   was applied to the student's own earlier wrong answer.
4. Rows named Total (or "conv layers", "fully connected layers") are graded against the
   sums; the score is cells right / cells graded, overall and per column.

Everything here is pure; reading files is cnncalc.homework.sheet, printing is the command's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from math import prod
from typing import Any, Literal

from cnncalc.analysis import analyze
from cnncalc.conventions import Conventions
from cnncalc.graph import build_graph
from cnncalc.homework.cells import Reading, judge, judge_shape, read_number, read_shape, show_shape
from cnncalc.homework.explain import CONV_KINDS, Explanation, LayerExplanation, display_lines, explain_report
from cnncalc.homework.mistakes import CATALOG, Variant, layer_variants, param_free_mistake
from cnncalc.homework.sheet import COLUMNS, Column, Sheet, SheetError, SheetFormat, SheetRow, blank_sheet
from cnncalc.layers.base import Shape
from cnncalc.render.envelope import SCHEMA_VERSION as JSON_SCHEMA_VERSION
from cnncalc.report import LayerRow, Report
from cnncalc.spec.model import Spec, to_channels_first

BLANK = ("", "-", "\u2013", "\u2014", "n/a", "na", "none", "/", "--")

# --- the layers a sheet row can stand for ------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A layer, or a whole block instance, that a sheet row may be about."""

    name: str
    kind: str
    rows: tuple[int, ...]  # report row indices
    skippable: bool  # lecture tables leave it out: the input, in-place or shape-keeping free layers
    absorbable: bool  # may be folded into the row of the layer before (batch norm)


def _skippable(row: LayerRow) -> bool:
    if row.kind == "input" or row.inplace:
        return True
    return row.params == 0 and row.output_shape == row.input_shape


def units_of(report: Report, depth: int | None) -> list[Unit]:
    """One unit per row (depth None), or per top-level row and top-level block instance (depth 1)."""
    if depth is None:
        return [
            Unit(r.name, r.kind, (r.index,), _skippable(r), r.kind == "batch_norm" and r.params > 0)
            for r in report.rows
        ]
    order: list[str] = []
    groups: dict[str, list[int]] = {}
    for r in report.rows:
        key = r.block[0] if r.block else f"\0{r.index}"
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(r.index)
    out: list[Unit] = []
    for key in order:
        rows = tuple(groups[key])
        if key.startswith("\0"):
            r = report.rows[rows[0]]
            out.append(Unit(r.name, r.kind, rows, _skippable(r), r.kind == "batch_norm" and r.params > 0))
        else:
            out.append(Unit(key, "block", rows, False, False))
    return out


_INPUT_NAMES = {"input", "inputlayer", "image", "inputimage", "data", "inputvolume"}
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "conv": CONV_KINDS,
    "convolution": CONV_KINDS,
    "convolutional": CONV_KINDS,
    "pool": ("max_pool", "avg_pool", "sum_pool", "l2_pool", "global_avg_pool", "global_max_pool"),
    "pooling": ("max_pool", "avg_pool", "sum_pool", "l2_pool", "global_avg_pool", "global_max_pool"),
    "maxpool": ("max_pool", "global_max_pool"),
    "maxpooling": ("max_pool", "global_max_pool"),
    "avgpool": ("avg_pool", "global_avg_pool"),
    "averagepool": ("avg_pool", "global_avg_pool"),
    "avgpooling": ("avg_pool", "global_avg_pool"),
    "fc": ("dense",),
    "dense": ("dense",),
    "linear": ("dense",),
    "fullyconnected": ("dense",),
    "softmax": ("softmax", "dense"),
    "relu": ("relu",),
    "dropout": ("dropout",),
    "flatten": ("flatten",),
    "norm": ("lrn", "batch_norm"),
    "lrn": ("lrn",),
    "bn": ("batch_norm",),
    "batchnorm": ("batch_norm",),
    "concat": ("concat",),
    "add": ("add",),
    "inception": ("block",),
    "input": ("input",),
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def label_names(label: str) -> set[str]:
    """The names a row label may mean: 'CONV1 (f=5, s=1)' -> {'conv1f5s1', 'conv1'}."""
    text = re.sub(r"^\s*\d+[.)]\s+", "", label).strip().rstrip(":").strip()
    names = {_key(text), _key(re.split(r"[(\[:]", text, maxsplit=1)[0])} - {""}
    return names | {"input"} if names & _INPUT_NAMES else names


def label_kinds(label: str) -> tuple[str, ...]:
    """Layer kinds a label's words name: 'max pool' -> max_pool, 'convolution 7x7/2' -> the convs."""
    head = re.split(r"[(\[:]", label.strip().lower(), maxsplit=1)[0]
    words = re.sub(r"[^a-z ]", " ", head).split()
    joined = "".join(words)
    for key in (joined, *(w for w in words)):
        if key in _KIND_WORDS:
            return _KIND_WORDS[key]
    return ()


TotalKind = Literal["total", "conv", "dense"]


def total_kind(label: str) -> TotalKind | None:
    """'Total', 'TOTAL params', 'entire network' -> total; 'conv layers' -> conv; 'FC layers' -> dense."""
    words = re.sub(r"[^a-z ]", " ", label.lower()).split()
    if not words:
        return None
    text = " ".join(words)
    if words[0] in ("total", "totals", "sum") or text in ("entire network", "whole network", "network", "all layers"):
        rest = [w for w in words[1:] if w not in ("of", "the", "in", "params", "parameters", "for")]
        words = rest or ["network"]
        text = " ".join(words)
        if not rest or text in ("network", "entire network", "whole network"):
            return "total"
    marker = any(w in ("layers", "layer", "total", "part") for w in words)
    if marker and words[0] in ("conv", "convolution", "convolutional", "convolutions"):
        return "conv"
    if marker and (words[0] in ("fc", "dense", "linear") or text.startswith("fully connected")):
        return "dense"
    return None


# --- results ---------------------------------------------------------------------------------

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


# --- the grader ------------------------------------------------------------------------------


@dataclass
class _Target:
    """What one sheet row is graded against: consecutive units, and the row whose output it gives."""

    units: tuple[Unit, ...]
    rows: tuple[int, ...]
    main: int


@dataclass(frozen=True)
class _Clues:
    """What a sheet row says about the layer it is about, read once for the matching."""

    names: set[str]
    kinds: tuple[str, ...]
    shape: Shape | None
    numbers: dict[str, Reading]

    @staticmethod
    def of(row: SheetRow) -> _Clues:
        numbers = {c: r for c in ("params", "macs") if (r := read_number(row.cells.get(c, ""))) is not None}
        return _Clues(label_names(row.label), label_kinds(row.label), read_shape(row.cells.get("shape", "")), numbers)

    def fits(self, column: str, value: int) -> bool:
        reading = self.numbers.get(column)
        if reading is None:
            return False
        if reading.exact:  # the common case, without the rounding arithmetic
            return reading.mantissa == value
        return judge(reading, value) is not None


@dataclass(frozen=True)
class _Run:
    """A run of consecutive units as the matching sees it."""

    key: str  # the main unit's name, as labels are compared
    keys: frozenset[str]
    kind: str
    shapes: tuple[Shape, Shape]
    params: int
    macs: int
    cost: float  # of folding the other units into the main one's row
    needs_figures: bool  # other units with weights: only when the row's figures are their sum


@dataclass
class _Context:
    """The student's own answers so far, for errors carried forward."""

    shapes: dict[int, Shape] = field(default_factory=dict)  # report row -> the student's (wrong) output
    values: dict[tuple[Column, int], Reading] = field(default_factory=dict)  # (column, main row) -> reading


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
        self._cache: dict[int, list[Variant]] = {}

    # -- matching rows to layers ------------------------------------------------------------

    def _units(self, sheet: Sheet) -> list[Unit]:
        """Units at the depth where the sheet's labels name the most layers."""
        shallow, deep = units_of(self.report, 1), units_of(self.report, None)
        labels = [label_names(r.label) for r in sheet.rows]

        def named(units: list[Unit]) -> int:
            keys = {_key(u.name) for u in units}
            return sum(bool(names & keys) for names in labels)

        return deep if named(deep) > named(shallow) else shallow

    def _target(self, units: Sequence[Unit]) -> _Target:
        main_unit = next((u for u in reversed(units) if not u.skippable), units[-1])
        rows = tuple(i for u in units for i in u.rows)
        return _Target(tuple(units), rows, main_unit.rows[-1])

    def _extra_cost(self, unit: Unit) -> float:
        """Cost of folding `unit` into another layer's row: cheap for what tables leave out
        (ReLU, LRN, batch norm), fair for another layer with parameters (the GoogLeNet table's
        conv2_reduce + conv2), and dearer than leaving it out for a pool."""
        if unit.skippable:
            return 0.2
        if unit.absorbable:
            return 0.5
        return 1.5 if self._unit_has_params(unit) else 7.0

    def _run(self, units: Sequence[Unit]) -> _Run:
        """What matching does not need the row for, computed once per run of units."""
        target = self._target(units)
        main_unit = next(u for u in units if target.main in u.rows)
        extra = [u for u in units if u is not main_unit]
        rows = [self.report.rows[i] for i in target.rows]
        return _Run(
            key=_key(main_unit.name),
            keys=frozenset(_key(u.name) for u in units),
            kind=main_unit.kind,
            shapes=self._shown(self.report.rows[target.main].output_shape),
            params=sum(r.params for r in rows),
            macs=sum(r.macs for r in rows),
            cost=sum(self._extra_cost(u) for u in extra),
            needs_figures=any(self._unit_has_params(u) for u in extra),
        )

    @staticmethod
    def _match_cost(row: _Clues, run: _Run) -> float:
        """How badly a row fits a run of consecutive units (lower is better): names, kinds, figures."""
        if run.needs_figures and not (row.fits("params", run.params) or row.fits("macs", run.macs)):
            return 50.0  # one row for several layers with weights only when its figures say so
        cost = run.cost
        if run.key in row.names or (run.kind == "input" and "input" in row.names):
            cost -= 10
        elif run.keys & row.names:
            cost -= 4
        if run.kind in row.kinds:
            cost -= 2
        if row.shape is not None and judge_shape(row.shape, *run.shapes):
            cost -= 3
        if row.fits("params", run.params):
            cost -= 2
        return cost

    def _unit_has_params(self, unit: Unit) -> bool:
        return any(self.report.rows[i].params for i in unit.rows) and not unit.absorbable

    def align(self, sheet: Sheet) -> tuple[list[tuple[SheetRow, _Target]], list[str], list[SheetRow]]:
        """Matched (row, target) pairs in order, the names of unanswered layers, rows matching nothing."""
        units = self._units(sheet)
        rows = [r for r in sheet.rows if total_kind(r.label) is None]
        if len(rows) > 2 * len(units) + 100:  # bounds the matching, which is rows x layers
            raise SheetError.single(
                f"{sheet.path}: {len(rows):,} rows for a network of {len(units):,} layers",
                hint="one row per layer (or block) of the network",
            )
        clues = [_Clues.of(r) for r in rows]
        n, m, run, skip, extra = len(rows), len(units), 4, 6.0, 6.0
        runs = {(j, k): self._run(units[j : j + k]) for j in range(m) for k in range(1, min(run, m - j) + 1)}
        inf = float("inf")
        cost = [[inf] * (m + 1) for _ in range(n + 1)]
        back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
        cost[0][0] = 0.0
        for i in range(n + 1):
            for j in range(m + 1):
                here = cost[i][j]
                if here == inf:
                    continue
                if j < m:
                    c = here + (0.0 if units[j].skippable else skip)
                    if c < cost[i][j + 1]:
                        cost[i][j + 1], back[i][j + 1] = c, (i, j)
                if i < n:
                    c = here + extra
                    if c < cost[i + 1][j]:
                        cost[i + 1][j], back[i + 1][j] = c, (i, j)
                    for length in range(1, min(run, m - j) + 1):
                        c = here + self._match_cost(clues[i], runs[(j, length)])
                        if c < cost[i + 1][j + length]:
                            cost[i + 1][j + length], back[i + 1][j + length] = c, (i, j)
        pairs: list[tuple[SheetRow, _Target]] = []
        missing: list[str] = []
        unmatched: list[SheetRow] = []
        i, j = n, m
        while (i, j) != (0, 0):
            step = back[i][j]
            assert step is not None
            pi, pj = step
            if pi == i:  # a unit skipped
                if not units[pj].skippable:
                    missing.append(units[pj].name)
            elif pj == j:  # a row matching nothing
                unmatched.append(rows[pi])
            else:
                pairs.append((rows[pi], self._target(units[pj:j])))
            i, j = pi, pj
        return pairs[::-1], missing[::-1], unmatched[::-1]

    # -- grading --------------------------------------------------------------------------------

    def grade(self, sheet: Sheet) -> GradeResult:
        pairs, missing, unmatched = self.align(sheet)
        context = _Context()
        results: list[RowResult] = []
        by_line: dict[int, RowResult] = {}
        for row, target in pairs:
            cells = tuple(self._cell(col, row.cells[col], target, context) for col in sheet.columns)
            by_line[row.line] = RowResult(row.line, row.label, tuple(u.name for u in target.units), cells)
        listed = [t for _, t in pairs]
        for row in sheet.rows:
            kind = total_kind(row.label)
            if kind is not None:
                cells = tuple(
                    c
                    for col in sheet.columns
                    if (c := self._total_cell(col, row.cells[col], kind, listed, context)) is not None
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

    def _shown(self, shape: Shape) -> tuple[Shape, Shape]:
        """A shape in the spec's layout and with the channels on the other side."""
        shown = self.report.shown(shape)
        other = shape if self.report.layout == "hwc" else (*shape[1:], shape[0]) if len(shape) > 1 else shape
        return shown, other

    def _layer(self, index: int) -> LayerExplanation:
        return self.explanation.layers[index]

    def _line(self, index: int, field_: str) -> str:
        """The displayed explanation of one number of one row: 'formula = expression = value'."""
        layer = self._layer(index)
        want = {"params": "params", "macs": "MACs", "size": "activations", "memory": "memory"}[field_]
        for line in display_lines(layer, self.report):
            if line.label == want:
                trivial = "=" not in line.text() and line.note
                return f"{line.text()} ({line.note})" if trivial else line.text()
        return ""

    def _shape_line(self, index: int) -> str:
        lines = [
            ln for ln in display_lines(self._layer(index), self.report) if ln.label.startswith(("output", "input"))
        ]
        return "; ".join(f"{ln.label.removeprefix('output ')}: {ln.text()}" for ln in lines)

    @staticmethod
    def _sum_line(values: Sequence[tuple[str, int]], what: str = "") -> str:
        """'608 + 3,216 + ... = 62,958 (the sum over CONV1, CONV2, ...)'."""
        terms = [(name, v) for name, v in values if v]
        if not terms:
            return "0: none of these layers has any"
        shown = " + ".join(f"{v:,}" for _, v in terms[:12])
        shown += f" + ... ({len(terms) - 12} more)" if len(terms) > 12 else ""
        names = ", ".join(n for n, _ in terms[:4]) + (", ..." if len(terms) > 4 else "")
        return f"{shown} = {sum(v for _, v in terms):,} (the sum over {what or names})"

    def _target_sum(self, target: _Target, field_: str) -> str:
        rows = [self.report.rows[i] for i in target.rows]
        values = [(r.name, getattr(r, field_)) for r in rows]
        blocks = [u for u in target.units if u.kind == "block"]
        what = ""
        if len(blocks) == 1 and len(target.units) == 1:
            what = f"the {sum(1 for _, v in values if v)} layers of {blocks[0].name} that have any"
        return self._sum_line(values, what)

    def _variants(self, target: _Target, context: _Context) -> list[Variant]:
        """Mistaken versions of the target's numbers: the main layer's, then carried forward ones."""
        main = self.report.rows[target.main]
        node = self.graph.nodes[target.main]
        others = [self.report.rows[i] for i in target.rows if i != target.main]
        out: list[Variant] = []
        if node.layer is not None and not any(r.params or r.macs for r in others) and not main.shared_with:
            if target.main not in self._cache:
                x = self.report.rows[node.inputs[0]].output_shape if len(node.inputs) == 1 else None
                found = layer_variants(node.layer, x, self.conventions) if x is not None else []
                self._cache[target.main] = found
            student = self._student_input(target.main, context)
            carried = layer_variants(node.layer, student, self.conventions, carried=True) if student else []
            # the right rule on the student's own wrong input explains more than a new mistake
            out += carried[:1] + self._cache[target.main] + carried[1:]
        else:
            other = sum(self.other_bias.rows[i].params for i in target.rows)
            mistake = "forgot_bias" if self.conventions.bias else "counted_bias"
            if other != sum(self.report.rows[i].params for i in target.rows):
                out.append(Variant((mistake,), None, other, None, {}))
        return out

    def _student_input(self, index: int, context: _Context) -> Shape | None:
        """The student's own (wrong) shape for the input of row `index`, if they gave one."""
        node = self.graph.nodes[index]
        seen = 0
        while len(node.inputs) == 1 and seen < 50:
            i = node.inputs[0]
            if i in context.shapes:
                return context.shapes[i]
            row = self.report.rows[i]
            if row.kind == "input" or not _skippable(row):
                return None
            node, seen = self.graph.nodes[i], seen + 1
        return None

    def _cell(self, column: Column, written: str, target: _Target, context: _Context) -> CellResult:
        main = self.report.rows[target.main]
        rows = [self.report.rows[i] for i in target.rows]
        multi = [r for r in rows if r.params or r.macs]
        if column == "shape":
            return self._shape_cell(written, target, context)
        size = prod(main.output_shape)
        bytes_per = self.report.dtype_bytes * self.report.batch
        if column == "size":
            expected, step = size, self._line(target.main, "size")
        elif column == "params":
            expected = sum(r.params for r in rows)
            step = self._line(target.main, "params") if len(multi) <= 1 else self._target_sum(target, "params")
        elif column == "macs":
            expected = sum(r.macs for r in rows)
            step = self._line(target.main, "macs") if len(multi) <= 1 else self._target_sum(target, "macs")
        elif column == "flops":
            expected, step = sum(r.flops for r in rows), ""
        else:
            expected, step = main.activation_bytes, self._line(target.main, "memory")
        reading = read_number(written, memory=column == "memory")
        if column == "memory" and reading is not None and not reading.is_bytes:
            expected, step = size, self._line(target.main, "size")
        if column == "memory" and main.inplace and reading is not None and reading.is_bytes:
            expected = size * bytes_per
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if written.strip().lower() in BLANK:
            if expected == 0:
                return replace(cell, right=True, how="blank read as 0")
            return replace(cell, problem="no answer")
        if reading is None:
            return replace(cell, problem=f"could not read {written!r} as a number")
        context.values[(column, target.main)] = reading
        how = judge(reading, expected)
        if how is not None:
            return replace(cell, right=True, how=how)
        if column == "memory" and not reading.is_bytes and (how := judge(reading, main.activation_bytes)):
            return replace(cell, right=True, how=f"{how}, read as bytes")
        cell = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
        return self._diagnose(cell, reading, column, target, context)

    def _diagnose(
        self, cell: CellResult, reading: Reading, column: Column, target: _Target, context: _Context
    ) -> CellResult:
        main = self.report.rows[target.main]
        bytes_per = self.report.dtype_bytes * self.report.batch
        if column == "params" and cell.expected_value == 0 and reading.value != 0:
            return replace(cell, mistakes=(param_free_mistake(main.kind),))
        if column == "flops" and judge(reading, sum(self.report.rows[i].macs for i in target.rows)):
            return replace(cell, mistakes=("macs_not_flops",))
        if column == "memory" and reading.is_bytes and judge(reading, prod(main.output_shape)):
            return replace(cell, mistakes=("elements_not_bytes",))
        student_shape = context.shapes.get(target.main)
        if column in ("size", "memory") and student_shape is not None:
            scale = bytes_per if column == "memory" and reading.is_bytes else 1
            if judge(reading, prod(student_shape) * scale):
                return replace(cell, mistakes=("carried",), detail=f"the size of your shape, {prod(student_shape):,}")
        for v in self._variants(target, context):
            value = self._variant_value(v, column, reading)
            if value is not None and judge(reading, value):
                detail = v.texts.get({"size": "output", "memory": "output"}.get(column, column), "")
                if column in ("size", "memory") and v.output is not None:
                    detail = f"{'x'.join(map(str, self.report.shown(v.output)))} = {prod(v.output):,} values"
                return replace(cell, mistakes=v.mistakes, detail=detail)
        return cell

    def _variant_value(self, v: Variant, column: Column, reading: Reading) -> int | None:
        if column == "params":
            return v.params
        if column == "macs":
            return v.macs
        if v.output is None or column not in ("size", "memory"):
            return None
        scale = self.report.dtype_bytes * self.report.batch if column == "memory" and reading.is_bytes else 1
        return prod(v.output) * scale

    def _shape_cell(self, written: str, target: _Target, context: _Context) -> CellResult:
        main = self.report.rows[target.main]
        shown, other = self._shown(main.output_shape)
        cell = CellResult("shape", written, False, show_shape(shown), shown, step=self._shape_line(target.main))
        if written.strip().lower() in BLANK:
            return replace(cell, problem="no answer")
        parsed = read_shape(written)
        if parsed is None:
            return replace(cell, problem=f"could not read {written!r} as a shape")
        how = judge_shape(parsed, shown, other)
        if how is not None:
            return replace(cell, right=True, how=how)
        if len(parsed) == len(shown):
            context.shapes[target.main] = to_channels_first(parsed, self.report.layout)
        for v in self._variants(target, context):
            if v.output is not None and judge_shape(parsed, *self._shown(v.output)):
                return replace(cell, mistakes=v.mistakes, detail=v.texts.get("output", ""))
        return cell

    # -- totals ---------------------------------------------------------------------------------

    def _total_cell(
        self, column: Column, written: str, kind: TotalKind, listed: Sequence[_Target], context: _Context
    ) -> CellResult | None:
        if column == "shape" or (kind != "total" and column not in ("params", "macs")):
            return None
        if written.strip().lower() in BLANK:
            return None  # a total left blank is not asked for
        picked = [
            r
            for r in self.report.rows
            if kind == "total" or (r.kind in CONV_KINDS if kind == "conv" else r.kind == "dense")
        ]
        t = self.report.totals
        reading = read_number(written, memory=column == "memory")
        if column in ("params", "macs", "flops"):
            values = [(r.name, getattr(r, column)) for r in picked]
            expected = sum(v for _, v in values)
            step = self._sum_line(values)
        elif column == "size" or (column == "memory" and reading is not None and not reading.is_bytes):
            values = [(self.report.rows[x.main].name, prod(self.report.rows[x.main].output_shape)) for x in listed]
            expected, step = sum(v for _, v in values), self._sum_line(values)
        else:
            values = [(self.report.rows[x.main].name, self.report.rows[x.main].activation_bytes) for x in listed]
            expected, step = sum(v for _, v in values), self._sum_line(values)
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if reading is None:
            return replace(cell, problem=f"could not read {written!r} as a number")
        how = judge(reading, expected)
        if how is not None:
            return replace(cell, right=True, how=how)
        cell = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
        alternatives: list[tuple[int, str]] = []
        if column == "size" or (column == "memory" and not reading.is_bytes):
            alternatives.append((t.activation_elements, "the sum over every layer of the network"))
        if column == "memory" and reading.is_bytes:
            alternatives.append((t.activation_bytes, "the sum over every layer of the network"))
        for value, why in alternatives:
            how = judge(reading, value)
            if how is not None:
                return replace(cell, right=True, how=f"{how}; {why}")
        return self._diagnose_total(cell, reading, column, picked, listed, context)

    def _diagnose_total(
        self,
        cell: CellResult,
        reading: Reading,
        column: Column,
        picked: Sequence[LayerRow],
        listed: Sequence[_Target],
        context: _Context,
    ) -> CellResult:
        if column == "params":
            other = sum(self.other_bias.rows[r.index].params for r in picked)
            if judge(reading, other):
                mistake = "forgot_bias" if self.conventions.bias else "counted_bias"
                detail = f"{other:,} {'without' if self.conventions.bias else 'with'} the biases"
                return replace(cell, mistakes=(mistake,), detail=detail)
        if column in ("params", "macs"):
            shallow = 0
            for r in picked:
                found = next((v for v in self._cache.get(r.index, []) if v.mistakes == ("forgot_input_depth",)), None)
                value = getattr(found, column) if found is not None else None
                shallow += value if value is not None else getattr(r, column)
            if shallow != cell.expected_value and judge(reading, shallow):
                return replace(cell, mistakes=("forgot_input_depth",))
        ids = {r.index for r in picked}
        own = [context.values[(column, x.main)] for x in listed if (column, x.main) in context.values and x.main in ids]
        if own:
            total = sum(r.value for r in own)
            if total.denominator == 1 and total != cell.expected_value and judge(reading, int(total)):
                return replace(cell, mistakes=("sum_of_rows",), detail=f"your rows add up to {int(total):,}")
        return cell


def in_unit(reading: Reading, value: int) -> str:
    """' (367.4 K with K = 1,024; 376.2 K with K = 1,000)': the true value as the student wrote theirs."""
    if reading.exact or not reading.unit or reading.scales[0][1] == 1:
        return ""
    digits = reading.decimals + 1
    parts = [
        f"{value / scale:,.{digits}f} {reading.unit}" + (f" with {label}" if len(reading.scales) > 1 else "")
        for label, scale in reading.scales
    ]
    return f" ({'; '.join(parts)})"


def grade(spec: Spec, sheet: Sheet, conventions: Conventions | None = None) -> GradeResult:
    """Grade one sheet (build a Grader to grade many against one spec)."""
    return Grader(spec, conventions).grade(sheet)


# --- a blank sheet ---------------------------------------------------------------------------


def template(spec: Spec, columns: Sequence[Column], fmt: SheetFormat) -> str:
    """A blank sheet for `spec`: the input, then each layer a lecture table lists, then Total."""
    report = analyze(spec)
    labels = ["Input Layer"] + [u.name for u in units_of(report, 1) if not u.skippable]
    return blank_sheet(labels, columns, fmt, title=f"{report.name}: answer sheet")


# --- output ----------------------------------------------------------------------------------


def to_json(result: GradeResult) -> dict[str, Any]:
    """The grading for a learning-management system: exact integers, one entry per cell."""
    score = result.score
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "spec": result.spec,
        "student": result.student,
        "file": result.path,
        "all_right": result.all_right,
        "score": {
            "right": score.right,
            "graded": score.graded,
            "columns": {c: {"right": r, "graded": g} for c, (r, g) in score.columns.items()},
        },
        "rows": [
            {
                "line": row.line,
                "label": row.label,
                "layers": list(row.layers),
                "total": row.total,
                "cells": [
                    {
                        "column": cell.column,
                        "written": cell.written,
                        "status": cell.status,
                        "right": cell.right,
                        "expected": cell.expected,
                        "expected_value": (
                            list(cell.expected_value) if isinstance(cell.expected_value, tuple) else cell.expected_value
                        ),
                        "how": cell.how,
                        "mistakes": list(cell.mistakes),
                        "mistake_names": [CATALOG[m].name for m in cell.mistakes],
                        "detail": cell.detail,
                        "explanation": cell.step,
                        "verdict": cell.verdict(),
                    }
                    for cell in row.cells
                ],
            }
            for row in result.rows
        ],
        "missing": list(result.missing),
        "missing_with_params": list(result.missing_with_params),
        "extra_rows": [{"line": line, "label": label} for line, label in result.extra],
        "ignored_columns": list(result.ignored),
        "mistakes": dict(result.mistakes()),
        "notes": list(result.notes),
        "conventions": result.conventions,
    }


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
        """The cells most often wrong: ('CONV2 params', sheets)."""
        wrong: Counter[str] = Counter()
        for r in self.results:
            wrong.update({f"{row.label} {cell.column}" for row, cell in r.cells() if not cell.right})
        return wrong.most_common(limit)


def scores_csv(results: ClassResult) -> str:
    """One row per student (written by cnncalc.render.grade, which escapes the cells)."""
    from cnncalc.render.grade import scores_csv as write

    return write(results)


def class_json(results: ClassResult) -> dict[str, Any]:
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "spec": results.spec,
        "sheets": [to_json(r) for r in results.results],
        "unreadable": [{"file": path, "error": message} for path, message in results.unreadable],
        "summary": {
            "sheets": len(results.results),
            "all_right": sum(r.all_right for r in results.results),
            "mistakes": [
                {"mistake": m, "name": CATALOG[m].name, "cells": cells, "sheets": sheets}
                for m, cells, sheets in results.mistakes()
            ],
            "hardest_cells": [{"cell": cell, "sheets": n} for cell, n in results.hardest()],
        },
    }


__all__ = [
    "CATALOG",
    "CellResult",
    "ClassResult",
    "GradeResult",
    "Grader",
    "RowResult",
    "Score",
    "class_json",
    "grade",
    "label_names",
    "scores_csv",
    "template",
    "to_json",
    "total_kind",
    "units_of",
]
