"""Which mistake a wrong figure is: a common one by name, or an error carried forward.

When a cell is wrong, its figure is compared with what the common mistakes give for that
layer (cnncalc.features.grade.mistakes, recomputed with the layer rules under the wrong
convention), and with what the right rule gives on the student's own earlier wrong answer
(`Context`: an error carried forward is not a new mistake). Total rows are compared with
the sums under the other bias convention, with the input depth forgotten, and with the
student's own rows added up. cnncalc.features.grade.judging asks for a diagnosis when a
cell is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from math import prod

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import Graph
from cnncalc.core.report import LayerRow, Report
from cnncalc.features.grade.alignment import Target, shown_shapes, skippable
from cnncalc.features.grade.cells import Reading, binary_scale, judge_shape
from cnncalc.features.grade.mistakes import Variant, layer_variants, param_free_mistake
from cnncalc.features.grade.results import CellResult
from cnncalc.features.grade.rounding import fits
from cnncalc.features.grade.sheet import Column
from cnncalc.layers.base import Shape
from cnncalc.spec.model import to_channels_first


@dataclass
class Context:
    """The student's own answers so far, for errors carried forward."""

    shapes: dict[int, Shape] = field(default_factory=dict)  # report row -> the student's (wrong) output
    values: dict[tuple[Column, int], Reading] = field(default_factory=dict)  # (column, main row) -> reading
    memory_bytes: bool = False  # a unit-less memory column counts bytes (decided once per sheet)


