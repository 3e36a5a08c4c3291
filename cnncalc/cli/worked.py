"""`cnncalc conv` and `cnncalc pool`: the lecture's worked examples, computed exactly and written out.

The computation lives in cnncalc.features.worked.examples (pure, exact Fractions); this module only reads the
matrices (inline or `@file`), parses options and prints. Imports of the numeric module happen inside
the commands so that start-up of other commands stays light.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_text, handles_errors
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cnncalc.features.worked.matrix import Volume
    from cnncalc.features.worked.numbers import NumberStyle

MATRIX_HELP = (
    "A matrix: values by spaces or commas, rows by ';', channels by '|' "
    "(e.g. '3 0 1; 1 5 8; 2 7 2'), or @FILE for a text/CSV file (rows on lines, channels split by a "
    "blank line or '|'), or @- for stdin. Values are exact: 3, -1, 0.5, 1/9."
)


FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv)


# the choices of --order and --kind (cnncalc.features.worked.examples.Order and PoolKind, not imported at start-up)
OrderOption = StrEnum("OrderOption", ["rows", "columns"])
PoolKindOption = StrEnum("PoolKindOption", ["max", "avg", "sum", "l2"])


def read_matrix(argument: str, what: str) -> Volume:
    """The matrix of an argument: inline text, or `@path` / `@-` (cnncalc.features.worked.reading)."""
    from cnncalc.features.worked.reading import read_matrix as read

    return read(argument, what)


def _style(round_digits: int | None, truncate: bool, exact: bool) -> NumberStyle:
    from cnncalc.features.worked.matrix import WorkedError
    from cnncalc.features.worked.numbers import NumberStyle

    if exact and (round_digits is not None or truncate):
        raise WorkedError.single("--exact prints exact values: give it without --round / --truncate")
    if truncate and round_digits is None:
        raise WorkedError.single("--truncate needs --round N", hint="e.g. --round 2 --truncate, as the X/O slides")
    return NumberStyle(round_digits, truncate, exact)


def _warn(fmt: OutputFormat, warnings: Sequence[str]) -> None:
    """Warnings go to stderr, except with JSON, whose document carries them."""
    if fmt is not OutputFormat.json:
        for warning in warnings:
            echo_error(f"warning: {warning}")


RoundOption = Annotated[
    int | None,
    typer.Option(
        "--round",
        min=0,
        max=30,
        help="Print non-integers with N decimals, rounded half away from zero (default: up to 4, as needed).",
    ),
]
TruncateOption = Annotated[
    bool, typer.Option("--truncate", help="With --round: cut the digits instead of rounding (7/9 -> 0.77).")
]
ExactOption = Annotated[bool, typer.Option("--exact", help="Print exact values: 5/3 stays 5/3.")]
StepsOption = Annotated[bool, typer.Option("--steps", help="Write out how each output value is computed.")]
FormatOption = Annotated[OutputFormat, options.format_option(*FORMATS)]


@handles_errors
def conv(
    matrix: Annotated[str, typer.Argument(metavar="INPUT", help=MATRIX_HELP, show_default=False)],
    kernel: Annotated[
        list[str] | None,
        typer.Option(
            "--kernel",
            "-k",
            help="A filter, written like INPUT, with one channel per input channel ('|'). Repeat for more filters.",
            show_default=False,
        ),
    ] = None,
    bias: Annotated[
        list[str] | None, typer.Option("--bias", "-b", help="Bias of a filter (repeat: one per --kernel).")
    ] = None,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: S, or 'rows,columns'.")] = "1",
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Zero padding: P, 'rows,columns', 'valid' or 'same'.")
    ] = "0",
    dilation: Annotated[
        str,
        typer.Option(
            "--dilation",
            "-d",
            help="Spacing of the kernel's taps: D, or 'rows,columns' (1: adjacent; 2 skips a pixel between taps).",
        ),
    ] = "1",
    flip: Annotated[
        bool, typer.Option("--flip", help="True convolution: flip the kernel (default: cross-correlation).")
    ] = False,
    mean: Annotated[
        bool, typer.Option("--mean", help="Average the products instead of summing them (the X/O slides).")
    ] = False,
    relu: Annotated[bool, typer.Option("--relu", help="Apply ReLU, max(0, x), to each output value.")] = False,
    steps: StepsOption = False,
    order: Annotated[
        OrderOption, typer.Option("--order", help="Order of the products in --steps: by rows or by columns.")
    ] = OrderOption.rows,
    round_digits: RoundOption = None,
    truncate: TruncateOption = False,
    exact: ExactOption = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Convolve a small matrix with a kernel, exactly, and write out each dot product.

    Examples (the lecture's worked examples):

        cnncalc conv "3 0 1 2 7 4; 1 5 8 9 3 1; 2 7 2 5 1 3; 0 1 3 1 7 8; 4 2 1 6 2 8; 2 4 5 2 3 9"
        -k "1 0 -1; 1 0 -1; 1 0 -1" --steps

        cnncalc conv @image.csv -k "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9" --round 1

        cnncalc conv "R rows | G rows | B rows" -k "kR | kG | kB" --bias 1 --padding 1

        cnncalc conv @image.csv -k "1 0 -1; 1 0 -1; 1 0 -1" --dilation 2 --steps
    """
    from cnncalc.features.worked.examples import Order, correlate
    from cnncalc.features.worked.matrix import WorkedError, conv_padding, parse_pair, parse_scalar
    from cnncalc.features.worked.output import CONV_WRITERS, ConvView

    style = _style(round_digits, truncate, exact)
    if not kernel:
        raise WorkedError.single("no --kernel given", hint="e.g. --kernel '1 0 -1; 1 0 -1; 1 0 -1'")
    image = read_matrix(matrix, "input")
    sources = ["<kernel>"] if len(kernel) == 1 else [f"<kernel {k}>" for k in range(1, len(kernel) + 1)]
    kernels = [read_matrix(text, source.strip("<>")) for text, source in zip(kernel, sources, strict=True)]
    sources = [text[1:] if text.startswith("@") else source for text, source in zip(kernel, sources, strict=True)]
    biases = [parse_scalar(text, "--bias") for text in bias] if bias else None
    strides = parse_pair(stride, "--stride")
    dilations = parse_pair(dilation, "--dilation")
    size = (len(image[0]), len(image[0][0]))
    span = tuple(d * (len(axis) - 1) + 1 for d, axis in zip(dilations, (kernels[0][0], kernels[0][0][0]), strict=True))
    pads = conv_padding(padding, size, (span[0], span[1]), strides)
    result = correlate(
        image,
        kernels,
        stride=strides,
        padding=pads,
        dilation=dilations,
        biases=biases,
        flip=flip,
        mean=mean,
        relu=relu,
        kernel_sources=sources,
    )
    written = list(result.steps(Order(order.value))) if steps else []
    _warn(fmt, result.warnings)
    echo_text(CONV_WRITERS.write(fmt, ConvView(result, style, written), None))


