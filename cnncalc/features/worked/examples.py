"""Worked examples of the lecture slides: small convolutions and poolings, computed exactly and step by step.

A student checks these numbers by hand against slides that print 1/9 box filters and 7/9 feature-map
values, so every value is a `Fraction`: sums of products stay exact and the only rounding is the one
asked for when printing. The matrices are homework-sized, so plain Python over Fractions is fast enough,
needs no NumPy and stays independent of the symbolic rules (design.md); the limits in `matrix` (where
the text format of a matrix is described) keep hostile input bounded in time and memory, and `numbers`
prints the values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from cnncalc.errors import Location
from cnncalc.features.worked.matrix import (
    BIG_HINT,
    MAX_PADDING,
    MAX_VALUES,
    MAX_WORK,
    Grid,
    Padding,
    Pair,
    Volume,
    fail,
    shape,
)
from cnncalc.features.worked.numbers import ROOT_DIGITS, NumberStyle, exact_text, signed_sum

# -------------------------------------------------------------------------------------------- windows


def _pad(grid: Grid, padding: Padding) -> Grid:
    (top, bottom), (left, right) = padding
    zero = Fraction(0)
    width = left + len(grid[0]) + right
    blank = (zero,) * width
    body = tuple((zero,) * left + row + (zero,) * right for row in grid)
    return (blank,) * top + body + (blank,) * bottom


def _dropped_warning(axis: str, padded: int, kernel: int, stride: int, is_padded: bool) -> str | None:
    """The slides' 'doesn't fit!' (002): a stride that leaves the last rows or columns unread."""
    dropped = (padded - kernel) % stride
    if not dropped:
        return None
    return (
        f"stride {stride} does not fit the {axis}: ({padded} - {kernel}) / {stride} is not whole, "
        f"so the last {dropped} {axis} of the {'padded ' if is_padded else ''}input are never used"
    )


class Order(StrEnum):
    """Order of the products in a written-out dot product."""

    rows = "rows"  # row by row, as 001 writes 3*1 + 0 + 1*-1 + 1*1 + ...
    columns = "columns"  # column by column, as 000 writes 3x1 + 1x1 + 2x1 + 0x0 + ...


def _positions(rows: int, columns: int, order: Order) -> list[Pair]:
    if order is Order.rows:
        return [(i, j) for i in range(rows) for j in range(columns)]
    return [(i, j) for j in range(columns) for i in range(rows)]


# ------------------------------------------------------------------------------------------ convolution


@dataclass(frozen=True)
class ConvStep:
    """One output value, written out: per channel the (input, weight) products, then the total."""

    filter: int  # 0-based
    row: int
    column: int
    products: tuple[tuple[tuple[Fraction, Fraction], ...], ...]  # per channel
    sums: tuple[Fraction, ...]  # per channel
    count: int  # divisor of --mean (1 without it)
    bias: Fraction | None
    total: Fraction  # before ReLU
    value: Fraction  # after ReLU, when asked for
    #: a dilated kernel's taps: the input rows and columns it reads (1-based, in the input as given;
    #: None where a tap falls in the padding); empty for an undilated kernel, whose taps are adjacent
    reads: tuple[tuple[int | None, ...], tuple[int | None, ...]] = ((), ())

    def text(self, style: NumberStyle, filters: int) -> list[str]:
        """The lines a student writes: '3x1 + 1x1 + ... = -5' (several channels: one line each, then the sum).

        A dilated kernel's line names the input rows and columns its taps read first.
        """
        label = f"({self.row + 1},{self.column + 1})"
        if filters > 1:
            label = f"filter {self.filter + 1} {label}"
        if self.reads[0]:
            label += f" reads rows {_read_list(self.reads[0])} x columns {_read_list(self.reads[1])}"
        terms = [" + ".join(f"{exact_text(x)}x{exact_text(w)}" for x, w in channel) for channel in self.products]
        tail = [exact_text(self.bias)] if self.bias is not None else []
        result = style.show(self.total)
        if self.value != self.total:
            result += f"; ReLU: {style.show(self.value)}"
        if len(terms) == 1:
            body = terms[0] if self.count == 1 else f"({terms[0]}) / {self.count}"
            return [f"{label}: {signed_sum([body, *tail])} = {result}"]
        lines = [f"{label}:"]
        lines += [
            f"  channel {c}: {term} = {style.show(s)}"
            for c, (term, s) in enumerate(zip(terms, self.sums, strict=True), 1)
        ]
        sums = [style.show(s) for s in self.sums]
        body = signed_sum(sums) if self.count == 1 else f"({signed_sum(sums)}) / {self.count}"
        lines.append(f"  {signed_sum([body, *tail])} = {result}")
        return lines


def _read_list(positions: Sequence[int | None]) -> str:
    return ", ".join("pad" if p is None else str(p) for p in positions)


def _input_position(padded: int, before: int, size: int) -> int | None:
    """The 1-based input row (or column) of a 0-based padded one; None in the padding."""
    position = padded - before + 1
    return position if 1 <= position <= size else None


@dataclass(frozen=True)
class ConvResult:
    """A cross-correlation (or, flipped, a convolution) of a multi-channel input with one or more filters."""

    padded: Volume
    kernels: tuple[Volume, ...]  # as applied: flipped already for a true convolution
    input_shape: tuple[int, int, int]  # channels, rows, columns
    stride: Pair
    padding: Padding
    flip: bool
    mean: bool
    relu: bool
    biases: tuple[Fraction, ...] | None
    outputs: tuple[Grid, ...]  # one per filter
    warnings: tuple[str, ...]
    dilation: Pair = (1, 1)  # spacing of the kernel's taps (1: adjacent)

    @property
    def kernel_size(self) -> Pair:
        return len(self.kernels[0][0]), len(self.kernels[0][0][0])

    @property
    def span(self) -> Pair:
        """Rows and columns of input one window covers: d*(k - 1) + 1 per axis."""
        (kh, kw), (dh, dw) = self.kernel_size, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    def step(self, f: int, i: int, j: int, order: Order = Order.rows) -> ConvStep:
        """Output (i, j) of filter f, written out (0-based)."""
        kh, kw = self.kernel_size
        dh, dw = self.dilation
        top, left = i * self.stride[0], j * self.stride[1]
        cells = _positions(kh, kw, order)
        products = tuple(
            tuple((image[top + a * dh][left + b * dw], kernel[a][b]) for a, b in cells)
            for image, kernel in zip(self.padded, self.kernels[f], strict=True)
        )
        reads: tuple[tuple[int | None, ...], tuple[int | None, ...]] = ((), ())
        if self.dilation != (1, 1):
            (pad_top, _), (pad_left, _) = self.padding
            _, rows, columns = self.input_shape
            reads = (
                tuple(_input_position(top + a * dh, pad_top, rows) for a in range(kh)),
                tuple(_input_position(left + b * dw, pad_left, columns) for b in range(kw)),
            )
        sums = tuple(sum((x * w for x, w in channel), Fraction(0)) for channel in products)
        count = kh * kw * len(self.padded) if self.mean else 1
        bias = self.biases[f] if self.biases is not None else None
        total = sum(sums, Fraction(0)) / count + (bias or 0)
        value = max(total, Fraction(0)) if self.relu else total
        return ConvStep(f, i, j, products, sums, count, bias, total, value, reads)

    def steps(self, order: Order = Order.rows) -> Iterator[ConvStep]:
        for f, grid in enumerate(self.outputs):
            for i in range(len(grid)):
                for j in range(len(grid[0])):
                    yield self.step(f, i, j, order)


def flip_kernel(kernel: Volume) -> Volume:
    """The kernel rotated by 180 degrees: h[x - i, y - j] of a true convolution (002, slide 27).

    >>> flip_kernel((((Fraction(1), Fraction(2)), (Fraction(3), Fraction(4))),))[0]
    ((Fraction(4, 1), Fraction(3, 1)), (Fraction(2, 1), Fraction(1, 1)))
    """
    return tuple(tuple(tuple(reversed(row)) for row in reversed(channel)) for channel in kernel)


def correlate(
    image: Volume,
    kernels: Sequence[Volume],
    *,
    stride: Pair = (1, 1),
    padding: Padding = ((0, 0), (0, 0)),
    dilation: Pair = (1, 1),
    biases: Sequence[Fraction] | None = None,
    flip: bool = False,
    mean: bool = False,
    relu: bool = False,
    kernel_sources: Sequence[str] = (),
) -> ConvResult:
    """Slide each filter over the zero-padded image: out = sum(x * w) (/ count with `mean`) + bias.

    Cross-correlation, as deep-learning layers compute, unless `flip` (true convolution). With a
    `dilation` d, tap (a, b) of the kernel reads the input d*a rows and d*b columns from the window's
    corner (PyTorch's conv2d dilation): a k x k kernel spans d*(k - 1) + 1 pixels per axis.

    >>> from cnncalc.features.worked.matrix import parse_volume
    >>> dilated = correlate(parse_volume("1 2 3 4 5; " * 5), [parse_volume("1 1; 1 1")], dilation=(2, 2))
    >>> dilated.outputs[0][0], dilated.step(0, 0, 0).reads
    ((Fraction(8, 1), Fraction(12, 1), Fraction(16, 1)), ((1, 3), (1, 3)))

    >>> img = parse_volume("10 10 10 0 0 0; " * 6)
    >>> correlate(img, [parse_volume("1 0 -1; 1 0 -1; 1 0 -1")]).outputs[0][0]
    (Fraction(0, 1), Fraction(30, 1), Fraction(30, 1), Fraction(0, 1))
    """
    if not kernels:
        raise fail("no kernel given", hint="e.g. --kernel '1 0 -1; 1 0 -1; 1 0 -1'")
    sources = list(kernel_sources) + [f"<kernel {k}>" for k in range(len(kernel_sources) + 1, len(kernels) + 1)]
    first = kernels[0]
    for kernel, source in zip(kernels, sources, strict=False):
        if len(kernel) != len(image):
            raise fail(
                f"the kernel has {len(kernel)} channel(s) but the input has {len(image)}",
                Location(source, 1, 1),
                "give the kernel one channel per input channel, separated by '|'",
            )
        if len(kernel[0]) != len(first[0]) or len(kernel[0][0]) != len(first[0][0]):
            raise fail(
                f"this kernel is {shape(kernel[0])} but the first is {shape(first[0])}",
                Location(source, 1, 1),
                "all filters of a layer have the same size",
            )
    if biases is not None and len(biases) != len(kernels):
        raise fail(f"{len(biases)} bias value(s) for {len(kernels)} filter(s)", hint="give one --bias per --kernel")
    if max(max(side) for side in padding) > MAX_PADDING:
        raise fail(f"padding larger than {MAX_PADDING}", hint="padding is at most a few pixels in the slides")
    if max(dilation) > MAX_PADDING:
        raise fail(f"dilation larger than {MAX_PADDING}", hint="dilation is a few pixels in the slides")
    rows, columns = len(image[0]), len(image[0][0])
    taps_h, taps_w = len(first[0]), len(first[0][0])
    kh, kw = dilation[0] * (taps_h - 1) + 1, dilation[1] * (taps_w - 1) + 1  # the span of a window
    padded_rows = rows + sum(padding[0])
    padded_columns = columns + sum(padding[1])
    if kh > padded_rows or kw > padded_columns:
        what = "padded input" if padded_rows != rows or padded_columns != columns else "input"
        named = f"kernel ({taps_h}x{taps_w})" if (kh, kw) == (taps_h, taps_w) else f"dilated kernel ({kh}x{kw})"
        raise fail(
            f"the {named} is larger than the {what} ({padded_rows}x{padded_columns})",
            Location(sources[0], 1, 1),
            "use a smaller kernel" + (" or dilation" if (kh, kw) != (taps_h, taps_w) else "") + " or more --padding",
        )
    out_rows = (padded_rows - kh) // stride[0] + 1
    out_columns = (padded_columns - kw) // stride[1] + 1
    work = len(kernels) * out_rows * out_columns * len(image) * taps_h * taps_w
    padded_values = padded_rows * padded_columns * len(image)
    if padded_values > MAX_VALUES:
        raise fail(f"the padded input has {padded_values:,} values: more than {MAX_VALUES:,}", hint=BIG_HINT)
    if work > MAX_WORK:
        raise fail(
            f"too large for a worked example ({work:,} multiply-adds; the limit is {MAX_WORK:,})",
            hint="use `cnncalc verify` for whole networks",
        )
    warnings = [
        w
        for w in (
            _dropped_warning("rows", padded_rows, kh, stride[0], padded_rows != rows),
            _dropped_warning("columns", padded_columns, kw, stride[1], padded_columns != columns),
        )
        if w
    ]
    applied = tuple(flip_kernel(k) if flip else tuple(k) for k in kernels)
    result = ConvResult(
        padded=tuple(_pad(channel, padding) for channel in image),
        kernels=applied,
        input_shape=(len(image), rows, columns),
        stride=stride,
        padding=padding,
        flip=flip,
        mean=mean,
        relu=relu,
        biases=tuple(biases) if biases is not None else None,
        outputs=(),
        warnings=tuple(warnings),
        dilation=dilation,
    )
    outputs = tuple(
        tuple(tuple(result.step(f, i, j).value for j in range(out_columns)) for i in range(out_rows))
        for f in range(len(kernels))
    )
    return replace(result, outputs=outputs)


# ---------------------------------------------------------------------------------------------- pooling


class PoolKind(StrEnum):
    """Pooling functions of the slides (003: sum, square-sum, max; 000: average)."""

    max = "max"
    avg = "avg"
    sum = "sum"
    l2 = "l2"


def _sqrt(value: Fraction) -> tuple[Fraction, bool]:
    """The square root, exact when it is rational, else cut after 30 decimals; and whether it is exact."""
    num, den = value.numerator, value.denominator
    if math.isqrt(num) ** 2 == num and math.isqrt(den) ** 2 == den:
        return Fraction(math.isqrt(num), math.isqrt(den)), True
    scale = 10**ROOT_DIGITS
    return Fraction(math.isqrt(num * den * scale * scale), den * scale), False


@dataclass(frozen=True)
class PoolStep:
    """One pooled value, written out."""

    channel: int  # 0-based
    row: int
    column: int
    kind: PoolKind
    values: tuple[Fraction, ...]  # the window's values (padding zeros included where they count)
    divisor: int  # average pooling
    value: Fraction
    exact: bool = True  # False for an irrational L2 value, cut after 30 decimals

    def text(self, style: NumberStyle, channels: int) -> str:
        """'max(1, 1, 5, 6) = 6', '(1 + 3 + 2 + 9) / 4 = 3.75', '1 + 1 = 2', 'sqrt(3^2 + 4^2) = sqrt(25) = 5'."""
        label = f"({self.row + 1},{self.column + 1})"
        if channels > 1:
            label = f"channel {self.channel + 1} {label}"
        written = [exact_text(v) for v in self.values]
        if self.kind is PoolKind.max:
            body = f"max({', '.join(written)})"
        elif self.kind is PoolKind.sum:
            body = signed_sum(written)
        elif self.kind is PoolKind.avg:
            body = f"({signed_sum(written)}) / {self.divisor}"
        else:
            squares = " + ".join(f"({w})^2" if w.startswith("-") else f"{w}^2" for w in written)
            radicand = sum((v * v for v in self.values), Fraction(0))
            body = f"sqrt({squares}) = sqrt({exact_text(radicand)})"
        return f"{label}: {body} = {style.show(self.value)}"


@dataclass(frozen=True)
class PoolResult:
    """Pooling of each channel on its own, with PyTorch's padding and ceil_mode rules."""

    image: Volume
    kind: PoolKind
    size: Pair
    stride: Pair
    padding: Pair
    ceil_mode: bool
    count_include_pad: bool
    outputs: tuple[Grid, ...]  # one per channel
    inexact: frozenset[tuple[int, int, int]]  # (channel, row, column) of irrational L2 values
    warnings: tuple[str, ...]

    def step(self, c: int, i: int, j: int) -> PoolStep:
        """Output (i, j) of channel c (0-based), as PyTorch's pooling computes it."""
        grid = self.image[c]
        rows, columns = len(grid), len(grid[0])
        r0, r1 = _span(i, self.stride[0], self.padding[0], self.size[0], rows)
        c0, c1 = _span(j, self.stride[1], self.padding[1], self.size[1], columns)
        cells = [(a, b) for a in range(r0, r1) for b in range(c0, c1)]
        real = tuple(grid[a][b] for a, b in cells if 0 <= a < rows and 0 <= b < columns)
        divisor = len(cells) if self.count_include_pad else len(real)
        values = real
        if self.kind is PoolKind.avg and self.count_include_pad:  # padding zeros in place, as counted
            zero = Fraction(0)
            values = tuple(grid[a][b] if 0 <= a < rows and 0 <= b < columns else zero for a, b in cells)
        if self.kind is PoolKind.max:
            value = max(real)
        elif self.kind is PoolKind.sum:
            value = sum(real, Fraction(0))
        elif self.kind is PoolKind.avg:
            value = sum(real, Fraction(0)) / divisor
        else:
            value, exact = _sqrt(sum((v * v for v in real), Fraction(0)))
            return PoolStep(c, i, j, self.kind, values, divisor, value, exact)
        return PoolStep(c, i, j, self.kind, values, divisor, value)

    def steps(self) -> Iterator[PoolStep]:
        for c, grid in enumerate(self.outputs):
            for i in range(len(grid)):
                for j in range(len(grid[0])):
                    yield self.step(c, i, j)


def _span(index: int, stride: int, pad: int, size: int, n: int) -> Pair:
    """Window `index` along one axis, in input coordinates: it may start in the left padding and is cut
    at the end of the right padding (a ceil-mode window reaching past it), as PyTorch's avg_pool divides."""
    start = index * stride - pad
    return start, min(start + size, n + pad)


def _pool_length(n: int, size: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """PyTorch's output length: in ceil mode the last window must start inside the input or left padding."""
    span = n + 2 * pad - size
    if not ceil_mode:
        return span // stride + 1
    length = -(-span // stride) + 1
    return length - 1 if (length - 1) * stride >= n + pad else length


def pool(
    image: Volume,
    kind: PoolKind = PoolKind.max,
    *,
    size: Pair = (2, 2),
    stride: Pair | None = None,
    padding: Pair = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> PoolResult:
    """Pool each channel: the window's max, average, sum or L2 norm (stride defaults to the size).

    Padding follows PyTorch: it is never the max, adds nothing to a sum, and counts in an average's
    divisor only with `count_include_pad` (PyTorch's default); it is at most half the window.

    >>> from cnncalc.features.worked.matrix import parse_volume
    >>> pool(parse_volume("1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4")).outputs[0]
    ((Fraction(6, 1), Fraction(8, 1)), (Fraction(3, 1), Fraction(4, 1)))
    """
    stride = stride or size
    rows, columns = len(image[0]), len(image[0][0])
    for axis, k, p in (("rows", size[0], padding[0]), ("columns", size[1], padding[1])):
        if p > k // 2:
            raise fail(
                f"padding {p} of the {axis} is more than half the window ({k})",
                hint="PyTorch requires padding <= size / 2, so that no window is padding only",
            )
    if size[0] > rows + 2 * padding[0] or size[1] > columns + 2 * padding[1]:
        raise fail(
            f"the window ({size[0]}x{size[1]}) is larger than the input ({rows}x{columns}"
            f"{', padded' if any(padding) else ''})",
            hint="use a smaller --size",
        )
    out_rows = _pool_length(rows, size[0], stride[0], padding[0], ceil_mode)
    out_columns = _pool_length(columns, size[1], stride[1], padding[1], ceil_mode)
    work = len(image) * out_rows * out_columns * size[0] * size[1]
    if work > MAX_WORK:
        raise fail(
            f"too large for a worked example ({work:,} window reads; the limit is {MAX_WORK:,})",
            hint="use `cnncalc verify` for whole networks",
        )
    warnings: list[str] = []
    if not ceil_mode:
        axes = (("rows", rows, size[0], stride[0], padding[0]), ("columns", columns, size[1], stride[1], padding[1]))
        for axis, n, k, s, p in axes:
            warning = _dropped_warning(axis, n + 2 * p, k, s, p > 0)
            if warning:
                warnings.append(warning + " (--ceil keeps them)")
    result = PoolResult(image, kind, size, stride, padding, ceil_mode, count_include_pad, (), frozenset(), ())
    outputs: list[Grid] = []
    inexact: set[tuple[int, int, int]] = set()
    for c in range(len(image)):
        grid: list[tuple[Fraction, ...]] = []
        for i in range(out_rows):
            row: list[Fraction] = []
            for j in range(out_columns):
                step = result.step(c, i, j)
                if not step.exact:
                    inexact.add((c, i, j))
                row.append(step.value)
            grid.append(tuple(row))
        outputs.append(tuple(grid))
    return PoolResult(
        image,
        kind,
        size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        tuple(outputs),
        frozenset(inexact),
        tuple(warnings),
    )


# ------------------------------------------------------------------------------------------- rendering


def _dims(rows: int, columns: int, channels: int = 1) -> str:
    return f"{rows}x{columns}" + (f"x{channels}" if channels > 1 else "")


def _pair_text(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]},{pair[1]}"


def conv_title(result: ConvResult) -> str:
    """One line saying what was computed, in the slides' n x n x c notation."""
    channels, rows, columns = result.input_shape
    kh, kw = result.kernel_size
    filters = len(result.kernels)
    (top, bottom), (left, right) = result.padding
    pad = _pair_text((top, left)) if (top, left) == (bottom, right) else f"{top},{bottom},{left},{right}"
    kernel = f"{filters} filters" if filters > 1 else "kernel"
    kernel += " " + _dims(kh, kw, channels)
    if result.dilation != (1, 1):
        kernel += f", dilation {_pair_text(result.dilation)} (spans {_dims(*result.span)})"
    out = result.outputs[0]
    extras = "".join(
        text
        for flag, text in (
            (result.mean, ", mean of products"),
            (result.biases is not None, ", bias " + ", ".join(exact_text(b) for b in result.biases or ())),
            (result.relu, ", ReLU"),
        )
        if flag
    )
    operation = "convolution (kernel flipped)" if result.flip else "cross-correlation"
    return (
        f"{operation}: input {_dims(rows, columns, channels)}, {kernel}, stride {_pair_text(result.stride)}, "
        f"padding {pad}{extras} -> output {_dims(len(out), len(out[0]), filters)}"
    )


def pool_title(result: PoolResult) -> str:
    """One line saying what was computed."""
    channels = len(result.image)
    out = result.outputs[0]
    extras = ", ceil mode" if result.ceil_mode else ""
    if result.kind is PoolKind.avg and any(result.padding) and not result.count_include_pad:
        extras += ", padding not counted"
    return (
        f"{result.kind.value} pooling: input {_dims(len(result.image[0]), len(result.image[0][0]), channels)}, "
        f"window {_dims(*result.size)}, stride {_pair_text(result.stride)}, padding {_pair_text(result.padding)}"
        f"{extras} -> output {_dims(len(out), len(out[0]), channels)}"
    )
