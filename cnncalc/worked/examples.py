"""Worked examples of the lecture slides: small convolutions and poolings, computed exactly and step by step.

A student checks these numbers by hand against slides that print 1/9 box filters and 7/9 feature-map
values, so every value is a `Fraction`: sums of products stay exact and the only rounding is the one
asked for when printing. The matrices are homework-sized, so plain Python over Fractions is fast enough,
needs no NumPy and stays independent of the symbolic rules (design.md); the limits below keep hostile
input bounded in time and memory.

Text format of a matrix (inline or in a file): values separated by spaces or commas, rows by ';' or
new lines, channels by '|' or blank lines; `#` starts a comment. Values are exact: 3, -1, 0.5, 1e-3, 1/9,
written with the ASCII digits 0-9.

Limits of one matrix text, each checked before any value is converted, so refusing an oversized
text costs a few passes at C speed (milliseconds), never the parse itself: MAX_TEXT_CHARS characters
in all, MAX_LINE_CHARS per line, MAX_VALUE_CHARS per value (digits, sign, point, exponent and
fraction bar together) and MAX_VALUES values. Each refusal is an error located in the text, with a hint.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from cnncalc.errors import CnncalcError, Diagnostic, Location

Grid = tuple[tuple[Fraction, ...], ...]
Volume = tuple[Grid, ...]  # channels, each a grid of the same shape
Pair = tuple[int, int]
Padding = tuple[Pair, Pair]  # (top, bottom), (left, right)

MAX_TEXT_CHARS = 1_000_000  # of one matrix text or file
MAX_LINE_CHARS = 100_000  # of one line (an inline matrix is one line; the OS caps an argument at 128 KiB)
MAX_VALUE_CHARS = 64  # of one value as written
MAX_VALUES = 100_000  # values of one (padded) input or kernel (a 3x180x180 image)
MAX_WORK = 1_000_000  # multiply-adds or window reads of one command (a few seconds at most)
MAX_PADDING = 1_000
_ROOT_DIGITS = 30  # decimals kept of an irrational L2-pooling value
_DEFAULT_DIGITS = 4  # decimals shown when no --round is given and a value does not terminate sooner

# a decimal as groups (digits before the point, after it, exponent); no nested repetition, ASCII digits only
_DECIMAL = r"(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d{1,2}))?"
_VALUE = re.compile(rf"([+-]?)(?=\.?\d){_DECIMAL}(?:/(?=\.?\d){_DECIMAL})?", re.ASCII)
_COMMENT = re.compile(r"#[^\n]*")
_SEPARATORS = str.maketrans(",;|", "   ")
_TOO_LONG = re.compile(rf"(?<![^\s,;|#])[^\s,;|#]{{{MAX_VALUE_CHARS + 1}}}")
_BIG_HINT = "worked examples are small; use `cnncalc verify` for whole networks"
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # minus signs pasted from slides and PDFs
_TEXT_HINT = "write rows as '3 0 1; 1 5 8' (values by spaces or commas, rows by ';', channels by '|')"


class WorkedError(CnncalcError):
    """A matrix, kernel or option of `cnncalc conv` / `cnncalc pool` that cannot be used (exit 2)."""


def _fail(message: str, location: Location | None = None, hint: str | None = None) -> WorkedError:
    return WorkedError([Diagnostic(message, location, hint)])


def _location(text: str, source: str, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(source, line, column)


def _shape(grid: Grid) -> str:
    return f"{len(grid)}x{len(grid[0])}"


# ----------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Row:
    offset: int
    values: tuple[Fraction, ...]


def parse_value(token: str) -> Fraction | None:
    """One exact value, or None when the token is not a number.

    >>> parse_value("1/9"), parse_value("-0.25"), parse_value("2e1"), parse_value("x")
    (Fraction(1, 9), Fraction(-1, 4), Fraction(20, 1), None)
    """
    return _value(token) if len(token) <= MAX_VALUE_CHARS else None


@functools.lru_cache(maxsize=4096)
def _value(token: str) -> Fraction | None:
    """parse_value without the length check; cached, since homework matrices repeat their values.

    Plain integers and decimals ('-12', '0.25') take a short path; the rest the full grammar.
    """
    text = token.translate(_MINUS_SIGNS)
    negative = text.startswith("-")
    body = text[1:] if negative or text.startswith("+") else text
    if body.isascii():
        whole, _, part = body.partition(".")
        digits = whole + part
        if digits.isdigit():  # 0-9 only, at least one
            value = Fraction(int(digits), 10 ** len(part)) if part else Fraction(int(digits))
            return -value if negative else value
    match = _VALUE.fullmatch(text)
    if match is None:
        return None
    sign, whole, point, exponent, *denominator = match.groups()
    value = _decimal(whole, point, exponent)
    if match.group(5) is not None or match.group(6) is not None:
        divisor = _decimal(*denominator)
        if divisor == 0:
            return None
        value /= divisor
    return -value if sign == "-" else value


def _decimal(whole: str | None, point: str | None, exponent: str | None) -> Fraction:
    """The exact value of digits 'whole.point' times 10**exponent (the groups of _DECIMAL)."""
    point = point or ""
    scale = int(exponent or 0) - len(point)
    mantissa = int((whole or "") + point)
    return Fraction(mantissa * 10**scale) if scale >= 0 else Fraction(mantissa, 10**-scale)


def _check_size(text: str, source: str) -> None:
    """Refuse a text over the limits (module docstring) before any value is parsed.

    Every pass here runs at C speed: the length, the longest line, the values counted
    by splitting the text without its comments, and the longest of them.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise _fail(f"the matrix text is longer than {MAX_TEXT_CHARS:,} characters", Location(source, 1, 1), _BIG_HINT)
    lines = text.split("\n")
    if max(map(len, lines)) > MAX_LINE_CHARS:
        number = next(i for i, line in enumerate(lines, start=1) if len(line) > MAX_LINE_CHARS)
        raise _fail(
            f"line {number} is longer than {MAX_LINE_CHARS:,} characters",
            Location(source, number, MAX_LINE_CHARS + 1),
            "write one row per line in a file and give it as @PATH; " + _BIG_HINT,
        )
    code = _COMMENT.sub("", text) if "#" in text else text
    words = code.translate(_SEPARATORS).split()
    if len(words) > MAX_VALUES:
        raise _fail(f"{len(words):,} values: more than {MAX_VALUES:,}", Location(source, 1, 1), _BIG_HINT)
    if words and max(map(len, words)) > MAX_VALUE_CHARS:
        at = 0
        while (match := _TOO_LONG.search(text, at)) is not None:
            line_start = text.rfind("\n", 0, match.start()) + 1
            if text.find("#", line_start, match.start()) < 0:  # not a word of a comment
                raise _fail(
                    f"a value longer than {MAX_VALUE_CHARS} characters: '{match.group()[:20]}...'",
                    _location(text, source, match.start()),
                    "values are numbers like 3, -1, 0.5, 1e-3 or 1/9; " + _TEXT_HINT,
                )
            at = text.find("\n", match.end()) + 1  # the rest of that line is comment
            if at == 0:
                break