@handles_errors
def pool(
    matrix: Annotated[str, typer.Argument(metavar="INPUT", help=MATRIX_HELP, show_default=False)],
    kind: Annotated[PoolKindOption, typer.Option("--kind", help="max, avg (average), sum or l2 (square-sum).")] = (
        PoolKindOption.max
    ),
    size: Annotated[str, typer.Option("--size", help="Window: F, or 'rows,columns'.")] = "2",
    stride: Annotated[
        str | None, typer.Option("--stride", "-s", help="Stride: S or 'rows,columns' (default: the window size).")
    ] = None,
    padding: Annotated[
        str, typer.Option("--padding", "-p", help="Padding on each side, at most half the window (PyTorch's rule).")
    ] = "0",
    ceil: Annotated[
        bool, typer.Option("--ceil", help="ceil_mode: keep a last, partial window (PyTorch's rule).")
    ] = False,
    count_pad: Annotated[
        bool,
        typer.Option("--count-pad/--no-count-pad", help="avg: count padding in the divisor (PyTorch's default)."),
    ] = True,
    steps: StepsOption = False,
    round_digits: RoundOption = None,
    truncate: TruncateOption = False,
    exact: ExactOption = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Pool each channel of a small matrix (max, average, sum or L2) and write out each window.

    Examples:

        cnncalc pool "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4"

        cnncalc pool "1 3 2 1; 2 9 1 1; 1 4 2 3; 5 6 1 2" --kind avg --steps

        cnncalc pool @map.csv --size 3 --stride 1
    """
    from cnncalc.features.worked.examples import PoolKind
    from cnncalc.features.worked.examples import pool as pool_matrix
    from cnncalc.features.worked.matrix import parse_pair
    from cnncalc.features.worked.output import POOL_WRITERS, PoolView

    style = _style(round_digits, truncate, exact)
    image = read_matrix(matrix, "input")
    window = parse_pair(size, "--size")
    result = pool_matrix(
        image,
        PoolKind(kind.value),
        size=window,
        stride=parse_pair(stride, "--stride") if stride is not None else None,
        padding=parse_pair(padding, "--padding", minimum=0),
        ceil_mode=ceil,
        count_include_pad=count_pad,
    )
    written = list(result.steps()) if steps else []
    _warn(fmt, result.warnings)
    echo_text(POOL_WRITERS.write(fmt, PoolView(result, style, written), None))


def register(app: typer.Typer) -> None:
    """Add `conv` and `pool` to the app."""
    app.command("conv")(conv)
    app.command("pool")(pool)
