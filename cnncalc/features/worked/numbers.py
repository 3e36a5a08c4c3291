"""Exact numbers as the worked examples print them: exact text, and the rounding a student asks for."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from cnncalc.features.worked.matrix import Grid

ROOT_DIGITS = 30  # decimals kept of an irrational L2-pooling value; a longer decimal prints as a fraction
_DEFAULT_DIGITS = 4  # decimals shown when no --round is given and a value does not terminate sooner


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
    if den != 1 or digits > ROOT_DIGITS:
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