def _parse_row(text: str, source: str, start: int, end: int) -> _Row | None:
    """The values of text[start:end], one row; None when it holds no value."""
    segment = text[start:end]
    if "," in segment:
        _check_commas(text, source, start, segment)
        words = segment.replace(",", " ").split()
    else:
        words = segment.split()
    if not words:
        return None
    values: list[Fraction] = []
    for index, word in enumerate(words):
        value = parse_value(word)
        if value is None:
            token = list(re.finditer(r"[^\s,]+", segment))[index]
            shown = word if len(word) <= 20 else word[:20] + "..."
            raise _fail(
                f"not a number: '{shown}'",
                _location(text, source, start + token.start()),
                "values are numbers like 3, -1, 0.5, 1e-3 or 1/9; " + _TEXT_HINT,
            )
        values.append(value)
    first = re.search(r"[^\s,]", segment)
    return _Row(start + (first.start() if first else 0), tuple(values))


def _check_commas(text: str, source: str, start: int, segment: str) -> None:
    """Commas separate values: one between two values, at most one at either end of a row."""
    tokens = list(re.finditer(r"[^\s,]+", segment))
    if not tokens:
        raise _fail("a row of only commas", _location(text, source, start + segment.index(",")), _TEXT_HINT)
    gaps = [segment[: tokens[0].start()]]
    gaps += [segment[a.end() : b.start()] for a, b in pairwise(tokens)]
    gaps += [segment[tokens[-1].end() :]]
    for index, gap in enumerate(gaps):
        commas = gap.count(",")
        leading, trailing = index == 0, index == len(gaps) - 1
        if commas > (0 if leading or trailing else 1):
            comma = start + (tokens[index - 1].end() if index else 0) + gap.rindex(",")
            raise _fail(
                "empty value (two commas in a row, or a comma at a row's end)",
                _location(text, source, comma),
                _TEXT_HINT,
            )


