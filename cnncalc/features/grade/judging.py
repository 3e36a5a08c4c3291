"""Judging one cell: right at the precision written, or wrong with the expected value and why.

A cell is right when the true value rounds (or is cut) to it at the precision written
(cnncalc.features.grade.cells). A wrong cell gets the expected value, the explanation step that
gives it (cnncalc.features.explain.explanation), and, when the student's figure is what a common mistake
gives, the mistake by name (cnncalc.features.grade.mistakes), or "carried forward" when the right
rule was applied to the student's own earlier wrong answer. Total rows are judged against
the sums.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import prod

from cnncalc.core.conventions import Conventions
from cnncalc.core.graph import Graph
from cnncalc.core.report import LayerRow, Report
from cnncalc.features.explain.explanation import CONV_FAMILY, DENSE_FAMILY, Explanation, LayerExplanation, display_lines
from cnncalc.features.grade.alignment import Target, shown_shapes, skippable
from cnncalc.features.grade.cells import (
    Precision,
    Reading,
    binary_scale,
    judge,
    judge_shape,
    judge_with,
    read_number,
    read_shape,
    show_shape,
    shown_work,
    significant_figures,
    unread_reason,
)
from cnncalc.features.grade.labels import TotalKind
from cnncalc.features.grade.mistakes import CATALOG, Variant, layer_variants, param_free_mistake
from cnncalc.features.grade.results import CellResult
from cnncalc.features.grade.sheet import Column
from cnncalc.layers.base import Shape
from cnncalc.layers.registry import family_kinds
from cnncalc.spec.model import to_channels_first

#: roundings the decks themselves write, with the exact values they stand for there (002's AlexNet
#: CONV1 and VGG-16 memory column, 004's AlexNet parameters, 002's VGG-16 total; with and without the
#: biases where the decks differ): a rounding the lecture uses is right, never "ambiguous"
LECTURE_ROUNDINGS: frozenset[tuple[str, int]] = frozenset(
    {
        ("35K", 34_944),
        ("35K", 34_848),
        ("150K", 150_528),
        ("3.2M", 3_211_264),
        ("800K", 802_816),
        ("1.6M", 1_605_632),
        ("400K", 401_408),
        ("200K", 200_704),
        ("100K", 100_352),
        ("25K", 25_088),
        ("37M", 37_752_832),
        ("37M", 37_748_736),
        ("16M", 16_781_312),
        ("16M", 16_777_216),
        ("60M", 60_965_224),
        ("60M", 60_954_656),
        ("138M", 138_357_544),
        ("138M", 138_344_128),
    }
)


def lecture_rounding(reading: Reading, expected: int) -> bool:
    """Whether the cell writes `expected` as a lecture deck rounds it ('35 K', '3.2M')."""
    return (re.sub(r"\s+", "", reading.text).replace("k", "K"), expected) in LECTURE_ROUNDINGS


#: what people write in a cell they leave blank
BLANK = ("", "-", "\u2013", "\u2014", "n/a", "na", "none", "/", "--")


@dataclass
class Context:
    """The student's own answers so far, for errors carried forward."""

    shapes: dict[int, Shape] = field(default_factory=dict)  # report row -> the student's (wrong) output
    values: dict[tuple[Column, int], Reading] = field(default_factory=dict)  # (column, main row) -> reading
    memory_bytes: bool = False  # a unit-less memory column counts bytes (decided once per sheet)


@dataclass(frozen=True)
class Finding:
    """Why a cell whose number agrees with the truth is wrong all the same (the precision policy)."""

    mistakes: tuple[str, ...]
    detail: str = ""
    problem: str = ""
    #: the mistake's number when the rounding cannot tell it from the right one: ambiguous, not wrong
    ambiguous_with: int | None = None

    def on(self, cell: CellResult) -> CellResult:
        return replace(cell, mistakes=self.mistakes, detail=self.detail, problem=self.problem)


