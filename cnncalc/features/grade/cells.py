"""Reading a cell of an answer sheet as people write it, and judging it at its precision.

A number may be written in full ("6272", "6,272"), as arithmetic ("28x28x8",
"[(11x11x3)+1]x96 = 35 K": the part after the last "=" is the answer), rounded with a
prefix or a word ("6.3K", "35K", "3.2M", "138 million", "93MB"), or in scientific
notation ("1.5e6"). A number written in full must be exact. A rounded one is right when
the true value rounds to it at the precision written: "6.3K" means 6,300 to the nearest
100. K may be 1,000 or 1,024 (the GoogLeNet table's K is 1,024): both are tried and the
judgement says which. Figures cut instead of rounded (the AlexNet table's "884K" for
884,736) are accepted as truncated, and said so; trailing zeros ("800K" for 802,816)
may be read as not significant, and said so.

>>> judge(read_number("6.3K"), 6272)
'rounded to the nearest 0.1 K (K = 1,000)'
>>> judge(read_number("884K"), 884736)
'truncated to 884 K (K = 1,000): 884,736 was cut, not rounded'
>>> judge(read_number("159K"), 163696)
'truncated to 159 K (K = 1,024): 163,696 was cut, not rounded'
>>> judge(read_number("6,272"), 6272)
'exact'
>>> judge(read_number("6,300"), 6272) is None
True
>>> read_shape("28 \u00d7 28 \u00d7 8")
(28, 28, 8)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from cnncalc.core.algebra import ExprError, evaluate

MAX_CELL = 300  # characters: a cell is a number or a short formula

Scale = tuple[str, int]


@dataclass(frozen=True)
class Reading:
    """A number read from a cell: mantissa x scale, with the precision the writer gave it."""

    text: str  # the answer as written (after the last "=")
    mantissa: Fraction
    decimals: int  # digits written after the decimal point
    trailing_zeros: int  # zeros ending a mantissa written without a point: "800K" has 2
    scales: tuple[Scale, ...]  # what the prefix may mean, most likely first
    exact: bool  # written in full (no prefix, no exponent): must be equal
    unit: str  # the prefix or word as written: "K", "million", "MB", ""
    is_bytes: bool  # a byte unit was written (B, kB, MiB, ...)

    @property
    def value(self) -> Fraction:
        """The number under the first (most likely) meaning of its prefix."""
        return self.mantissa * self.scales[0][1]


_SI = {"k": 1, "m": 2, "g": 3, "t": 4}
_WORDS = {
    "thousand": 1,
    "thousands": 1,
    "thou": 1,
    "million": 2,
    "millions": 2,
    "mil": 2,
    "mio": 2,
    "mn": 2,
    "billion": 3,
    "billions": 3,
    "bn": 3,
    "trillion": 4,
}
_POWER_NAMES = {1: "K", 2: "M", 3: "G", 4: "T"}


#: what K, M, G mean in a count: 1,000 and its powers, 1,024 and its powers, or either (K only)
Kilo = Literal["either", "1000", "1024"]
#: what kB, MB, GB mean in memory: 10^3, 10^6, 10^9 bytes (MB), 2^10, 2^20, 2^30 (MiB), or either
Megabyte = Literal["either", "MB", "MiB"]
KILO: tuple[Kilo, ...] = ("either", "1000", "1024")
MEGABYTE: tuple[Megabyte, ...] = ("either", "MB", "MiB")


@dataclass(frozen=True)
class Prefixes:
    """The meanings a course gives its prefixes (an assignment's `conventions: k, mb`).

    either (the default) accepts both readings and says which one was assumed: K as 1,000 or
    1,024 in a count (M and G as powers of 1,000: nobody means 2^20 by "M" in a count of
    neurons), kB/MB/GB as powers of 1,000 or 1,024 in memory (MB is often MiB). A course that
    fixes one meaning ("1024": the GoogLeNet table's K; "MB": 10^6 bytes) has the other refused.
    Ki, KiB, MiB ... are always binary.
    """

    kilo: Kilo = "either"
    megabyte: Megabyte = "either"


_PREFIXES: ContextVar[Prefixes | None] = ContextVar("prefixes", default=None)


@contextmanager
def prefix_convention(prefixes: Prefixes) -> Iterator[None]:
    """Read numbers with a course's meanings of K, M, G and kB, MB, GB (see Prefixes)."""
    token = _PREFIXES.set(prefixes)
    try:
        yield
    finally:
        _PREFIXES.reset(token)


def _prefix_scales(letter: str, binary_only: bool, suffix: str = "") -> tuple[Scale, ...]:
    """What a prefix may mean, under the course's Prefixes (by default: counts use binary only
    for K, the GoogLeNet table's K = 1,024; kB, MB, GB may be either)."""
    power = _SI[letter.lower()]
    name = _POWER_NAMES[power] + suffix
    binary: Scale = (f"{name} = {1024**power:,}" if power == 1 else f"{name} = 2^{10 * power}", 1024**power)
    if binary_only:
        return (binary,)
    decimal: Scale = (f"{name} = {1000**power:,}" if power == 1 else f"{name} = 10^{3 * power}", 1000**power)
    prefixes = _PREFIXES.get() or Prefixes()
    meaning = prefixes.megabyte if suffix else prefixes.kilo
    if meaning in ("1000", "MB"):
        return (decimal,)
    if meaning in ("1024", "MiB"):
        return (binary,)
    return (decimal, binary) if power == 1 or suffix else (decimal,)


def binary_scale(reading: Reading) -> int | None:
    """The binary meaning of a decimal byte unit the course refused (`mb: MB`): 2^20 for "MB"."""
    unit = reading.unit.strip().lower()
    if not reading.is_bytes or len(unit) != 2 or unit[0] not in _SI or unit[1] != "b":
        return None
    return int(1024 ** _SI[unit[0]])


#: words for amounts that are not a power of 1,000 away, or that only some languages use:
#: German Tsd., Mio., Mrd., Millionen; Indian English lakh (10^5) and crore (10^7)
_OTHER_WORDS = {
    "tsd": 10**3,
    "tausend": 10**3,
    "millionen": 10**6,
    "mrd": 10**9,
    "milliarde": 10**9,
    "milliarden": 10**9,
    "lakh": 10**5,
    "lakhs": 10**5,
    "lac": 10**5,
    "crore": 10**7,
    "crores": 10**7,
}


def _unit_scales(unit: str, memory: bool) -> tuple[tuple[Scale, ...], bool] | None:
    """(scales, is_bytes) of a unit as written, or None when it is no unit."""
    u = unit.strip().rstrip(".")
    low = u.lower()
    if not u:
        return (("", 1),), False
    if low in _OTHER_WORDS:
        return ((f"{low} = {_OTHER_WORDS[low]:,}", _OTHER_WORDS[low]),), False
    if low in _WORDS:
        power = _WORDS[low]
        return ((f"{low} = 10^{3 * power}" if power > 1 else f"{low} = 1,000", 1000**power),), False
    if low in ("b", "byte", "bytes") and (memory or low != "b"):
        return (("bytes", 1),), True
    if low == "b":  # "1.5B" params: a billion
        return (("B = 10^9", 10**9),), False
    if len(low) == 1 and low in _SI:
        return _prefix_scales(low, False), False
    if len(low) == 2 and low[0] in _SI and low[1] == "i":
        return _prefix_scales(low[0], True), False
    if len(low) == 2 and low[0] in _SI and low[1] == "b":  # kB, MB, GB
        return _prefix_scales(low[0], False, "B"), True
    if len(low) == 3 and low[0] in _SI and low[1:] == "ib":  # KiB, MiB
        return _prefix_scales(low[0], True, "iB"), True
    return None


_LATEX = [
    (re.compile(r"\\(?:text|mathrm|mathbf|textbf)\s*\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\(?:times|cdot)"), "*"),
    (re.compile(r"\\approx"), "="),
    (re.compile(r"\\[,;:! ]"), " "),
    (re.compile(r"\\left|\\right"), ""),
]


def clean(text: str) -> str:
    """A cell without LaTeX, markup and fancy symbols: what a person meant to write."""
    t = text.strip()
    for pattern, repl in _LATEX:
        t = pattern.sub(repl, t)
    for old, new in (("$", ""), ("**", ""), ("`", ""), ("≈", "="), ("\u00d7", "*"), ("·", "*"), ("\u2212", "-")):
        t = t.replace(old, new)
    t = t.replace("{", "").replace("}", "").replace("\u00a0", " ").replace("\u202f", " ")
    return t.strip()


_NUMBER = re.compile(
    r"^(?P<num>[+-]?(?:\d[\d,.'_ ]*\d|\d|[.,]\d+))\s*(?:e(?P<exp>[+-]?\d{1,3})(?![a-z]))?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ARITHMETIC = re.compile(r"^[\d\s+*/().\[\]xX-]+$")
# "~35K", "about 60 M", "Only 10,000!": words before the number are not part of it
_APPROX = re.compile(r"^(?:~\s*|[a-z]+\.?\s+)", re.IGNORECASE)


def answer_part(text: str) -> str:
    """The answer of a cell that shows its work: the part after the last '='."""
    t = clean(text)
    return t.rsplit("=", 1)[1].strip() if "=" in t else t


def read_number(text: str, memory: bool = False) -> Reading | None:
    """A number as written in a cell, or None when it is not one.

    memory: the cell is a memory figure, where a trailing B means bytes (elsewhere: a billion).
    """
    if len(text) > MAX_CELL:
        return None
    t = answer_part(text)
    for _ in range(3):
        t = _APPROX.sub("", t, count=1)
    if not t:
        return None
    if _ARITHMETIC.match(t) and re.search(r"\d\s*[-+*/xX]\s*[\d(\[]|[)\]]\s*[*xX]", t):
        return _read_arithmetic(t)
    m = _NUMBER.match(t)
    if not m:
        return None
    rest = m.group("rest").strip()
    # an English prefix or exponent ("3.698M", "1.275e5", "1.605 million") writes a decimal point:
    # German writes "Mio.", "Mrd.", and there "3.698 Mio." stays unread unless the sheet says
    english = m.group("exp") is not None or bool(
        re.match(r"(?i)(?:[kmgt](?:i?b)?|thousand|million|billion|bn|mn)\b", rest)
    )
    mantissa, decimals, zeros = _mantissa(m.group("num"), english)
    if mantissa is None:
        return None
    if m.group("exp") is not None:
        exp = int(m.group("exp"))
        if re.search(r"\d", rest):
            return None
        scale = 10**exp if exp >= 0 else 1
        return Reading(t, mantissa, decimals, zeros, (("", scale),), exp <= 0, f"x10^{exp}", False)
    unit_match = re.match(r"^[A-Za-z]+\.?", rest)
    unit = unit_match.group(0) if unit_match else ""
    tail = rest[len(unit) :]
    found = _unit_scales(unit, memory)
    if found is None:  # "6272 values", "120 neurons": a word, not a unit
        found, tail, unit = ((("", 1),), False), rest, ""
    if re.search(r"\d", tail):
        return None
    scales, is_bytes = found
    exact = scales[0][1] == 1
    return Reading(t, mantissa, decimals, zeros, scales, exact, unit, is_bytes)


def _read_arithmetic(t: str) -> Reading | None:
    expr = re.sub(r"(?<=[\d)\]])\s*[xX]\s*(?=[\d(\[])", "*", t).replace("[", "(").replace("]", ")")
    try:
        value = evaluate(expr)
    except ExprError:
        return None
    return Reading(t, value, 0, 0, (("", 1),), True, "", False)


#: the sheet's decimal separator when the sheet makes it certain: True a comma (a semicolon CSV,
#: "508.032" beside "1.792.000" or "6,3"), False a point, None not known (grading sets it per sheet)
_DECIMAL_COMMA: ContextVar[bool | None] = ContextVar("decimal_comma", default=None)


#: whether the sheet groups digits the Indian way (1,38,357: three, then twos), as it makes certain
_INDIAN: ContextVar[bool] = ContextVar("indian_grouping", default=False)


@contextmanager
def decimal_convention(comma: bool | None, indian: bool = False) -> Iterator[None]:
    """Read the numbers of one sheet with its decimal separator (see sheet_convention) and,
    when it makes it certain, its Indian digit grouping (see indian_grouping)."""
    token = _DECIMAL_COMMA.set(comma)
    grouping = _INDIAN.set(indian)
    try:
        yield
    finally:
        _INDIAN.reset(grouping)
        _DECIMAL_COMMA.reset(token)


# 1,38,357 or 36,86,528: groups of two before the last three digits (a lakh is 1,00,000)
_INDIAN_NUMBER = re.compile(r"(?<![\d.,])\d{1,2}(?:,\d{2})+,\d{3}(?![\d,]|\.\d{3})")
_INDIAN_WORDS = re.compile(r"\b(?:lakhs?|lacs?|crores?)\b", re.IGNORECASE)
_WESTERN_GROUPS = re.compile(r"\d,\d{3},\d{3}(?!\d)")


def indian_grouping(cells: Iterable[str]) -> bool:
    """Whether a sheet's numbers are grouped the Indian way, with certainty: some number is
    written 1,38,357 (or the sheet counts in lakh or crore), and none in groups of three
    (1,234,567), nor with a decimal comma. A sheet that writes both is not read either way."""
    indian = western = False
    for text in cells:
        t = clean(text)
        indian = indian or bool(_INDIAN_NUMBER.search(t) or _INDIAN_WORDS.search(t))
        western = western or bool(_WESTERN_GROUPS.search(t))
    return indian and not western and _DECIMAL_COMMA.get() is not True


# a number only one convention writes: 1.234.567, 1.234,5, 6,3 (a comma then 1, 2 or 4+ digits), Mio.
_COMMA_SIGNS = re.compile(
    r"\d\.\d{3}\.\d{3}(?!\d)|\d\.\d{3},\d|(?<![\d.,])\d+,(?:\d{1,2}|\d{4,})(?![\d.,])"
    r"|\b(?:mio|mrd|tsd|millionen|milliarden?|tausend)\b",
    re.IGNORECASE,
)
# 1,234,567, 1,234.5, 6.3 (a point then 1, 2 or 4+ digits)
_POINT_SIGNS = re.compile(r"\d,\d{3},\d{3}(?!\d)|\d,\d{3}\.\d|(?<![\d.,])\d+\.(?:\d{1,2}|\d{4,})(?![\d.,])")


def sheet_convention(cells: Iterable[str], semicolons: bool = False) -> bool | None:
    """Whether a sheet's numbers use a decimal comma (True), a decimal point (False), or the sheet
    does not say (None: both seen, or neither). A semicolon-separated CSV writes decimal commas."""
    comma, point = semicolons, False
    for text in cells:
        t = clean(text)
        comma = comma or bool(_COMMA_SIGNS.search(t))
        point = point or bool(_POINT_SIGNS.search(t))
    if comma == point:
        return None
    return comma


def unread_reason(text: str) -> str:
    """Why a cell could not be read as a number, for the verdict: "could not read '1.792' ..."."""
    t = answer_part(text)
    indian = _INDIAN_NUMBER.search(t)
    if indian and not _INDIAN.get():
        return (
            f"could not read {text!r}: '{indian.group(0)}' groups its digits the Indian way (1,38,357), "
            "and this sheet also writes groups of three (1,234,567) or decimal commas; "
            "write the number without separators"
        )
    m = re.search(r"\d{1,3}\.\d{3}(?![\d.,])", t)
    if m and not re.search(r"[\d.,]\d{1,3}\.\d{3}", t) and _DECIMAL_COMMA.get() is None:
        whole, frac = m.group(0).split(".")
        return (
            f"could not read {text!r}: '{m.group(0)}' is {whole},{frac} or {whole}.{frac}, and nothing else "
            "in this sheet says whether its point is a decimal point; write the number without it"
        )
    return f"could not read {text!r} as a number"


def _mantissa(raw: str, english: bool = False) -> tuple[Fraction | None, int, int]:
    """(value, digits after the point, trailing zeros) of '6,272', '6.3', '6,3', '1 000'.

    One separator before exactly three digits is read by the sheet's convention: "1.792" is
    1,792 in a sheet of decimal commas, 1.792 in one of decimal points, and not read at all
    when the sheet does not say; "6,272" is 6,272 unless the sheet writes decimal commas.
    """
    comma_decimal = _DECIMAL_COMMA.get()
    if comma_decimal is None and english:
        comma_decimal = False
    # 6 272, 6'272, 6_272: groups of three digits only
    if re.search(r"[ '_]", raw) and not re.fullmatch(r"[+-]?\d{1,3}(?:[ '_]\d{3})+(?:[.,]\d+)?", raw):
        return None, 0, 0
    s = re.sub(r"[ '_]", "", raw)
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    if "," in s and "." in s:
        point = "." if s.rfind(".") > s.rfind(",") else ","
        group = "," if point == "." else "."
        if not re.fullmatch(rf"\d{{1,3}}(?:\{group}\d{{3}})*\{point}\d+", s):
            return None, 0, 0
        s = s.replace(group, "").replace(point, ".")
    elif "," in s and re.fullmatch(r"\d{1,2}(?:,\d{2})+,\d{3}", s):
        if not _INDIAN.get():  # 1,38,357 in a sheet that does not group its digits so: never guessed
            return None, 0, 0
        s = s.replace(",", "")
    elif "," in s:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) and comma_decimal is True:
            if s.count(",") > 1:
                return None, 0, 0
            s = s.replace(",", ".")  # "1,792 Mio." in a sheet of decimal commas
        elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
            s = s.replace(",", "")
        elif s.count(",") == 1:
            s = s.replace(",", ".")  # a decimal comma: 6,3K
        else:
            return None, 0, 0
    elif s.count(".") > 1:
        if not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):
            return None, 0, 0
        s = s.replace(".", "")
    elif re.fullmatch(r"\d{1,3}\.\d{3}", s) and comma_decimal is not False:
        if comma_decimal is None:  # 1.792: a thousand and more, or not two? never guessed
            return None, 0, 0
        s = s.replace(".", "")  # "508.032" in a sheet of decimal commas
    if not re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", s):
        return None, 0, 0
    whole, _, frac = s.partition(".")
    zeros = len(whole) - len(whole.rstrip("0")) if not frac and whole.strip("0") else 0
    return sign * Fraction(s if not s.endswith(".") else s[:-1]), len(frac), zeros


def judge(reading: Reading, true: int) -> str | None:
    """How `reading` agrees with the true value ('exact', 'rounded ...', 'truncated ...'), or None.

    Rounding at the written precision is tried first (each meaning of the prefix), then
    rounding with trailing zeros read as not significant ("800K"), then truncation at the
    written precision. Trailing zeros are never combined with truncation: "840K" is not
    848K cut to the tens.
    """
    if reading.mantissa == true and reading.exact:
        return "exact"
    if reading.exact:
        return None
    step = Fraction(1, 10**reading.decimals)
    for label, scale in reading.scales:
        if abs(true - reading.mantissa * scale) * 2 <= step * scale:
            return f"rounded to the nearest {_amount(step)} {reading.unit}".rstrip() + _label(label)
    for zeros in range(1, reading.trailing_zeros + 1):
        coarse = step * 10**zeros
        for label, scale in reading.scales:
            if abs(true - reading.mantissa * scale) * 2 <= coarse * scale:
                unit = f" {reading.unit}" if reading.unit else ""
                return (
                    f"rounded to the nearest {_amount(coarse)}{unit}{_label(label)}, "
                    f"its trailing zero{'s' if zeros > 1 else ''} read as not significant"
                )
    for label, scale in reading.scales:
        low = reading.mantissa * scale
        if low <= true < low + step * scale:
            shown = f"{reading.text}" if not reading.unit else f"{_amount(reading.mantissa)} {reading.unit}"
            return f"truncated to {shown}{_label(label)}: {true:,} was cut, not rounded"
    return None


Ambiguous = Literal["flag", "right", "wrong"]
AMBIGUOUS: tuple[Ambiguous, ...] = ("flag", "right", "wrong")


@dataclass(frozen=True)
class Precision:
    """How precise a rounded answer must be (the grading policy, `--sig-figs`, `--strict`).

    A number written in full must be exact. A rounded one ("3.2M", "25K", "48.1K") is right
    when the true value rounds (or is cut) to it at the precision written and it keeps at
    least `sig_figs` significant figures; a trailing zero counts as a figure ("140M" claims
    140 M to the nearest million). strict: only exact integers are right (an ambiguous
    rounding is then wrong whatever `ambiguous` says).
    """

    sig_figs: int = 2
    strict: bool = False
    #: a rounding a known mistake gives as well ("48K" for 48,120 and 48,000): flag it (neither
    #: right nor wrong: no points, out of the points possible), or count it right, or wrong
    ambiguous: Ambiguous = "flag"


def significant_figures(reading: Reading) -> int:
    """The figures written: '3.2M' 2, '4M' 1, '140M' 3, '0.63 M' 2, '48.1K' 3."""
    digits = str(round(abs(reading.mantissa) * 10**reading.decimals)).lstrip("0")
    return max(len(digits), 1)


def judge_with(reading: Reading, true: int, precision: Precision) -> str | None:
    """`judge` under a precision policy: too few figures, or any rounding under --strict, is wrong."""
    if reading.exact:
        return judge(reading, true)
    if precision.strict or significant_figures(reading) < precision.sig_figs:
        return None
    bare = Reading(
        reading.text, reading.mantissa, reading.decimals, 0, reading.scales, False, reading.unit, reading.is_bytes
    )
    return judge(bare, true)  # trailing zeros are figures: "140M" is not 138M


def shown_work(text: str) -> Fraction | None:
    """The value of the work a cell shows before its answer: '56*56*256=800K' -> 802,816."""
    t = clean(text)
    if "=" not in t or len(text) > MAX_CELL:
        return None
    left = t.split("=", 1)[0].strip()
    reading = read_number(left)
    return reading.value if reading is not None and reading.exact else None


def _label(label: str) -> str:
    return f" ({label})" if label else ""


def _amount(value: Fraction) -> str:
    """1/10 -> '0.1', 10 -> '10'."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.10f}".rstrip("0").rstrip(".")


# --- shapes -------------------------------------------------------------------------------

_SHAPE_SEPARATORS = re.compile(r"\s*(?:[xX*,;]|by)\s*|\s+")


def read_shape(text: str) -> tuple[int, ...] | None:
    """'(28, 28, 8)', '28x28x8', '28 \u00d7 28 \u00d7 8', '[55x55x96]', '120' -> a tuple; None otherwise."""
    if len(text) > MAX_CELL:
        return None
    t = clean(text)
    candidates = [t.split("=", 1)[0], t.rsplit("=", 1)[1]] if "=" in t else [t]
    for candidate in candidates:
        inner = candidate.strip().strip("[](){}").strip()
        parts = [p for p in _SHAPE_SEPARATORS.split(inner) if p]
        if 1 <= len(parts) <= 5 and all(p.isdigit() and len(p) <= 9 for p in parts):
            return tuple(int(p) for p in parts)
    return None


def squeeze(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Without size-1 axes: (120, 1), 1x1x1000 and (120,) say the same."""
    return tuple(n for n in shape if n != 1)


def judge_shape(written: tuple[int, ...], true: tuple[int, ...], other_layout: tuple[int, ...]) -> str | None:
    """'exact', a note on how it was read, or None when the shapes differ.

    `true` is in the layout of the spec; `other_layout` the same shape with the channels
    on the other side, which a student may use as well.
    """
    if written == true:
        return "exact"
    if squeeze(written) == squeeze(true):
        return "size-1 axes ignored"
    if len(true) > 1 and squeeze(written) == squeeze(other_layout):
        return "read with the channels on the other side"
    return None


def show_shape(shape: tuple[int, ...]) -> str:
    """(28, 28, 8) -> '(28, 28, 8)'; (120,) -> '(120)'."""
    return "(" + ", ".join(str(n) for n in shape) + ")"