class Diagnosis:
    """Names the mistake of a wrong cell, against one spec's report and its mistaken versions."""

    def __init__(self, report: Report, graph: Graph, conventions: Conventions, other_bias: Report) -> None:
        self.report = report
        self.graph = graph
        self.conventions = conventions
        self.other_bias = other_bias
        self._cache: dict[int, list[Variant]] = {}

    def variant_values(
        self, column: Column, reading: Reading, target: Target, context: Context
    ) -> list[tuple[tuple[str, ...], int]]:
        """(mistakes, value) of the common mistakes for this cell, not carried ones."""
        out: list[tuple[tuple[str, ...], int]] = []
        if column not in ("params", "macs", "size", "memory", "flops"):
            return out
        for v in self._variants(target, context):
            if v.carried:
                continue
            value = self._variant_value(v, column, reading, context) if column != "flops" else None
            if value is not None:
                out.append((v.mistakes, value))
        return out

    def diagnose(
        self, cell: CellResult, reading: Reading, column: Column, target: Target, context: Context
    ) -> CellResult:
        """`cell` with the mistake its figure is named, or as it is when no mistake gives the figure."""
        main = self.report.rows[target.main]
        bytes_per = self.report.dtype_bytes * self.report.batch
        if column == "params" and cell.expected_value == 0 and reading.value != 0:
            return replace(cell, mistakes=(param_free_mistake(main.kind),))
        macs = sum(self.report.rows[i].macs for i in target.rows)
        if column == "flops" and macs and fits(reading, macs):
            detail = f"{macs:,} MACs; FLOPs = 2 x MACs + the element-wise work = {cell.expected_value:,}"
            return replace(cell, mistakes=("macs_not_flops",), detail=detail)
        flops = sum(self.report.rows[i].flops for i in target.rows)
        if column == "macs" and macs and (fits(reading, 2 * macs) or fits(reading, flops)):
            shown = 2 * macs if fits(reading, 2 * macs) else flops
            return replace(cell, mistakes=("flops_not_macs",), detail=f"2 x {macs:,} = {shown:,}, the FLOPs")
        if column == "memory" and reading.is_bytes and fits(reading, prod(main.output_shape)):
            return replace(cell, mistakes=("elements_not_bytes",))
        if column == "memory" and reading.is_bytes and reading.unit.lower().endswith("ib"):
            power = reading.scales[0][1].bit_length() // 10  # KiB 1, MiB 2, GiB 3
            decimal = replace(reading, scales=(("", 1000**power),))
            if power and isinstance(cell.expected_value, int) and fits(decimal, cell.expected_value):
                prefix = reading.unit[0].upper() + "B"
                in_decimal = f"{cell.expected_value / 1000**power:,.{reading.decimals + 1}f}"
                detail = f"{cell.expected_value:,} bytes = {in_decimal} {prefix}, written {reading.text}"
                return replace(cell, mistakes=("mb_as_mib",), detail=detail)
        binary = binary_scale(reading) if column == "memory" else None
        if binary is not None and isinstance(cell.expected_value, int) and len(reading.scales) == 1:
            # the course reads MB as 10^6 bytes (`mb: MB`), and the figure is in MiB
            as_binary = replace(reading, scales=((f"{reading.unit} = {binary:,}", binary),))
            if fits(as_binary, cell.expected_value) and reading.scales[0][1] != binary:
                in_binary = f"{cell.expected_value / binary:,.{reading.decimals + 1}f}"
                unit = f"{reading.unit[0].upper()}iB"
                detail = f"{cell.expected_value:,} bytes = {in_binary} {unit}, written {reading.text}"
                return replace(cell, mistakes=("mib_as_mb",), detail=detail)
        student_shape = context.shapes.get(target.main)
        if column in ("size", "memory") and student_shape is not None:
            scale = bytes_per if column == "memory" and reading.is_bytes else 1
            if fits(reading, prod(student_shape) * scale):
                return replace(cell, mistakes=("carried",), detail=f"the size of your shape, {prod(student_shape):,}")
        for v in self._variants(target, context):
            value = self._variant_value(v, column, reading, context)
            if value is not None and fits(reading, value):
                detail = v.texts.get({"size": "output", "memory": "output"}.get(column, column), "")
                if column in ("size", "memory") and v.output is not None:
                    # the student's own output, implied by the size: later rows built on it are carried
                    context.shapes.setdefault(target.main, v.output)
                    detail = f"{'x'.join(map(str, self.report.shown(v.output)))} = {prod(v.output):,} values"
                    if "input_224" in v.mistakes:  # the arithmetic the 224 gives, not only its result
                        detail = f"{v.texts.get('output', '')}: {detail}"
                return replace(cell, mistakes=v.mistakes, detail=detail)
        return cell

    def _variant_value(self, v: Variant, column: Column, reading: Reading, context: Context) -> int | None:
        if column == "params":
            return v.params
        if column == "macs":
            return v.macs
        if v.output is None or column not in ("size", "memory"):
            return None
        as_bytes = reading.is_bytes or context.memory_bytes
        scale = self.report.dtype_bytes * self.report.batch if column == "memory" and as_bytes else 1
        return prod(v.output) * scale

    def diagnose_shape(
        self, cell: CellResult, parsed: tuple[int, ...], shown: Shape, target: Target, context: Context
    ) -> CellResult:
        """A wrong shape: kept as the student's own output (for the rows built on it), then named:
        height and width swapped, the paper's 224 for AlexNet's 227, or a common mistake's output."""
        main = self.report.rows[target.main]
        if len(parsed) == len(shown):
            context.shapes[target.main] = to_channels_first(parsed, self.report.layout)
        swapped = self._swapped(parsed, shown)
        if swapped:
            return replace(cell, mistakes=("swapped_hw",), detail=swapped)
        if main.kind == "input" and self._input_224(main.output_shape) == to_channels_first(parsed, self.report.layout):
            return replace(cell, mistakes=("input_224",), detail="224x224x3")
        for v in self._variants(target, context):
            if v.output is not None and judge_shape(parsed, *shown_shapes(self.report, v.output)):
                return replace(cell, mistakes=v.mistakes, detail=v.texts.get("output", ""))
        return cell

    def _swapped(self, parsed: Shape, shown: Shape) -> str:
        """'28x32x8 for 32x28x8': height and width the other way round (non-square maps only)."""
        if len(parsed) != 3 or len(shown) != 3:
            return ""
        h, w = (0, 1) if self.report.layout == "hwc" else (1, 2)
        if shown[h] == shown[w]:
            return ""
        swapped = list(shown)
        swapped[h], swapped[w] = shown[w], shown[h]
        if tuple(parsed) != tuple(swapped):
            return ""
        return f"height {shown[h]}, width {shown[w]}: written {parsed[h]} x {parsed[w]}"

    @staticmethod
    def _input_224(shape: Shape) -> Shape | None:
        """AlexNet's 227x227 input as the paper's 224 (channels first), else None."""
        if len(shape) == 3 and shape[1:] == (227, 227):
            return (shape[0], 224, 224)
        return None

    def total_alternatives(self, column: Column, picked: Sequence[LayerRow]) -> list[tuple[tuple[str, ...], int]]:
        """The total under the other bias convention, the mistake a rounded total may hide."""
        if column != "params":
            return []
        other = sum(self.other_bias.rows[r.index].params for r in picked)
        return [(("forgot_bias" if self.conventions.bias else "counted_bias",), other)]

    def diagnose_total(
        self,
        cell: CellResult,
        reading: Reading,
        column: Column,
        picked: Sequence[LayerRow],
        listed: Sequence[Target],
        context: Context,
    ) -> CellResult:
        """A Total cell's mistake: the other bias convention, the input depth forgotten, MACs for
        FLOPs or the reverse, or the student's own rows added up; else `cell` as it is."""
        if column == "params":
            other = sum(self.other_bias.rows[r.index].params for r in picked)
            if fits(reading, other):
                mistake = "forgot_bias" if self.conventions.bias else "counted_bias"
                detail = f"{other:,} {'without' if self.conventions.bias else 'with'} the biases"
                return replace(cell, mistakes=(mistake,), detail=detail)
        if column in ("params", "macs"):
            shallow = 0
            for r in picked:
                found = next((v for v in self._cache.get(r.index, []) if v.mistakes == ("forgot_input_depth",)), None)
                value = getattr(found, column) if found is not None else None
                shallow += value if value is not None else getattr(r, column)
            if shallow != cell.expected_value and fits(reading, shallow):
                return replace(cell, mistakes=("forgot_input_depth",))
        macs = sum(r.macs for r in picked)
        if column == "flops" and macs and fits(reading, macs):
            return replace(cell, mistakes=("macs_not_flops",), detail=f"{macs:,} MACs")
        if column == "macs" and macs and fits(reading, 2 * macs):
            return replace(cell, mistakes=("flops_not_macs",), detail=f"2 x {macs:,} = {2 * macs:,}, the FLOPs")
        ids = {r.index for r in picked}
        own = [context.values[(column, x.main)] for x in listed if (column, x.main) in context.values and x.main in ids]
        if own:
            total = sum(r.value for r in own)
            if total.denominator == 1 and total != cell.expected_value and fits(reading, int(total)):
                return replace(cell, mistakes=("sum_of_rows",), detail=f"your rows add up to {int(total):,}")
        return cell

    def _variants(self, target: Target, context: Context) -> list[Variant]:
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
            first = len(node.inputs) == 1 and self.report.rows[node.inputs[0]].kind == "input"
            small = self._input_224(self.report.rows[node.inputs[0]].output_shape) if first else None
            if small is not None and student is None:  # the paper's 224, never given as the input row
                found = layer_variants(node.layer, small, self.conventions, carried=True)
                out += [replace(v, mistakes=("input_224",)) for v in found[:1]]
            # the right rule on the student's own wrong input explains more than a new mistake
            out += carried[:1] + self._cache[target.main] + carried[1:]
        else:
            other = sum(self.other_bias.rows[i].params for i in target.rows)
            mistake = "forgot_bias" if self.conventions.bias else "counted_bias"
            if other != sum(self.report.rows[i].params for i in target.rows):
                out.append(Variant((mistake,), None, other, None, {}))
        return out

    def _student_input(self, index: int, context: Context) -> Shape | None:
        """The student's own (wrong) shape for the input of row `index`, if they gave one."""
        node = self.graph.nodes[index]
        seen = 0
        while len(node.inputs) == 1 and seen < 50:
            i = node.inputs[0]
            if i in context.shapes:
                return context.shapes[i]
            row = self.report.rows[i]
            if row.kind == "input" or not skippable(row):
                return None
            node, seen = self.graph.nodes[i], seen + 1
        return None


__all__ = ["Context", "Diagnosis"]