def _check_channel(rows: list[_Row], index: int, text: str, source: str) -> Grid:
    width = len(rows[0].values)
    for number, row in enumerate(rows[1:], start=2):
        if len(row.values) != width:
            where = f" of channel {index}" if index > 1 else ""
            raise _fail(
                f"row {number}{where} has {len(row.values)} values but row 1 has {width}",
                _location(text, source, row.offset),
                "every row of a matrix needs the same number of values",
            )
    return tuple(row.values for row in rows)


def parse_volume(text: str, source: str = "<input>") -> Volume:
    """The channels of a matrix text (see the module docstring), checked to be rectangular and alike.

    >>> parse_volume("3 0 1; 1 5 8")
    (((Fraction(3, 1), Fraction(0, 1), Fraction(1, 1)), (Fraction(1, 1), Fraction(5, 1), Fraction(8, 1))),)
    >>> [len(channel) for channel in parse_volume("1 2; 3 4 | 5 6; 7 8")]
    [2, 2]
    """
    _check_size(text, source)
    channels: list[tuple[list[_Row], int]] = []
    rows: list[_Row] = []
    pipe_at: int | None = None  # offset of a '|' that still waits for its channel
    closed_by_blank = False
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        code = line.split("#", 1)[0]
        if not line.strip():  # a blank line ends a channel
            if rows:
                channels.append((rows, rows[0].offset))
                rows, closed_by_blank = [], True
            continue
        start = line_start
        for separator in [*re.finditer(r"[;|]", code), None]:
            end = line_start + (separator.start() if separator else len(code))
            row = _parse_row(text, source, start, end)
            if row is not None:
                rows.append(row)
                pipe_at, closed_by_blank = None, False
            if separator is not None and separator.group() == "|":
                if rows:
                    channels.append((rows, rows[0].offset))
                    rows = []
                elif not closed_by_blank:
                    raise _fail("empty channel before '|'", _location(text, source, end), _TEXT_HINT)
                pipe_at, closed_by_blank = end, False
            start = end + 1
    if rows:
        channels.append((rows, rows[0].offset))
    elif pipe_at is not None:
        raise _fail("empty channel after '|'", _location(text, source, pipe_at), _TEXT_HINT)
    if not channels:
        raise _fail("no values", Location(source, 1, 1), _TEXT_HINT)
    grids = [_check_channel(channel_rows, i, text, source) for i, (channel_rows, _) in enumerate(channels, start=1)]
    for i, (grid, (_, first)) in enumerate(zip(grids, channels, strict=True), start=1):
        if len(grid) != len(grids[0]) or len(grid[0]) != len(grids[0][0]):
            raise _fail(
                f"channel {i} is {_shape(grid)} but channel 1 is {_shape(grids[0])}",
                _location(text, source, first),
                "all channels of a matrix have the same shape",
            )
    count = len(grids) * len(grids[0]) * len(grids[0][0])
    if count > MAX_VALUES:
        raise _fail(
            f"{count:,} values: more than {MAX_VALUES:,}",
            Location(source, 1, 1),
            _BIG_HINT,
        )
    return tuple(grids)


