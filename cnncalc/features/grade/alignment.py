"""Matching the rows of a sheet to the layers of the network, as a patient teacher reads a table.

By name (any case), else by kind and order. Layers a lecture table leaves out (the input,
in-place activations, dropout, LRN, batch norm) may be missing, and leaving them out changes no
other row's expected value; one row may stand for a few layers
("convolution 3x3/1" of the GoogLeNet table is conv2_reduce and conv2), or for a whole block
(an inception module). The matching is a least-cost alignment of rows to runs of layers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.core.report import LayerRow, Report
from cnncalc.features.grade.cells import Reading, judge, judge_shape, read_number, read_shape
from cnncalc.features.grade.labels import label_kinds, label_names, name_key, total_kind
from cnncalc.features.grade.sheet import Sheet, SheetError, SheetRow
from cnncalc.layers.base import Shape
from cnncalc.layers.registry import kind_class

# --- the layers a sheet row can stand for ------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A layer, or a whole block instance, that a sheet row may be about."""

    name: str
    kind: str
    rows: tuple[int, ...]  # report row indices
    skippable: bool  # lecture tables leave it out: the input, in-place or shape-keeping free layers
    absorbable: bool  # a norm with parameters (batch norm): left out at no cost, never folded into a row


def skippable(row: LayerRow) -> bool:
    if row.kind == "input" or row.inplace:
        return True
    return row.params == 0 and row.output_shape == row.input_shape


def absorbable(row: LayerRow) -> bool:
    """A normalisation with parameters (batch norm): tables leave it out; its parameters are in no other row."""
    cls = kind_class(row.kind)
    return cls is not None and cls.family == "norm" and row.params > 0


def units_of(report: Report, depth: int | None) -> list[Unit]:
    """One unit per row (depth None), or per top-level row and top-level block instance (depth 1)."""
    if depth is None:
        return [Unit(r.name, r.kind, (r.index,), skippable(r), absorbable(r)) for r in report.rows]
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
            out.append(Unit(r.name, r.kind, rows, skippable(r), absorbable(r)))
        else:
            out.append(Unit(key, "block", rows, False, False))
    return out


def shown_shapes(report: Report, shape: Shape) -> tuple[Shape, Shape]:
    """A shape in the spec's layout and with the channels on the other side."""
    first = report.shown(shape)
    other = shape if report.layout == "hwc" else (*shape[1:], shape[0]) if len(shape) > 1 else shape
    return first, other


@dataclass
class Target:
    """What one sheet row is graded against: consecutive units, and the row whose output it gives."""

    units: tuple[Unit, ...]
    rows: tuple[int, ...]
    main: int


@dataclass(frozen=True)
class Clues:
    """What a sheet row says about the layer it is about, read once for the matching."""

    names: set[str]
    kinds: tuple[str, ...]
    shape: Shape | None
    numbers: dict[str, Reading]

    @staticmethod
    def of(row: SheetRow, repeated: bool = False) -> Clues:
        """repeated: the sheet gives this label to several rows (the decks' 'CONV3-64', 'POOL2',
        'FC'): it names a kind of layer, never one layer, whatever layer it happens to spell."""
        numbers = {c: r for c in ("params", "macs") if (r := read_number(row.cells.get(c, ""))) is not None}
        names = label_names(row.label)
        if repeated:
            names = names & {"input"}
        return Clues(names, label_kinds(row.label), read_shape(row.cells.get("shape", "")), numbers)

    def fits(self, column: str, value: int) -> bool:
        reading = self.numbers.get(column)
        if reading is None:
            return False
        if reading.exact:  # the common case, without the rounding arithmetic
            return reading.mantissa == value
        return judge(reading, value) is not None


@dataclass(frozen=True)
class Run:
    """A run of consecutive units as the matching sees it."""

    key: str  # the main unit's name, as labels are compared
    keys: frozenset[str]
    kind: str
    shapes: tuple[Shape, Shape]
    params: int
    macs: int
    cost: float  # of folding the other units into the main one's row
    needs_figures: bool  # other units with weights: only when the row's figures are their sum
    folds_norm: bool  # a batch norm folded into another layer's row: never (it is left out instead)


