"""`cnncalc conv` and `cnncalc pool` output: the worked example as text, CSV or JSON.

The numbers are exact Fractions computed by cnncalc.features.worked.examples; here they are laid out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cnncalc.features.worked.examples import ConvResult, ConvStep, PoolResult, PoolStep, conv_title, pool_title
from cnncalc.features.worked.matrix import Grid
from cnncalc.features.worked.numbers import NumberStyle, exact_text, grid_cells, grid_lines
from cnncalc.render.envelope import json_parts
from cnncalc.render.escape import terminal
from cnncalc.render.formats import OutputFormat, Text, Writers


def render_text(title: str, maps: Sequence[Grid], label: str, style: NumberStyle, steps: Sequence[str]) -> str:
    """Title, the written-out steps (if any), then each output matrix; file names in them made visible."""
    lines = [title]
    if steps:
        lines += ["", *steps]
    for index, grid in enumerate(maps, start=1):
        lines.append("")
        if len(maps) > 1:
            lines.append(f"{label} {index}:")
        lines += grid_lines(grid, style)
    return "\n".join(terminal(line) for line in lines)


def render_csv(maps: Sequence[Grid], style: NumberStyle) -> str:
    """Each output matrix as CSV rows; matrices separated by a blank line (what `parse_volume` reads back)."""
    blocks = ["\n".join(",".join(row) for row in grid_cells(grid, style)) for grid in maps]
    return "\n\n".join(blocks)


def conv_json(result: ConvResult, style: NumberStyle, steps: Sequence[ConvStep] = ()) -> dict[str, object]:
    """The JSON contract of `cnncalc conv`: shapes channels-first, exact values as strings beside the numbers."""
    channels, rows, columns = result.input_shape
    out = result.outputs
    filters = len(result.kernels)
    return {
        "operation": "convolution" if result.flip else "cross-correlation",
        "input_shape": [channels, rows, columns],
        "kernel_shape": [filters, channels, *result.kernel_size],
        "stride": list(result.stride),
        "padding": [list(result.padding[0]), list(result.padding[1])],
        "dilation": list(result.dilation),
        "bias": [style.json_value(b) for b in result.biases] if result.biases is not None else None,
        "mean": result.mean,
        "relu": result.relu,
        "output_shape": [len(out), len(out[0]), len(out[0][0])],
        "output": [[[style.json_value(v) for v in row] for row in grid] for grid in out],
        "exact": [[[exact_text(v) for v in row] for row in grid] for grid in out],
        "steps": [
            {
                "filter": s.filter + 1,
                "row": s.row + 1,
                "column": s.column + 1,
                "text": "\n".join(s.text(style, filters)),
                **({"reads": {"rows": list(s.reads[0]), "columns": list(s.reads[1])}} if s.reads[0] else {}),
            }
            for s in steps
        ],
        "warnings": list(result.warnings),
    }


def pool_json(result: PoolResult, style: NumberStyle, steps: Sequence[PoolStep] = ()) -> dict[str, object]:
    """The JSON contract of `cnncalc pool`; irrational L2 values are exact as 'sqrt(63)'."""
    out = result.outputs

    def exact(c: int, i: int, j: int, value: Fraction) -> str:
        if (c, i, j) in result.inexact:
            radicand = sum((v * v for v in result.step(c, i, j).values), Fraction(0))
            return f"sqrt({exact_text(radicand)})"
        return exact_text(value)

    return {
        "operation": f"{result.kind.value}-pool",
        "input_shape": [len(result.image), len(result.image[0]), len(result.image[0][0])],
        "size": list(result.size),
        "stride": list(result.stride),
        "padding": list(result.padding),
        "ceil_mode": result.ceil_mode,
        "count_include_pad": result.count_include_pad,
        "output_shape": [len(out), len(out[0]), len(out[0][0])],
        "output": [[[style.json_value(v) for v in row] for row in grid] for grid in out],
        "exact": [
            [[exact(c, i, j, v) for j, v in enumerate(row)] for i, row in enumerate(grid)] for c, grid in enumerate(out)
        ],
        "steps": [
            {"channel": s.channel + 1, "row": s.row + 1, "column": s.column + 1, "text": s.text(style, len(out))}
            for s in steps
        ],
        "warnings": list(result.warnings),
    }


@dataclass(frozen=True)
class ConvView:
    """What `conv` prints: the result, how its numbers are written, and the steps asked for."""

    result: ConvResult
    style: NumberStyle
    steps: Sequence[ConvStep] = ()


@dataclass(frozen=True)
class PoolView:
    """What `pool` prints: the result, how its numbers are written, and the steps asked for."""

    result: PoolResult
    style: NumberStyle
    steps: Sequence[PoolStep] = ()


def _conv_text(v: ConvView, width: int | None) -> Text:
    lines = [line for step in v.steps for line in step.text(v.style, len(v.result.outputs))]
    return render_text(conv_title(v.result), v.result.outputs, "filter", v.style, lines) + "\n"


def _pool_text(v: PoolView, width: int | None) -> Text:
    lines = [step.text(v.style, len(v.result.outputs)) for step in v.steps]
    return render_text(pool_title(v.result), v.result.outputs, "channel", v.style, lines) + "\n"


#: `conv`'s formats
CONV_WRITERS: Writers[ConvView] = Writers(
    {
        OutputFormat.table: _conv_text,
        OutputFormat.json: lambda v, width: json_parts(conv_json(v.result, v.style, v.steps)),
        OutputFormat.csv: lambda v, width: render_csv(v.result.outputs, v.style) + "\n",
    }
)

#: `pool`'s formats
POOL_WRITERS: Writers[PoolView] = Writers(
    {
        OutputFormat.table: _pool_text,
        OutputFormat.json: lambda v, width: json_parts(pool_json(v.result, v.style, v.steps)),
        OutputFormat.csv: lambda v, width: render_csv(v.result.outputs, v.style) + "\n",
    }
)


__all__ = [
    "CONV_WRITERS",
    "POOL_WRITERS",
    "ConvView",
    "PoolView",
    "conv_json",
    "pool_json",
    "render_csv",
    "render_text",
]
