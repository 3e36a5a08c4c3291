"""Counting presets: each peer tool's totals, reproduced from cnncalc's rows.

torchinfo, fvcore, thop and ptflops disagree on the same network by a few percent, and
Keras counts other params than PyTorch. None is wrong: each counts by its own rules, and
each rule is simple once it is written down. A preset is one tool's rules, applied to
the network as PyTorch runs it; `evaluate` gives that tool's figures to the digit.

The package, in three parts: the calls the PyTorch model makes, as a tool's hooks see them
(cnncalc.features.peers.calls, with the PEERS capability table); each tool's counting rules
over those calls (cnncalc.features.peers.rules, with TOOLS); and here, a preset evaluated
for a spec: the calls of a bundled torchvision-layout network or of an imported model, the
totals and the figures each tool prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING

from cnncalc.features.interop.onnx.calls import FOLDED
from cnncalc.features.peers.calls import CHECKED, TORCHVISION, UNCHECKED_NOTE, Op, Structure, calls, unmodelled
from cnncalc.features.peers.rules import TOOLS, elements

if TYPE_CHECKING:
    from cnncalc.core.report import LayerRow, Report
    from cnncalc.spec.model import Spec

#: the preset names, in the order `--convention all` lists them
PRESETS: tuple[str, ...] = ("cnncalc", "torchinfo", "fvcore", "thop", "ptflops", "keras", "paper")


@dataclass(frozen=True)
class Figure:
    """One number a tool prints, under the tool's own name for it."""

    label: str
    value: int
    #: how the tool shows it (e.g. "177.83" MB), when it shows it rounded
    shown: str = ""


@dataclass(frozen=True)
class PresetResult:
    """A preset's totals: params, the tool's count, FLOPs and memory as that tool states them.

    macs is the tool's headline count (torchinfo's mult-adds, fvcore's "flops", thop's and
    ptflops' MACs); flops is None where the tool reports none, and memory where it has no
    memory figure. per_layer gives each row's share of `macs`, so a difference is traced.
    """

    preset: str
    tool: str
    params: int
    macs: int | None
    flops: int | None
    memory: int | None
    memory_label: str
    figures: tuple[Figure, ...]
    rule: str
    differs: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    per_layer: tuple[tuple[str, int], ...] = ()


def evaluate(spec: Spec, preset: str, torchvision: bool = True) -> PresetResult:
    """`preset`'s totals for `spec`. torchvision=True counts a bundled torchvision-layout
    network as torchvision's module tree runs it (TORCHVISION) and notes where that differs;
    False counts the network as `cnncalc export --to pytorch` writes it."""
    from cnncalc.core.conventions import Conventions
    from cnncalc.core.walk import analyze

    tool = TOOLS[preset]
    report = analyze(spec, Conventions(bn_running_stats=preset == "keras"))
    structure = _structure(spec, report) if torchvision else None
    imported = spec.imported_calls
    notes = [structure.note] if structure is not None else []
    if structure is None and imported is not None:
        structure, found = _imported(spec, report, imported, preset)
        notes += found
    if torchvision and spec.name not in CHECKED and "torchvision" in (spec.description or "").lower():
        notes.append(UNCHECKED_NOTE)
    totals = report.totals
    if preset == "cnncalc":
        memory = totals.activation_bytes + totals.param_bytes
        return PresetResult(
            preset,
            tool.tool,
            totals.params,
            totals.macs,
            totals.flops,
            memory,
            "activations + params",
            (),
            tool.rule,
            tool.differs,
            tool.sources,
            (),
        )
    if preset == "keras":
        size = totals.params * report.dtype_bytes
        nbytes = report.dtype_bytes
        keras: tuple[Figure, ...] = (
            Figure("Total params", totals.params, keras_size(size)),
            Figure("Trainable params", totals.trainable_params, keras_size(totals.trainable_params * nbytes)),
            Figure(
                "Non-trainable params", totals.non_trainable_params, keras_size(totals.non_trainable_params * nbytes)
            ),
        )
        return PresetResult(
            preset,
            tool.tool,
            totals.params,
            None,
            None,
            size,
            "params size",
            keras,
            tool.rule,
            tool.differs,
            tool.sources,
            (),
        )
    ops = calls(spec, report, structure)
    assert tool.count is not None
    per_layer: dict[str, int] = {}
    for op in ops:
        per_layer[op.row] = per_layer.get(op.row, 0) + tool.count(op, report.batch)
    count = sum(per_layer.values())
    missing = unmodelled(ops)
    if missing:
        notes.append(f"not exact: kinds not modelled for {tool.tool}, counted as 0: {'; '.join(missing)}")
    params = sum(op.params for op in _unique_modules(ops))
    figures, tool_memory, memory_label = _figures(preset, ops, report, params, count)
    return PresetResult(
        preset,
        tool.tool,
        params,
        count,
        count * tool.flops_per_mac if tool.flops_per_mac is not None else None,
        tool_memory,
        memory_label,
        figures,
        tool.rule,
        tool.differs,
        tool.sources,
        tuple(notes),
        tuple(per_layer.items()),
    )


