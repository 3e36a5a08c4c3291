"""The one vocabulary of sizes, counts and dtypes: `25M`, `4 GFLOPs`, `100 MiB`, `float16`.

Dtypes (name -> bytes per element, NumPy type) are defined here once; the spec's `dtype`
field, the CLI's `--dtype` choices, the analysis and the numeric core all derive from
`DTYPES`. Sizes and counts (budgets, `--max-memory`, `--workspace`) go through one exact
parser, `parse_quantity`.

A budget is a number with an optional prefix and an optional unit word. The prefix scales
by powers of ten (k, M, G, T: 10^3 ... 10^12) or of two (Ki, Mi, Gi, Ti: 2^10 ... 2^40),
case-insensitive; the unit word must fit what is limited, so that `max_macs: 4 GFLOPs`
(FLOPs are about twice the MACs) is refused instead of silently admitting half the work.

The value is computed with fractions, never floats: `4.2e6` is 4,200,000 exactly and
`1.005k` is 1,005 (a float parser gives 1,004). A fractional result (`1.1 MiB` is
1,153,433.6 bytes) is rounded down, exactly: every quantity cnncalc reads is a maximum
(a budget, a memory limit, a workspace size), and counts and bytes are whole, so
`actual <= 1,153,433.6` holds exactly when `actual <= 1,153,433`.

>>> parse_quantity("25M", "params")
25000000
>>> parse_quantity("4 GFLOPs", "flops")
4000000000
>>> parse_quantity("100 MiB", "bytes")
104857600
>>> parse_quantity("4.2e6", "macs")
4200000
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from cnncalc.errors import SpecError


@dataclass(frozen=True)
class DtypeInfo:
    """One element type: its size and the NumPy type that holds it (None when NumPy has none)."""

    bytes: int
    numpy: str | None


#: every supported element type, in the order help texts list them
DTYPES: dict[str, DtypeInfo] = {
    "float64": DtypeInfo(8, "float64"),
    "float32": DtypeInfo(4, "float32"),
    "float16": DtypeInfo(2, "float16"),
    "bfloat16": DtypeInfo(2, None),
    "float8": DtypeInfo(1, None),
    "int64": DtypeInfo(8, "int64"),
    "int32": DtypeInfo(4, "int32"),
    "int16": DtypeInfo(2, "int16"),
    "int8": DtypeInfo(1, "int8"),
    "uint8": DtypeInfo(1, "uint8"),
}
DTYPE_NAMES: tuple[str, ...] = tuple(DTYPES)
#: bytes per element of each dtype
DTYPE_BYTES: dict[str, int] = {name: info.bytes for name, info in DTYPES.items()}


def dtype_bytes(name: str) -> int:
    """Bytes one element of `name` takes: `dtype_bytes("bfloat16")` is 2."""
    return DTYPES[name].bytes


Quantity = Literal["params", "macs", "flops", "bytes"]

#: largest limit accepted: far above any network, small enough to refuse absurd input at once
MAX_QUANTITY = 10**30

_PREFIXES: dict[str, int] = {
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "": 1,
}

#: unit words (lowercase) each kind of budget accepts after the prefix; "" is a bare number
UNIT_WORDS: dict[Quantity, tuple[str, ...]] = {
    "params": ("", "params", "param", "parameters", "parameter"),
    "macs": ("", "macs", "mac", "madds", "mult-adds", "multiply-adds"),
    "flops": ("", "flops", "flop"),
    "bytes": ("", "b", "byte", "bytes"),
}

_EXAMPLES: dict[Quantity, str] = {
    "params": "a parameter count such as 25M, 25000000 or 4.2e6",
    "macs": "a number of MACs such as 4G, 4 GMACs or 4.2e9",
    "flops": "a number of FLOPs such as 8G, 8 GFLOPs or 8.4e9",
    "bytes": "a size in bytes such as 100 MiB, 64MB, 512 KiB or 1048576",
}

_NUMBER = re.compile(
    r"""^\s*(?P<sign>[-+])?
    (?P<mantissa>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,30})?     # 25,000,000
       |[0-9][0-9_]{0,40}(?:\.[0-9]{0,30})?                     # 25000000, 25_000_000, 4.2
       |\.[0-9]{1,30})                                          # .5
    (?:[eE](?P<exponent>[+-]?[0-9]{1,2}))?
    \s*(?P<unit>[A-Za-z](?:[A-Za-z-]|\x20(?=[A-Za-z])){0,20})?\s*$""",  # 25M, 25 M params
    re.VERBOSE,
)


class UnitError(ValueError):
    """A budget value that is not a quantity of the right kind.

    The message reads after "expected", as the spec loader words its errors:
    `budgets.max_macs: expected a number of MACs such as 4G ... (...), got '4 GFLOPs'`.
    """


#: the budget keys of a spec (and options of `check`) a mismatched unit is pointed to
BUDGET_KEYS: dict[Quantity, str] = {"macs": "max_macs", "flops": "max_flops"}


def parse_quantity(value: object, kind: Quantity, instead: Mapping[Quantity, str] = BUDGET_KEYS) -> int:
    """An exact, non-negative int from an int, a float or a string with units.

    `instead` names, for each other kind of quantity, what the caller takes it as (a budget
    key, an option): a unit of another kind points there, and where the caller has nothing
    for that kind, says what to give instead.
    """
    if isinstance(value, bool):
        raise UnitError(_EXAMPLES[kind])
    if isinstance(value, int):
        exact = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise UnitError(f"{_EXAMPLES[kind]} (got a number that is not finite)")
        exact = Fraction(repr(value))  # the decimal the user wrote, not the binary float
    elif isinstance(value, str):
        exact = _parse_text(value, kind, instead)
    else:
        raise UnitError(_EXAMPLES[kind])
    if exact < 0:
        raise UnitError(f"{_EXAMPLES[kind]} (a limit cannot be negative)")
    if exact > MAX_QUANTITY:
        raise UnitError(f"{_EXAMPLES[kind]} (at most 1e30)")
    return math.floor(exact)


def _parse_text(text: str, kind: Quantity, instead: Mapping[Quantity, str]) -> Fraction:
    match = _NUMBER.match(text)
    if match is None:
        raise UnitError(_EXAMPLES[kind])
    mantissa = Fraction(match["mantissa"].replace(",", "").replace("_", ""))
    if match["sign"] == "-":
        mantissa = -mantissa
    exponent = int(match["exponent"] or 0)
    scale = _unit_scale(match["unit"] or "", kind, instead)
    return mantissa * Fraction(10) ** exponent * scale


def _unit_scale(unit: str, kind: Quantity, instead: Mapping[Quantity, str]) -> int:
    """The factor a unit stands for, e.g. 'GFLOPs' -> 10^9 for a FLOPs budget."""
    lowered = unit.lower().replace(" ", "")
    for prefix, factor in _PREFIXES.items():
        if lowered.startswith(prefix) and lowered[len(prefix) :] in UNIT_WORDS[kind]:
            return factor
    raise UnitError(f"{_EXAMPLES[kind]} ({_why_not(unit, kind, instead)})")


def _why_not(unit: str, kind: Quantity, instead: Mapping[Quantity, str]) -> str:
    """Say what the unit is when it belongs to another kind of budget, e.g. FLOPs for MACs."""
    lowered = unit.lower().replace(" ", "")
    if kind == "params" and lowered == "b":
        return "B means bytes; write 25G for 25 billion"
    for other, words in UNIT_WORDS.items():
        if other == kind:
            continue
        for prefix in _PREFIXES:
            word = lowered[len(prefix) :]
            if lowered.startswith(prefix) and word and word in words:
                fact = _MISMATCH.get((kind, other))
                if fact is None:
                    return f"'{unit}' measures {other}, not {kind}"
                if other in instead:
                    return f"{fact}; use {instead[other]} for a {_LABELS[other]} limit"
                return f"{fact}; give this budget in {_LABELS[kind]}"
    return f"unknown unit '{unit}'"


_MISMATCH: dict[tuple[Quantity, Quantity], str] = {
    ("macs", "flops"): "FLOPs are not MACs: 1 MAC = 2 FLOPs",
    ("flops", "macs"): "MACs are not FLOPs: 1 MAC = 2 FLOPs",
}
_LABELS: dict[Quantity, str] = {"params": "params", "macs": "MACs", "flops": "FLOPs", "bytes": "bytes"}


def parse_params(value: object) -> int:
    """A parameter count: `25M`, `25 M params`, `2.5e7`."""
    return parse_quantity(value, "params")


def parse_macs(value: object, instead: Mapping[Quantity, str] = BUDGET_KEYS) -> int:
    """Multiply-accumulates: `4G`, `4 GMACs`, `4.2e9` (`instead`: see parse_quantity)."""
    return parse_quantity(value, "macs", instead)


def parse_flops(value: object) -> int:
    """Floating-point operations: `8G`, `8 GFLOPs`."""
    return parse_quantity(value, "flops")


def parse_bytes(value: object) -> int:
    """Bytes: `100 MiB`, `64MB`, `512 KiB`; a bare number is bytes."""
    return parse_quantity(value, "bytes")


def parse_size(text: str, option: str) -> int:
    """A size in bytes given on the command line (`--max-memory 1.5G`, `--workspace 256MiB`).

    The same parser as budgets: K, M, G, T are powers of ten and Ki, Mi, Gi, Ti of two.

    >>> parse_size("1.5G", "--max-memory")
    1500000000
    >>> parse_size("1.005k", "--workspace")
    1005
    """
    try:
        value = parse_quantity(text, "bytes")
    except UnitError as e:
        raise SpecError.single(f"{option} {text!r}: expected {e}", hint=f"e.g. {option} 4G or {option} 2GiB") from None
    if value <= 0:
        raise SpecError.single(f"{option} {text!r}: must be more than 0 bytes", hint=f"e.g. {option} 4G")
    return value


def quantity_pattern(kind: Quantity) -> str:
    """A JSON Schema pattern (ECMA 262, which has no case-insensitive flag) for the strings
    `parse_quantity` accepts, so that editors flag `25Q` as the loader does.

    >>> import re
    >>> bool(re.match(quantity_pattern("flops"), "4 GFLOPs")), bool(re.match(quantity_pattern("flops"), "4 GB"))
    (True, False)
    """
    words = "|".join(_any_case(w) for w in UNIT_WORDS[kind] if w)
    return (
        r"^\s*\+?([0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?|[0-9][0-9_]*(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?"
        rf"\s*([kKmMgGtT][iI]?)?\s?({words})?\s*$"
    )


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)