class Aligner:
    """Aligns sheets to one report: which rows answer which layers."""

    def __init__(self, report: Report) -> None:
        self.report = report
        #: every name a row may give a layer or block of the network
        self.keys = {name_key(u.name) for depth in (1, None) for u in units_of(report, depth)}

    def _units(self, sheet: Sheet) -> list[Unit]:
        """Units at the depth where the sheet's labels name the most layers."""
        shallow, deep = units_of(self.report, 1), units_of(self.report, None)
        labels = [label_names(r.label) for r in sheet.rows]

        def named(units: list[Unit]) -> int:
            keys = {name_key(u.name) for u in units}
            return sum(bool(names & keys) for names in labels)

        return deep if named(deep) > named(shallow) else shallow

    def target(self, units: Sequence[Unit]) -> Target:
        main_unit = next((u for u in reversed(units) if not u.skippable), units[-1])
        rows = tuple(i for u in units for i in u.rows)
        return Target(tuple(units), rows, main_unit.rows[-1])

    def _extra_cost(self, unit: Unit) -> float:
        """Cost of folding `unit` into another layer's row: cheap for what tables leave out
        (ReLU, LRN, dropout), fair for another layer with parameters (the GoogLeNet table's
        conv2_reduce + conv2), and dearer than leaving it out for a pool."""
        if unit.skippable:
            return 0.2
        return 1.5 if self._unit_has_params(unit) else 7.0

    def _run(self, units: Sequence[Unit]) -> Run:
        """What matching does not need the row for, computed once per run of units."""
        target = self.target(units)
        main_unit = next(u for u in units if target.main in u.rows)
        extra = [u for u in units if u is not main_unit]
        rows = [self.report.rows[i] for i in target.rows]
        return Run(
            key=name_key(main_unit.name),
            keys=frozenset(name_key(u.name) for u in units),
            kind=main_unit.kind,
            shapes=shown_shapes(self.report, self.report.rows[target.main].output_shape),
            params=sum(r.params for r in rows),
            macs=sum(r.macs for r in rows),
            cost=sum(self._extra_cost(u) for u in extra),
            needs_figures=any(self._unit_has_params(u) for u in extra),
            folds_norm=any(u.absorbable for u in extra),
        )

    def _match_cost(self, row: Clues, run: Run) -> float:
        """How badly a row fits a run of consecutive units (lower is better): names, kinds, figures.

        A row is matched by identity, never by position alone: a row whose label names another
        layer of the network, or a kind this layer is not ("Dropout" against a pool), costs more
        than leaving the row extra and the layer missing.
        """
        if run.folds_norm:
            return 50.0  # a batch norm without a row is left out, its parameters in no other row
        fits = row.fits("params", run.params) or row.fits("macs", run.macs)
        if run.needs_figures and (row.names & run.keys or not fits):
            # one row for several layers with weights only when its figures say so, and never for
            # a row labelled as one of them: "CONV4" with CONV4 + CONV5's figures merged two rows
            return 50.0
        cost = run.cost
        shape = row.shape is not None and judge_shape(row.shape, *run.shapes) is not None
        figures = bool(run.params) and row.fits("params", run.params)
        named = run.key in row.names or (run.kind == "input" and "input" in row.names)
        if named and row.shape is not None and not shape:
            cost -= 1  # the name, but the shape is another layer's: the deck's "POOL2" is a 2x2 pool
        elif named:
            cost -= 10
        elif run.keys & row.names:
            cost -= 4
        elif row.names & self.keys and not (shape or figures):
            cost += 20  # the label names another layer of the network, and nothing says it is this one
        if run.kind in row.kinds:
            cost -= 2
        elif row.kinds and not (named or run.keys & row.names or shape or figures):
            cost += 15  # the label names another kind of layer
        if shape:
            cost -= 3
        if row.fits("params", run.params):
            cost -= 2
        return cost

    def _unit_has_params(self, unit: Unit) -> bool:
        return any(self.report.rows[i].params for i in unit.rows) and not unit.absorbable

    def align(self, sheet: Sheet) -> tuple[list[tuple[SheetRow, Target]], list[str], list[SheetRow]]:
        """Matched (row, target) pairs in order, the names of unanswered layers, rows matching nothing."""
        units = self._units(sheet)
        rows = [r for r in sheet.rows if total_kind(r.label) is None]
        if len(rows) > 2 * len(units) + 100:  # bounds the matching, which is rows x layers
            raise SheetError.single(
                f"{sheet.path}: {len(rows):,} rows for a network of {len(units):,} layers",
                hint="one row per layer (or block) of the network",
            )
        counts = Counter(name_key(r.label) for r in rows)
        clues = [Clues.of(r, counts[name_key(r.label)] > 1) for r in rows]
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
                    c = here + (0.0 if units[j].skippable or units[j].absorbable else skip)
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
        pairs: list[tuple[SheetRow, Target]] = []
        missing: list[str] = []
        unmatched: list[SheetRow] = []
        i, j = n, m
        while (i, j) != (0, 0):
            step = back[i][j]
            assert step is not None
            pi, pj = step
            if pi == i:  # a unit skipped
                if not (units[pj].skippable or units[pj].absorbable):
                    missing.append(units[pj].name)
            elif pj == j:  # a row matching nothing
                unmatched.append(rows[pi])
            else:
                pairs.append((rows[pi], self.target(units[pj:j])))
            i, j = pi, pj
        return pairs[::-1], missing[::-1], unmatched[::-1]


__all__ = ["Aligner", "Clues", "Run", "Target", "Unit", "absorbable", "shown_shapes", "skippable", "units_of"]