class Judge:
    """Judges the cells of sheets against one spec's report, explanation and mistakes."""

    def __init__(
        self,
        report: Report,
        graph: Graph,
        explanation: Explanation,
        conventions: Conventions,
        other_bias: Report,
        precision: Precision | None = None,
    ) -> None:
        self.precision = precision or Precision()
        self.report = report
        self.graph = graph
        self.explanation = explanation
        self.conventions = conventions
        self.other_bias = other_bias
        self._cache: dict[int, list[Variant]] = {}

    def cell(self, column: Column, written: str, target: Target, context: Context) -> CellResult:
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
        as_bytes = reading is not None and (reading.is_bytes or context.memory_bytes)
        if column == "memory" and reading is not None and not as_bytes:
            expected, step = size, self._line(target.main, "size")
        if column == "memory" and main.inplace and as_bytes:
            expected = size * bytes_per
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if written.strip().lower() in BLANK:
            if expected == 0:
                return replace(cell, right=True, how="blank read as 0")
            return replace(cell, problem="no answer")
        if reading is None:
            return replace(cell, problem=unread_reason(written))
        context.values[(column, target.main)] = reading
        how = self._right(written, reading, expected)
        if how is not None:
            alternatives = self._variant_values(column, reading, target, context)
            lecture = lecture_rounding(reading, expected)
            truncated = how.startswith("truncated")
            hidden = None if truncated else self._hidden(written, reading, expected, alternatives, lecture)
            how += ", read as bytes" if as_bytes and not reading.is_bytes else ""
            return self._rounded_right(cell, reading, expected, how, hidden)
        cell = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
        if (figures := self._figures(reading, expected)) is not None:
            return figures.on(cell)
        return self._diagnose(cell, reading, column, target, context)

    @staticmethod
    def _fits(reading: Reading, value: int) -> bool:
        """Whether a wrong answer is `value` as written: rounded or cut, a trailing zero a figure."""
        return judge(replace(reading, trailing_zeros=0), value) is not None

    def _right(self, written: str, reading: Reading, expected: int) -> str | None:
        """How the reading agrees with `expected` under the precision policy, or None.

        A cell that shows its work ('56*56*256=800K', as the decks write) is judged by its work:
        when the work is exactly right, the rounded answer after it may be as coarse as the decks'.
        """
        if shown_work(written) == expected and not self.precision.strict:
            return judge(reading, expected)
        return judge_with(reading, expected, self.precision)

    def _figures(self, reading: Reading, expected: int) -> Finding | None:
        """A rounded answer right but for the policy: too few figures, or any rounding under --strict."""
        bare = replace(reading, trailing_zeros=0)  # a trailing zero is a figure: "140M" is no 138M
        how = judge(bare, expected)
        if how is None or reading.exact:
            return None
        if self.precision.strict:
            return Finding(("too_few_figures",), problem=f"rounded ({how}); --strict asks for the exact number")
        n = significant_figures(reading)
        problem = (
            f"{n} significant figure{'s' if n != 1 else ''} written, at least {self.precision.sig_figs} asked ({how})"
        )
        return Finding(("too_few_figures",), problem=problem)

    def _hidden(
        self,
        written: str,
        reading: Reading,
        expected: int,
        alternatives: Sequence[tuple[tuple[str, ...], int]],
        lecture: bool = False,
    ) -> Finding | None:
        """A rounded answer that a common mistake gives as well, where the two differ at 3 figures.

        '48K' for 48,120 is also 48,000 (the biases forgotten): only '48.1K' or '48,120' tells.
        Such a cell is ambiguous (Finding.ambiguous_with), not wrong, but under --strict; work
        shown that is the mistake's arithmetic is wrong. A mistake that does not show in the
        first 3 significant figures ('138M' for VGG-16 with or without its 13,416 biases) hides
        nothing a rounded answer should show. --sig-figs 1 asks for no more figures than written,
        and a rounding the decks write for this very value (`lecture`) is right as they write it.
        """
        work = shown_work(written)
        if reading.exact or work == expected:
            return None
        # the mistake must give the figure under the (likeliest) meaning of the prefix that makes it
        # right: '1.7K' is 1,728 with K = 1,000, and 1,792 only with K = 1,024
        meant = [s for s in reading.scales if judge_with(replace(reading, scales=(s,)), expected, self.precision)]
        reading = replace(reading, scales=tuple(meant[:1]) or reading.scales)
        for mistakes, value in alternatives:
            if value == expected:
                continue
            if work == value:  # the work shown is the mistake's arithmetic
                return Finding(mistakes, detail=f"your work gives {value:,}")
            if lecture or float(f"{value:.3g}") == float(f"{expected:.3g}") or self.precision.sig_figs <= 1:
                continue
            how = judge_with(reading, value, self.precision)
            if how is not None and not how.startswith("truncated"):
                name = " and ".join(CATALOG[m].name for m in mistakes)
                return Finding(
                    ("hides_mistake",), detail=f"'{reading.text}' is also {value:,}: {name}", ambiguous_with=value
                )
        return None

    def _rounded_right(
        self, cell: CellResult, reading: Reading, expected: int, how: str, hidden: Finding | None
    ) -> CellResult:
        """A rounding right at its precision: right, ambiguous (right, flagged, with the figures
        that would tell), or wrong when its work is a mistake's or --strict counts ambiguity."""
        if hidden is None:
            return replace(cell, right=True, how=how)
        shown = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
        if hidden.ambiguous_with is None:
            return hidden.on(shown)
        hint = f"ambiguous: write one more digit ({one_more_digit(reading, expected, hidden.ambiguous_with)})"
        if self.precision.strict or self.precision.ambiguous == "wrong":
            return hidden.on(replace(shown, detail=f"{hidden.detail}; {hint}"))
        if self.precision.ambiguous == "right":  # the course's policy: the rounding is taken as meant
            return replace(cell, right=True, how=f"{how}; ambiguous ({hidden.detail}), counted right by the policy")
        return replace(shown, how=how, problem=hint, detail=hidden.detail, ambiguous=True)

    def _variant_values(
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

    def _diagnose(
        self, cell: CellResult, reading: Reading, column: Column, target: Target, context: Context
    ) -> CellResult:
        main = self.report.rows[target.main]
        bytes_per = self.report.dtype_bytes * self.report.batch
        if column == "params" and cell.expected_value == 0 and reading.value != 0:
            return replace(cell, mistakes=(param_free_mistake(main.kind),))
        macs = sum(self.report.rows[i].macs for i in target.rows)
        if column == "flops" and macs and self._fits(reading, macs):
            detail = f"{macs:,} MACs; FLOPs = 2 x MACs + the element-wise work = {cell.expected_value:,}"
            return replace(cell, mistakes=("macs_not_flops",), detail=detail)
        flops = sum(self.report.rows[i].flops for i in target.rows)
        if column == "macs" and macs and (self._fits(reading, 2 * macs) or self._fits(reading, flops)):
            shown = 2 * macs if self._fits(reading, 2 * macs) else flops
            return replace(cell, mistakes=("flops_not_macs",), detail=f"2 x {macs:,} = {shown:,}, the FLOPs")
        if column == "memory" and reading.is_bytes and self._fits(reading, prod(main.output_shape)):
            return replace(cell, mistakes=("elements_not_bytes",))
        if column == "memory" and reading.is_bytes and reading.unit.lower().endswith("ib"):
            power = reading.scales[0][1].bit_length() // 10  # KiB 1, MiB 2, GiB 3
            decimal = replace(reading, scales=(("", 1000**power),))
            if power and isinstance(cell.expected_value, int) and self._fits(decimal, cell.expected_value):
                prefix = reading.unit[0].upper() + "B"
                in_decimal = f"{cell.expected_value / 1000**power:,.{reading.decimals + 1}f}"
                detail = f"{cell.expected_value:,} bytes = {in_decimal} {prefix}, written {reading.text}"
                return replace(cell, mistakes=("mb_as_mib",), detail=detail)
        binary = binary_scale(reading) if column == "memory" else None
        if binary is not None and isinstance(cell.expected_value, int) and len(reading.scales) == 1:
            # the course reads MB as 10^6 bytes (`mb: MB`), and the figure is in MiB
            as_binary = replace(reading, scales=((f"{reading.unit} = {binary:,}", binary),))
            if self._fits(as_binary, cell.expected_value) and reading.scales[0][1] != binary:
                in_binary = f"{cell.expected_value / binary:,.{reading.decimals + 1}f}"
                unit = f"{reading.unit[0].upper()}iB"
                detail = f"{cell.expected_value:,} bytes = {in_binary} {unit}, written {reading.text}"
                return replace(cell, mistakes=("mib_as_mb",), detail=detail)
        student_shape = context.shapes.get(target.main)
        if column in ("size", "memory") and student_shape is not None:
            scale = bytes_per if column == "memory" and reading.is_bytes else 1
            if self._fits(reading, prod(student_shape) * scale):
                return replace(cell, mistakes=("carried",), detail=f"the size of your shape, {prod(student_shape):,}")
        for v in self._variants(target, context):
            value = self._variant_value(v, column, reading, context)
            if value is not None and self._fits(reading, value):
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

    def _shape_cell(self, written: str, target: Target, context: Context) -> CellResult:
        main = self.report.rows[target.main]
        shown, other = shown_shapes(self.report, main.output_shape)
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

    def total_cell(
        self, column: Column, written: str, kind: TotalKind, listed: Sequence[Target], context: Context
    ) -> CellResult | None:
        if column == "shape" or (kind != "total" and column not in ("params", "macs")):
            return None
        if written.strip().lower() in BLANK:
            return None  # a total left blank is not asked for
        picked = [
            r
            for r in self.report.rows
            if kind == "total" or r.kind in family_kinds(CONV_FAMILY if kind == "conv" else DENSE_FAMILY)
        ]
        dense = picked if kind == "total" else [r for r in picked if r.params]
        fc_only = dense[:-1] if kind in ("dense", "dense_one") and len(dense) > 1 else []
        if kind == "dense_one" and fc_only:
            picked, fc_only = fc_only, picked  # fc1 alone; all of them also read right
        reading = read_number(written, memory=column == "memory")
        as_bytes = column == "memory" and reading is not None and (reading.is_bytes or context.memory_bytes)
        sums: list[tuple[int, str, str]] = []  # (value, step, why it is right too)
        if column in ("params", "macs", "flops"):
            values = [(r.name, getattr(r, column)) for r in picked]
            expected = sum(v for _, v in values)
            step = self._sum_line(values)
        else:
            sums = self._activation_totals(as_bytes)
            expected, step, _ = sums[0]
            if reading is not None:  # the meaning of "total" nearest to what is written
                expected, step, _ = min(sums, key=lambda s: abs(reading.value - s[0]))
        cell = CellResult(column, written, False, f"{expected:,}", expected, step=step)
        if reading is None:
            return replace(cell, problem=unread_reason(written))
        how = self._right(written, reading, expected)
        if how is not None:
            alternatives_ = self._total_alternatives(column, picked)
            lecture = lecture_rounding(reading, expected)
            truncated = how.startswith("truncated")
            hidden = None if truncated else self._hidden(written, reading, expected, alternatives_, lecture)
            how += ", read as bytes" if as_bytes and not reading.is_bytes else ""
            return self._rounded_right(cell, reading, expected, how, hidden)
        cell = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
        alternatives: list[tuple[int, str]] = [(value, why) for value, _, why in sums if value != expected]
        if kind == "dense_one" and fc_only and column == "params":
            names = ", ".join(r.name for r in fc_only if r.params)
            alternatives.append((sum(r.params for r in fc_only), f"read as all the fully connected layers ({names})"))
        for value, why in alternatives:
            how = self._right(written, reading, value)
            if how is not None:
                return replace(cell, right=True, how=f"{how}; {why}")
        if (figures := self._figures(reading, expected)) is not None:
            return figures.on(cell)
        if kind == "dense" and fc_only and column in ("params", "macs"):
            value = sum(getattr(r, column) for r in fc_only)
            if value != expected and self._fits(reading, value):
                left = ", ".join(r.name for r in picked if r not in fc_only)
                return replace(cell, mistakes=("output_layer_left_out",), detail=f"{value:,} without {left}")
        return self._diagnose_total(cell, reading, column, picked, listed, context)

    def _activation_totals(self, as_bytes: bool) -> list[tuple[int, str, str]]:
        """The network's activation totals a Total row may mean, never the sum of the rows a sheet
        happens to list: (value, its sum, why): the layers a lecture table lists (the input, convs,
        pools, dense layers: the VGG table's "24M"), those without the input, the layers with
        weights (the "neurons" of the AlexNet paper and the 004 table), and every layer."""
        rows = [r for r in self.report.rows if not r.inplace]
        listed = [r for r in rows if not skippable(r) or r.kind == "input"]

        def total(chosen: Sequence[LayerRow], why: str) -> tuple[int, str, str]:
            values = [(r.name, r.activation_bytes if as_bytes else prod(r.output_shape)) for r in chosen]
            return sum(v for _, v in values), self._sum_line(values), why

        found: dict[int, tuple[int, str, str]] = {}
        for chosen, why in (
            (listed, "the sum over the layers a table lists, the input too"),
            ([r for r in listed if r.kind != "input"], "the sum over the layers, the input left out"),
            ([r for r in rows if r.params], "the sum over the layers with weights (the neurons)"),
            (rows, "the sum over every layer of the network"),
        ):
            if chosen:
                value = total(chosen, why)
                found.setdefault(value[0], value)
        return list(found.values())

    def _total_alternatives(self, column: Column, picked: Sequence[LayerRow]) -> list[tuple[tuple[str, ...], int]]:
        """The total under the other bias convention, the mistake a rounded total may hide."""
        if column != "params":
            return []
        other = sum(self.other_bias.rows[r.index].params for r in picked)
        return [(("forgot_bias" if self.conventions.bias else "counted_bias",), other)]

    def _diagnose_total(
        self,
        cell: CellResult,
        reading: Reading,
        column: Column,
        picked: Sequence[LayerRow],
        listed: Sequence[Target],
        context: Context,
    ) -> CellResult:
        if column == "params":
            other = sum(self.other_bias.rows[r.index].params for r in picked)
            if self._fits(reading, other):
                mistake = "forgot_bias" if self.conventions.bias else "counted_bias"
                detail = f"{other:,} {'without' if self.conventions.bias else 'with'} the biases"
                return replace(cell, mistakes=(mistake,), detail=detail)
        if column in ("params", "macs"):
            shallow = 0
            for r in picked:
                found = next((v for v in self._cache.get(r.index, []) if v.mistakes == ("forgot_input_depth",)), None)
                value = getattr(found, column) if found is not None else None
                shallow += value if value is not None else getattr(r, column)
            if shallow != cell.expected_value and self._fits(reading, shallow):
                return replace(cell, mistakes=("forgot_input_depth",))
        macs = sum(r.macs for r in picked)
        if column == "flops" and macs and self._fits(reading, macs):
            return replace(cell, mistakes=("macs_not_flops",), detail=f"{macs:,} MACs")
        if column == "macs" and macs and self._fits(reading, 2 * macs):
            return replace(cell, mistakes=("flops_not_macs",), detail=f"2 x {macs:,} = {2 * macs:,}, the FLOPs")
        ids = {r.index for r in picked}
        own = [context.values[(column, x.main)] for x in listed if (column, x.main) in context.values and x.main in ids]
        if own:
            total = sum(r.value for r in own)
            if total.denominator == 1 and total != cell.expected_value and self._fits(reading, int(total)):
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

    def _target_sum(self, target: Target, field_: str) -> str:
        rows = [self.report.rows[i] for i in target.rows]
        values = [(r.name, getattr(r, field_)) for r in rows]
        blocks = [u for u in target.units if u.kind == "block"]
        what = ""
        if len(blocks) == 1 and len(target.units) == 1:
            what = f"the {sum(1 for _, v in values if v)} layers of {blocks[0].name} that have any"
        return self._sum_line(values, what)


def one_more_digit(reading: Reading, expected: int, other: int) -> str:
    """'48.1K or 48,120': the cell's own number with the figures that tell it from `other`,
    in the unit the student wrote, then in full."""
    scale = reading.scales[0][1]
    for _, s in reading.scales:  # the meaning of the prefix under which the cell is right
        if abs(expected - reading.mantissa * s) * 2 <= Fraction(s, 10**reading.decimals):
            scale = s
            break
    unit = reading.unit
    for digits in range(reading.decimals + 1, reading.decimals + 5):
        mine, theirs = round(Fraction(expected, scale), digits), round(Fraction(other, scale), digits)
        if mine != theirs:
            return f"{float(mine):,.{digits}f}{unit} or {expected:,}"
    return f"{expected:,}"


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


__all__ = ["BLANK", "LECTURE_ROUNDINGS", "Context", "Judge", "in_unit", "lecture_rounding", "one_more_digit"]