def parse_pair(text: str, option: str, minimum: int = 1) -> Pair:
    """'2' or '2,1' (rows, columns) as a pair of ints, each at least `minimum`.

    >>> parse_pair("2", "--stride"), parse_pair("2,1", "--stride"), parse_pair("0x1", "--padding", 0)
    ((2, 2), (2, 1), (0, 1))
    """
    parts = [part.strip() for part in re.split(r"[,x]", text.strip())]
    if len(parts) in (1, 2) and all(re.fullmatch(r"[0-9]{1,6}", part) for part in parts):
        numbers = [int(part) for part in parts]
        if min(numbers) >= minimum:
            return (numbers[0], numbers[-1])
    least = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    raise _fail(f"{option} {text!r}: expected {least}, or two of them as 'rows,columns'", hint=f"e.g. {option} 2")


def parse_scalar(text: str, option: str) -> Fraction:
    """A value given on the command line (a bias), exact like the matrix values."""
    value = parse_value(text.strip())
    if value is None:
        raise _fail(f"{option} {text!r}: not a number", hint="numbers like 1, -0.5 or 1/9")
    return value


def conv_padding(text: str, size: Pair, kernel: Pair, stride: Pair) -> Padding:
    """Padding of a convolution: 'valid', 'same' (TensorFlow's, extra pixel after), 'P' or 'PH,PW'.

    `kernel` is the span of a window: d*(k - 1) + 1 per axis for a dilated kernel.

    >>> conv_padding("same", (5, 5), (3, 3), (1, 1)), conv_padding("same", (7, 7), (3, 3), (2, 2))
    (((1, 1), (1, 1)), ((1, 1), (1, 1)))
    >>> conv_padding("same", (6, 6), (3, 3), (2, 2))
    ((0, 1), (0, 1))
    """
    word = text.strip().lower()
    if word == "valid":
        return ((0, 0), (0, 0))
    if word == "same":
        sides: list[Pair] = []
        for n, k, s in zip(size, kernel, stride, strict=True):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            sides.append((total // 2, total - total // 2))
        return (sides[0], sides[1])
    rows, columns = parse_pair(text, "--padding", minimum=0)
    return ((rows, rows), (columns, columns))


# ----------------------------------------------------------------------------------------------- numbers


def exact_text(value: Fraction) -> str:
    """A value as written exactly: an integer, a terminating decimal, or a fraction.

    >>> exact_text(Fraction(-25)), exact_text(Fraction(15, 4)), exact_text(Fraction(5, 3))
    ('-25', '3.75', '5/3')
    """
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    digits = max(twos, fives)
    if den != 1 or digits > _ROOT_DIGITS:
        return f"{value.numerator}/{value.denominator}"
    return _fixed(value, digits, truncate=True)


def _fixed(value: Fraction, digits: int, truncate: bool) -> str:
    """`value` with exactly `digits` decimals, rounded half away from zero or cut (truncated)."""
    scaled = abs(value) * 10**digits
    units = scaled.numerator // scaled.denominator if truncate else math.floor(scaled + Fraction(1, 2))
    text = str(units).rjust(digits + 1, "0")
    body = f"{text[:-digits]}.{text[-digits:]}" if digits else text
    return f"-{body}" if value < 0 and units else body


@dataclass(frozen=True)
class NumberStyle:
    """How results are printed. Exact integers always print as integers.

    digits None: terminating decimals exactly when they need at most 4 decimals, else rounded to 4
    (trailing zeros dropped). digits N: every non-integer with N decimals. truncate: cut instead of
    rounding half away from zero (the X/O slides print 7/9 as 0.77). exact: 5/3 stays 5/3.

    >>> NumberStyle().show(Fraction(5, 3)), NumberStyle().show(Fraction(15, 4)), NumberStyle(1).show(Fraction(7, 9))
    ('1.6667', '3.75', '0.8')
    >>> NumberStyle(2, truncate=True).show(Fraction(7, 9)), NumberStyle(exact=True).show(Fraction(5, 3))
    ('0.77', '5/3')
    """

    digits: int | None = None
    truncate: bool = False
    exact: bool = False

    def show(self, value: Fraction) -> str:
        if value.denominator == 1:
            return str(value.numerator)
        if self.exact:
            return exact_text(value)
        if self.digits is not None:
            return _fixed(value, self.digits, self.truncate)
        written = exact_text(value)
        if "/" not in written and len(written.partition(".")[2]) <= _DEFAULT_DIGITS:
            return written
        cut = _fixed(value, _DEFAULT_DIGITS, self.truncate).rstrip("0").rstrip(".")
        return "0" if cut == "-0" else cut

    def json_value(self, value: Fraction) -> int | float:
        """An int when the value is one, else the float of what `show` prints (exact: the full value)."""
        if value.denominator == 1:
            return value.numerator
        return float(value) if self.exact else float(self.show(value))


def signed_sum(values: Sequence[str]) -> str:
    """Terms joined as a student writes them: '308 - 498 + 164 + 1'.

    >>> signed_sum(["308", "-498", "164", "1"]), signed_sum(["-5", "-1/9"])
    ('308 - 498 + 164 + 1', '-5 - 1/9')
    """
    text = values[0]
    for value in values[1:]:
        text += f" - {value[1:]}" if value.startswith("-") else f" + {value}"
    return text


def grid_cells(grid: Grid, style: NumberStyle) -> list[list[str]]:
    """The printed values of a matrix. With --round N, a matrix that holds non-integers prints its
    integers with N decimals too, as the slides print 1.00 beside 0.77; otherwise integers stay integers.

    >>> grid_cells(((Fraction(1), Fraction(7, 9)),), NumberStyle(2, truncate=True))
    [['1.00', '0.77']]
    >>> grid_cells(((Fraction(4), Fraction(2)),), NumberStyle(2))
    [['4', '2']]
    """
    digits = style.digits
    pad = digits is not None and not style.exact and any(v.denominator != 1 for row in grid for v in row)
    if digits is None or not pad:
        return [[style.show(value) for value in row] for row in grid]
    return [[_fixed(value, digits, style.truncate) for value in row] for row in grid]


def grid_lines(grid: Grid, style: NumberStyle) -> list[str]:
    """A matrix as right-aligned columns, two spaces apart.

    >>> grid_lines(((Fraction(-5), Fraction(8)), (Fraction(-10), Fraction(3))), NumberStyle())
    [' -5  8', '-10  3']
    """
    cells = grid_cells(grid, style)
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]


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

    >>> dilated = correlate(parse_volume("1 2 3 4 5; " * 5), [parse_volume("1 1; 1 1")], dilation=(2, 2))
    >>> dilated.outputs[0][0], dilated.step(0, 0, 0).reads
    ((Fraction(8, 1), Fraction(12, 1), Fraction(16, 1)), ((1, 3), (1, 3)))

    >>> img = parse_volume("10 10 10 0 0 0; " * 6)
    >>> correlate(img, [parse_volume("1 0 -1; 1 0 -1; 1 0 -1")]).outputs[0][0]
    (Fraction(0, 1), Fraction(30, 1), Fraction(30, 1), Fraction(0, 1))
    """
    if not kernels:
        raise _fail("no kernel given", hint="e.g. --kernel '1 0 -1; 1 0 -1; 1 0 -1'")
    sources = list(kernel_sources) + [f"<kernel {k}>" for k in range(len(kernel_sources) + 1, len(kernels) + 1)]
    first = kernels[0]
    for kernel, source in zip(kernels, sources, strict=False):
        if len(kernel) != len(image):
            raise _fail(
                f"the kernel has {len(kernel)} channel(s) but the input has {len(image)}",
                Location(source, 1, 1),
                "give the kernel one channel per input channel, separated by '|'",
            )
        if len(kernel[0]) != len(first[0]) or len(kernel[0][0]) != len(first[0][0]):
            raise _fail(
                f"this kernel is {_shape(kernel[0])} but the first is {_shape(first[0])}",
                Location(source, 1, 1),
                "all filters of a layer have the same size",
            )
    if biases is not None and len(biases) != len(kernels):
        raise _fail(f"{len(biases)} bias value(s) for {len(kernels)} filter(s)", hint="give one --bias per --kernel")
    if max(max(side) for side in padding) > MAX_PADDING:
        raise _fail(f"padding larger than {MAX_PADDING}", hint="padding is at most a few pixels in the slides")
    if max(dilation) > MAX_PADDING:
        raise _fail(f"dilation larger than {MAX_PADDING}", hint="dilation is a few pixels in the slides")
    rows, columns = len(image[0]), len(image[0][0])
    taps_h, taps_w = len(first[0]), len(first[0][0])
    kh, kw = dilation[0] * (taps_h - 1) + 1, dilation[1] * (taps_w - 1) + 1  # the span of a window
    padded_rows = rows + sum(padding[0])
    padded_columns = columns + sum(padding[1])
    if kh > padded_rows or kw > padded_columns:
        what = "padded input" if padded_rows != rows or padded_columns != columns else "input"
        named = f"kernel ({taps_h}x{taps_w})" if (kh, kw) == (taps_h, taps_w) else f"dilated kernel ({kh}x{kw})"
        raise _fail(
            f"the {named} is larger than the {what} ({padded_rows}x{padded_columns})",
            Location(sources[0], 1, 1),
            "use a smaller kernel" + (" or dilation" if (kh, kw) != (taps_h, taps_w) else "") + " or more --padding",
        )
    out_rows = (padded_rows - kh) // stride[0] + 1
    out_columns = (padded_columns - kw) // stride[1] + 1
    work = len(kernels) * out_rows * out_columns * len(image) * taps_h * taps_w
    padded_values = padded_rows * padded_columns * len(image)
    if padded_values > MAX_VALUES:
        raise _fail(f"the padded input has {padded_values:,} values: more than {MAX_VALUES:,}", hint=_BIG_HINT)
    if work > MAX_WORK:
        raise _fail(
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
    scale = 10**_ROOT_DIGITS
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

    >>> pool(parse_volume("1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4")).outputs[0]
    ((Fraction(6, 1), Fraction(8, 1)), (Fraction(3, 1), Fraction(4, 1)))
    """
    stride = stride or size
    rows, columns = len(image[0]), len(image[0][0])
    for axis, k, p in (("rows", size[0], padding[0]), ("columns", size[1], padding[1])):
        if p > k // 2:
            raise _fail(
                f"padding {p} of the {axis} is more than half the window ({k})",
                hint="PyTorch requires padding <= size / 2, so that no window is padding only",
            )
    if size[0] > rows + 2 * padding[0] or size[1] > columns + 2 * padding[1]:
        raise _fail(
            f"the window ({size[0]}x{size[1]}) is larger than the input ({rows}x{columns}"
            f"{', padded' if any(padding) else ''})",
            hint="use a smaller --size",
        )
    out_rows = _pool_length(rows, size[0], stride[0], padding[0], ceil_mode)
    out_columns = _pool_length(columns, size[1], stride[1], padding[1], ceil_mode)
    work = len(image) * out_rows * out_columns * size[0] * size[1]
    if work > MAX_WORK:
        raise _fail(
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
