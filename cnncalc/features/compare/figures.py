"""Several networks side by side: the totals a comparison table of a lecture shows, per network.

Pure data, read from each network's Report: no I/O, no formatting (cnncalc.features.compare.output
prints it, cnncalc.features.compare.plot draws it).

Depth is counted as papers count it: the layers with weights (convolutions and dense
layers; normalisation, pooling and activations not) on the longest path from the input to
an output. So VGG-16 is 16 deep, ResNet-18 18 (a projection shortcut is a side path),
GoogLeNet 22 and Inception v3 48 (the deepest branch of each module), DenseNet-121 121.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cnncalc.core.report import Report
from cnncalc.spec.model import Spec


@dataclass(frozen=True)
class LayerCost:
    """One layer with weights: what the per-layer profile of a comparison plot draws."""

    name: str
    macs: int
    params: int


@dataclass(frozen=True)
class Entry:
    """One network of a comparison: its totals, its depth, the top-1 its spec quotes."""

    #: what the user named: a file or a bundled network
    source: str
    name: str
    depth: int
    params: int
    macs: int
    flops: int
    #: the sum over layers of activation memory (the slides' TOTAL memory)
    activation_bytes: int
    peak_activation_bytes: int
    param_bytes: int
    #: published top-1 accuracy in percent, from the spec; None where it quotes none
    top1: float | None
    dtype: str
    batch: int
    #: the layers with weights, in execution order
    layers: tuple[LayerCost, ...]


def weight_kinds() -> frozenset[str]:
    """The kinds that count towards depth: the convolution and dense families of the registry."""
    from cnncalc.layers import family_kinds

    return frozenset((*family_kinds("conv"), *family_kinds("dense")))


def weight_depth(report: Report) -> int:
    """Layers with weights on the longest path through the network (rows are in execution order)."""
    counted = weight_kinds()
    depth: dict[str, int] = {}
    for row in report.rows:
        before = max((depth[name] for name in row.inputs), default=0)
        depth[row.name] = before + (1 if row.kind in counted else 0)
    return max(depth.values(), default=0)


def entry(report: Report, source: str, top1: float | None = None) -> Entry:
    """The comparison figures of one analysed network."""
    counted = weight_kinds()
    totals = report.totals
    return Entry(
        source=source,
        name=report.name,
        depth=weight_depth(report),
        params=totals.params,
        macs=totals.macs,
        flops=totals.flops,
        activation_bytes=totals.activation_bytes,
        peak_activation_bytes=totals.peak_activation_bytes,
        param_bytes=totals.param_bytes,
        top1=top1,
        dtype=report.dtype,
        batch=report.batch,
        layers=tuple(LayerCost(r.name, r.macs, r.params) for r in report.rows if r.kind in counted),
    )


def setting(entries: Sequence[Entry]) -> str:
    """'float32, batch 1' when all networks agree; else a warning that memory is not like for like."""
    settings = {(e.dtype, e.batch) for e in entries}
    if len(settings) == 1:
        dtype, batch = settings.pop()
        return f"{dtype}, batch {batch}"
    return "dtype and batch as each spec sets them"


def compare(sources: Sequence[str], load: Callable[[str], Spec] | None = None) -> tuple[Entry, ...]:
    """Load (by `load`, else as a file or a bundled name), analyse and sum up each spec, in the
    order given."""
    from cnncalc.core.walk import analyze
    from cnncalc.features.interop import load_spec

    entries = []
    for source in sources:
        spec = (load or load_spec)(source)
        entries.append(entry(analyze(spec), source, spec.top1))
    return tuple(entries)


__all__ = ["Entry", "LayerCost", "compare", "entry", "setting", "weight_depth", "weight_kinds"]
