"""A figure against the truth at the precision written: right, too coarse, or ambiguous.

A cell is right when the true value rounds (or is cut) to it at the precision written
(cnncalc.features.grade.cells), under the policy of `Precision`: enough significant figures,
and, under --strict, the exact number. A rounding a common mistake gives as well is
ambiguous (`hidden`), unless the decks themselves write that rounding for that value
(`LECTURE_ROUNDINGS`). cnncalc.features.grade.judging asks these questions of each cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from cnncalc.features.grade.cells import Precision, Reading, judge, judge_with, shown_work, significant_figures
from cnncalc.features.grade.mistakes import CATALOG
from cnncalc.features.grade.results import CellResult

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


def fits(reading: Reading, value: int) -> bool:
    """Whether a wrong answer is `value` as written: rounded or cut, a trailing zero a figure."""
    return judge(replace(reading, trailing_zeros=0), value) is not None


def right(precision: Precision, written: str, reading: Reading, expected: int) -> str | None:
    """How the reading agrees with `expected` under the precision policy, or None.

    A cell that shows its work ('56*56*256=800K', as the decks write) is judged by its work:
    when the work is exactly right, the rounded answer after it may be as coarse as the decks'.
    """
    if shown_work(written) == expected and not precision.strict:
        return judge(reading, expected)
    return judge_with(reading, expected, precision)


def figures(precision: Precision, reading: Reading, expected: int) -> Finding | None:
    """A rounded answer right but for the policy: too few figures, or any rounding under --strict."""
    bare = replace(reading, trailing_zeros=0)  # a trailing zero is a figure: "140M" is no 138M
    how = judge(bare, expected)
    if how is None or reading.exact:
        return None
    if precision.strict:
        return Finding(("too_few_figures",), problem=f"rounded ({how}); --strict asks for the exact number")
    n = significant_figures(reading)
    problem = f"{n} significant figure{'s' if n != 1 else ''} written, at least {precision.sig_figs} asked ({how})"
    return Finding(("too_few_figures",), problem=problem)


def hidden(
    precision: Precision,
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
    meant = [s for s in reading.scales if judge_with(replace(reading, scales=(s,)), expected, precision)]
    reading = replace(reading, scales=tuple(meant[:1]) or reading.scales)
    for mistakes, value in alternatives:
        if value == expected:
            continue
        if work == value:  # the work shown is the mistake's arithmetic
            return Finding(mistakes, detail=f"your work gives {value:,}")
        if lecture or float(f"{value:.3g}") == float(f"{expected:.3g}") or precision.sig_figs <= 1:
            continue
        how = judge_with(reading, value, precision)
        if how is not None and not how.startswith("truncated"):
            name = " and ".join(CATALOG[m].name for m in mistakes)
            return Finding(
                ("hides_mistake",), detail=f"'{reading.text}' is also {value:,}: {name}", ambiguous_with=value
            )
    return None


def rounded_right(
    precision: Precision, cell: CellResult, reading: Reading, expected: int, how: str, hidden: Finding | None
) -> CellResult:
    """A rounding right at its precision: right, ambiguous (right, flagged, with the figures
    that would tell), or wrong when its work is a mistake's or --strict counts ambiguity."""
    if hidden is None:
        return replace(cell, right=True, how=how)
    shown = replace(cell, expected=f"{expected:,}{in_unit(reading, expected)}")
    if hidden.ambiguous_with is None:
        return hidden.on(shown)
    hint = f"ambiguous: write one more digit ({one_more_digit(reading, expected, hidden.ambiguous_with)})"
    if precision.strict or precision.ambiguous == "wrong":
        return hidden.on(replace(shown, detail=f"{hidden.detail}; {hint}"))
    if precision.ambiguous == "right":  # the course's policy: the rounding is taken as meant
        return replace(cell, right=True, how=f"{how}; ambiguous ({hidden.detail}), counted right by the policy")
    return replace(shown, how=how, problem=hint, detail=hidden.detail, ambiguous=True)


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


__all__ = [
    "LECTURE_ROUNDINGS",
    "Finding",
    "figures",
    "fits",
    "hidden",
    "in_unit",
    "lecture_rounding",
    "one_more_digit",
    "right",
    "rounded_right",
]