def keras_size(nbytes: int) -> str:
    """A size as Keras's model.summary() shows it: steps of 1024 named B, KB, MB, GB, TB, PB
    (keras/src/utils/summary_utils.py readable_memory_size).

    >>> keras_size(102_440_608)
    '97.69 MB'
    """
    value = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value / 1024 < 1:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"


def _unique_modules(ops: Sequence[Op]) -> list[Op]:
    return [op for op in ops if op.call == "module" and op.owns_params]


def _figures(
    preset: str, ops: Sequence[Op], report: Report, params: int, count: int
) -> tuple[tuple[Figure, ...], int | None, str]:
    """The figures the tool prints, in its words."""
    if preset == "torchinfo":
        per_element = report.dtype_bytes * report.batch
        input_bytes = prod(report.input_shape) * per_element
        passes = 2 * sum(elements(op.output) for op in ops if op.call == "module" and op.params) * per_element
        param_bytes = params * report.dtype_bytes
        total = input_bytes + passes + param_bytes
        figures = (
            Figure("Total params", params),
            Figure("Total mult-adds", count),
            Figure("Input size (MB)", input_bytes, f"{input_bytes / 1e6:.2f}"),
            Figure("Forward/backward pass size (MB)", passes, f"{passes / 1e6:.2f}"),
            Figure("Params size (MB)", param_bytes, f"{param_bytes / 1e6:.2f}"),
            Figure("Estimated Total Size (MB)", total, f"{total / 1e6:.2f}"),
        )
        return figures, total, "estimated total size"
    label = {"fvcore": "flops", "thop": "MACs", "ptflops": "MACs", "paper": "FLOPs (multiply-adds)"}[preset]
    counts: tuple[Figure, ...] = (Figure("params", params), Figure(label, count))
    if preset in ("thop", "ptflops"):
        counts += (Figure("FLOPs (2 x MACs)", 2 * count),)
    return counts, None, ""


def _imported(spec: Spec, report: Report, imported: dict[str, str], preset: str) -> tuple[Structure, list[str]]:
    """How the model a spec was imported from calls its layers, and the notes that say so.

    PyTorch's exporter names each node after the module that ran it, so an ONNX file says which
    layers were modules (a node in a module that holds no other module), functions (a node
    directly in a container's forward, or at the top: F.relu, F.adaptive_avg_pool2d) and tensor
    operators (`x + y`, `x.mean((2, 3))`). An average pool of window 1 and stride 1 is what the
    exporter writes for an adaptive pool to the size the map already has: the tools see the
    adaptive pool. What the file cannot say is noted: counts there are not exact."""
    graph_layers = {row.name: row for row in report.rows[1:]}
    functions = frozenset(name for name, call in imported.items() if call == "function")
    operators = frozenset(name for name, call in imported.items() if call == "operator")
    adaptive = frozenset(name for name, row in graph_layers.items() if _keeps_map(row) and name in imported)
    notes: list[str] = []
    if not imported:
        notes.append(
            "not exact: the model's node names do not say how its layers were called (the file was not written "
            "by PyTorch's exporter): counted as `cnncalc export` writes each layer, as a module"
        )
    else:
        shown = ", ".join(sorted(functions)[:4]) + (f" and {len(functions) - 4} more" if len(functions) > 4 else "")
        notes.append(
            "counted as the model calls its layers, read from the node names PyTorch's exporter wrote"
            + (f"; called as functions, which module hooks do not see: {shown}" if functions else "")
            + (
                f"; {len(adaptive)} average pool(s) of window 1 counted as the adaptive pools they were"
                if adaptive
                else ""
            )
        )
        unknown = [name for name in graph_layers if name not in imported]
        if unknown:
            notes.append(
                f"not exact: the node names do not say how {len(unknown)} layer(s) were called "
                f"({', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''}): counted as modules"
            )
    folded = sorted(name for name, call in imported.items() if call == FOLDED)
    if folded and preset not in ("paper",):
        notes.append(
            f"not exact: {len(folded)} conv/dense layer(s) hold a batch norm the exporter folded in (eval mode): the "
            f"PyTorch model runs those batch norms as modules, on convs without a bias, and {TOOLS[preset].tool} "
            "counts them there; export with training=torch.onnx.TrainingMode.TRAINING for its exact figures"
        )
    return Structure(note="", functions=functions, operators=operators, adaptive=adaptive), notes


def _keeps_map(row: LayerRow) -> bool:
    """An average pool that leaves the map as it is: window 1, stride 1 (what an adaptive pool to
    the map's own size exports as)."""
    return row.kind == "avg_pool" and row.input_shape == row.output_shape and row.summary.startswith("f=1, s=1")


def _structure(spec: Spec, report: Report) -> Structure | None:
    """torchvision's differences for a bundled torchvision-layout spec whose rows they name."""
    structure = TORCHVISION.get(spec.name)
    if structure is None:
        return None
    names = {row.name for row in report.rows}
    named = structure.functions | structure.dropped | {after for after, _, _ in structure.inserted}
    return structure if named <= names else None


def evaluate_all(spec: Spec, torchvision: bool = True) -> tuple[PresetResult, ...]:
    """Every preset's totals, in PRESETS order."""
    return tuple(evaluate(spec, name, torchvision) for name in PRESETS)


__all__ = [
    "PRESETS",
    "Figure",
    "PresetResult",
    "evaluate",
    "evaluate_all",
    "keras_size",
]
