"""What a change to a network costs: per-layer and total deltas between two reports.

Layers are matched by name first (names are unique in a spec, and survive edits
elsewhere), then by position: between two layers matched by name, the unmatched layers
of the old and the new network are paired in order — a renamed or replaced layer — and
whatever is left over was added or removed. Pure: two Reports in, a Diff out;
cnncalc.features.budgets.diff_output writes it as a table, JSON, or Markdown for a pull-request comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cnncalc.core.report import LayerRow, Report

Status = Literal["added", "removed", "changed", "unchanged"]

#: per-layer figures a diff compares: (attribute of LayerRow, column title, unit)
LAYER_METRICS: tuple[tuple[str, str, str], ...] = (
    ("params", "Params", ""),
    ("macs", "MACs", ""),
    ("activation_bytes", "Memory", "B"),
)

#: totals a diff compares: (attribute of Totals, label)
TOTAL_METRICS: tuple[tuple[str, str], ...] = (
    ("params", "Params"),
    ("trainable_params", "Trainable params"),
    ("macs", "MACs"),
    ("flops", "FLOPs"),
    ("activation_bytes", "Activation memory (B)"),
    ("peak_activation_bytes", "Peak memory (B)"),
    ("param_bytes", "Parameter memory (B)"),
)


@dataclass(frozen=True)
class LayerChange:
    """One layer of either network: added, removed, changed or unchanged."""

    status: Status
    old: LayerRow | None
    new: LayerRow | None

    @property
    def name(self) -> str:
        row = self.new or self.old
        assert row is not None
        return row.name

    @property
    def renamed_from(self) -> str | None:
        """The old name of a layer matched by position under a new name."""
        if self.old and self.new and self.old.name != self.new.name:
            return self.old.name
        return None

    def before(self, metric: str) -> int:
        return int(getattr(self.old, metric)) if self.old else 0

    def after(self, metric: str) -> int:
        return int(getattr(self.new, metric)) if self.new else 0

    def delta(self, metric: str) -> int:
        return self.after(metric) - self.before(metric)


@dataclass(frozen=True)
class TotalChange:
    key: str
    label: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Diff:
    """Two reports of a network side by side: each layer's change and each total's."""

    old: Report
    new: Report
    layers: tuple[LayerChange, ...]
    totals: tuple[TotalChange, ...]

    def count(self, status: Status) -> int:
        return sum(change.status == status for change in self.layers)

    def shape_before(self, change: LayerChange) -> str:
        return _shape(self.old.shown(change.old.output_shape)) if change.old else ""

    def shape_after(self, change: LayerChange) -> str:
        return _shape(self.new.shown(change.new.output_shape)) if change.new else ""


def diff_reports(old: Report, new: Report) -> Diff:
    """Match the layers of two reports and compare them, and their totals."""
    changes = [
        _change(old.rows[i] if i is not None else None, new.rows[j] if j is not None else None)
        for i, j in match_rows(old.rows, new.rows)
    ]
    totals = tuple(
        TotalChange(key, label, int(getattr(old.totals, key)), int(getattr(new.totals, key)))
        for key, label in TOTAL_METRICS
    )
    return Diff(old, new, tuple(changes), totals)


def match_rows(old: Sequence[LayerRow], new: Sequence[LayerRow]) -> list[tuple[int | None, int | None]]:
    """Pairs (old index, new index), None on the side a layer is missing from, in the new order
    with each removed layer after the layer it followed.

    >>> from types import SimpleNamespace as Row
    >>> rows = lambda *names: [Row(name=n) for n in names]
    >>> match_rows(rows("input", "a", "b", "c"), rows("input", "a", "x", "c", "d"))
    [(0, 0), (1, 1), (2, 2), (3, 3), (None, 4)]
    >>> match_rows(rows("input", "a", "b"), rows("input", "b"))
    [(0, 0), (1, None), (2, 1)]
    """
    old_at = {row.name: i for i, row in enumerate(old)}
    new_to_old = {j: old_at[row.name] for j, row in enumerate(new) if row.name in old_at}
    old_gaps = _gaps(old, set(new_to_old.values()))
    for anchor, new_indices in _gaps(new, set(new_to_old)).items():
        for j, i in zip(new_indices, old_gaps.get(anchor, []), strict=False):
            new_to_old[j] = i  # by position within the same gap
    old_to_new = {i: j for j, i in new_to_old.items()}
    keyed: list[tuple[tuple[int, int, int], tuple[int | None, int | None]]] = [
        ((j, 0, 0), (new_to_old.get(j), j)) for j in range(len(new))
    ]
    follows = -1  # new index of the last matched old layer before a removed one
    for i in range(len(old)):
        if i in old_to_new:
            follows = old_to_new[i]
        else:
            keyed.append(((follows, 1, i), (i, None)))
    return [pair for _, pair in sorted(keyed)]


def _gaps(rows: Sequence[LayerRow], matched: set[int]) -> dict[str | None, list[int]]:
    """Unmatched row indices, grouped by the name of the matched row before them (None: at the start)."""
    anchor: str | None = None
    gaps: dict[str | None, list[int]] = {}
    for i, row in enumerate(rows):
        if i in matched:
            anchor = row.name
        else:
            gaps.setdefault(anchor, []).append(i)
    return gaps


def _change(old: LayerRow | None, new: LayerRow | None) -> LayerChange:
    if old is None:
        return LayerChange("added", None, new)
    if new is None:
        return LayerChange("removed", old, None)
    return LayerChange("unchanged" if _same(old, new) else "changed", old, new)


def _same(old: LayerRow, new: LayerRow) -> bool:
    """Same name, hyper-parameters, shapes and costs (who it reads may differ: an insertion before it)."""
    keys = ("name", "kind", "summary", "input_shape", "output_shape", "params", "macs", "flops", "activation_bytes")
    return all(getattr(old, k) == getattr(new, k) for k in keys) and old.shared_with == new.shared_with


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


# --- renderers --------------------------------------------------------------------------------


def signed(n: int) -> str:
    """+5,309,696 / -231,211,008 / 0.

    >>> signed(5309696), signed(-231211008), signed(0)
    ('+5,309,696', '-231,211,008', '0')
    """
    return f"{n:+,}" if n else "0"


def percent_change(before: int, after: int) -> str:
    """Relative change with one decimal; 'new' when there was nothing before.

    >>> percent_change(138357544, 143667240), percent_change(0, 5), percent_change(7, 7)
    ('+3.8%', 'new', '')
    """
    if before == after:
        return ""
    if before == 0:
        return "new"
    return f"{100 * (after - before) / before:+.1f}%"


def change_label(change: LayerChange) -> str:
    return f"renamed from {change.renamed_from}" if change.renamed_from else change.status


def shown_changes(diff: Diff, everything: bool = False) -> list[LayerChange]:
    """The layers worth a row: all of them, or only those that differ."""
    return [c for c in diff.layers if everything or c.status != "unchanged"]


def summary(diff: Diff) -> str:
    """`3 layers added, 0 removed, 0 changed, 24 unchanged`."""
    return (
        f"{diff.count('added')} layer(s) added, {diff.count('removed')} removed, "
        f"{diff.count('changed')} changed, {diff.count('unchanged')} unchanged"
    )


def titles(diff: Diff, old_source: str, new_source: str) -> tuple[str, str]:
    """What to call the two sides: their names, or their files when the names are the same
    (two revisions of one spec)."""
    if diff.old.name != diff.new.name:
        return diff.old.name, diff.new.name
    return old_source, new_source


__all__ = ["Diff", "LayerChange", "TotalChange", "diff_reports", "match_rows", "titles"]
