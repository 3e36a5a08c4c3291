"""The matrix text of `cnncalc conv` / `cnncalc pool`: its types, limits and errors, and its parser.

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
import re
from dataclasses import dataclass
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

# a decimal as groups (digits before the point, after it, exponent); no nested repetition, ASCII digits only
_DECIMAL = r"(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d{1,2}))?"
_VALUE = re.compile(rf"([+-]?)(?=\.?\d){_DECIMAL}(?:/(?=\.?\d){_DECIMAL})?", re.ASCII)
_COMMENT = re.compile(r"#[^\n]*")
_SEPARATORS = str.maketrans(",;|", "   ")
_TOO_LONG = re.compile(rf"(?<![^\s,;|#])[^\s,;|#]{{{MAX_VALUE_CHARS + 1}}}")
BIG_HINT = "worked examples are small; use `cnncalc verify` for whole networks"
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # minus signs pasted from slides and PDFs
_TEXT_HINT = "write rows as '3 0 1; 1 5 8' (values by spaces or commas, rows by ';', channels by '|')"


class WorkedError(CnncalcError):
    """A matrix, kernel or option of `cnncalc conv` / `cnncalc pool` that cannot be used (exit 2)."""


def fail(message: str, location: Location | None = None, hint: str | None = None) -> WorkedError:
    return WorkedError([Diagnostic(message, location, hint)])


def _location(text: str, source: str, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(source, line, column)


def shape(grid: Grid) -> str:
    """'rows x columns' of a grid, as messages name it (also those of the computations)."""
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
        raise fail(f"the matrix text is longer than {MAX_TEXT_CHARS:,} characters", Location(source, 1, 1), BIG_HINT)
    lines = text.split("\n")
    if max(map(len, lines)) > MAX_LINE_CHARS:
        number = next(i for i, line in enumerate(lines, start=1) if len(line) > MAX_LINE_CHARS)
        raise fail(
            f"line {number} is longer than {MAX_LINE_CHARS:,} characters",
            Location(source, number, MAX_LINE_CHARS + 1),
            "write one row per line in a file and give it as @PATH; " + BIG_HINT,
        )
    code = _COMMENT.sub("", text) if "#" in text else text
    words = code.translate(_SEPARATORS).split()
    if len(words) > MAX_VALUES:
        raise fail(f"{len(words):,} values: more than {MAX_VALUES:,}", Location(source, 1, 1), BIG_HINT)
    if words and max(map(len, words)) > MAX_VALUE_CHARS:
        at = 0
        while (match := _TOO_LONG.search(text, at)) is not None:
            line_start = text.rfind("\n", 0, match.start()) + 1
            if text.find("#", line_start, match.start()) < 0:  # not a word of a comment
                raise fail(
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
            raise fail(
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
        raise fail("a row of only commas", _location(text, source, start + segment.index(",")), _TEXT_HINT)
    gaps = [segment[: tokens[0].start()]]
    gaps += [segment[a.end() : b.start()] for a, b in pairwise(tokens)]
    gaps += [segment[tokens[-1].end() :]]
    for index, gap in enumerate(gaps):
        commas = gap.count(",")
        leading, trailing = index == 0, index == len(gaps) - 1
        if commas > (0 if leading or trailing else 1):
            comma = start + (tokens[index - 1].end() if index else 0) + gap.rindex(",")
            raise fail(
                "empty value (two commas in a row, or a comma at a row's end)",
                _location(text, source, comma),
                _TEXT_HINT,
            )


def _check_channel(rows: list[_Row], index: int, text: str, source: str) -> Grid:
    width = len(rows[0].values)
    for number, row in enumerate(rows[1:], start=2):
        if len(row.values) != width:
            where = f" of channel {index}" if index > 1 else ""
            raise fail(
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
                    raise fail("empty channel before '|'", _location(text, source, end), _TEXT_HINT)
                pipe_at, closed_by_blank = end, False
            start = end + 1
    if rows:
        channels.append((rows, rows[0].offset))
    elif pipe_at is not None:
        raise fail("empty channel after '|'", _location(text, source, pipe_at), _TEXT_HINT)
    if not channels:
        raise fail("no values", Location(source, 1, 1), _TEXT_HINT)
    grids = [_check_channel(channel_rows, i, text, source) for i, (channel_rows, _) in enumerate(channels, start=1)]
    for i, (grid, (_, first)) in enumerate(zip(grids, channels, strict=True), start=1):
        if len(grid) != len(grids[0]) or len(grid[0]) != len(grids[0][0]):
            raise fail(
                f"channel {i} is {shape(grid)} but channel 1 is {shape(grids[0])}",
                _location(text, source, first),
                "all channels of a matrix have the same shape",
            )
    count = len(grids) * len(grids[0]) * len(grids[0][0])
    if count > MAX_VALUES:
        raise fail(
            f"{count:,} values: more than {MAX_VALUES:,}",
            Location(source, 1, 1),
            BIG_HINT,
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
    raise fail(f"{option} {text!r}: expected {least}, or two of them as 'rows,columns'", hint=f"e.g. {option} 2")


def parse_scalar(text: str, option: str) -> Fraction:
    """A value given on the command line (a bias), exact like the matrix values."""
    value = parse_value(text.strip())
    if value is None:
        raise fail(f"{option} {text!r}: not a number", hint="numbers like 1, -0.5 or 1/9")
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
