"""Numbers for people: thousands separators, unit prefixes, shapes and shares.

Exact figures keep every digit (138,357,544); prefixed forms (61.0 MB) are always
printed beside or instead of a figure nobody checks digit by digit.
"""

from __future__ import annotations

from cnncalc.core.conventions import Units
from cnncalc.core.receptive import ReceptiveField
from cnncalc.core.report import LayerRow
from cnncalc.layers.base import Shape

_SI = ["", "K", "M", "G", "T", "P", "E", "Z", "Y"]
_BINARY = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]


def format_count(n: int) -> str:
    """138357544 -> '138,357,544'.

    >>> format_count(138357544)
    '138,357,544'
    """
    return f"{n:,}"


def format_si(n: int, units: Units = "si", suffix: str = "") -> str:
    """A prefixed, rounded form: 15470264320 -> '15.47 G' (or '14.41 Gi' in binary).

    >>> format_si(60950432, suffix="B")
    '60.95 MB'
    >>> format_si(60950432, "binary", "B")
    '58.13 MiB'
    >>> format_si(608)
    '608'

    A value that rounds up to the next prefix takes it: 999,999,890,259,561,600 MACs are
    '1.00 E', never '1000.00 P'.

    >>> format_si(999_999_890_259_561_600)
    '1.00 E'
    >>> format_si(999_994)
    '999.99 K'
    >>> format_si(3 * 10**21, suffix="B")
    '3.00 ZB'
    """
    base, prefixes = (1000, _SI) if units == "si" else (1024, _BINARY)
    value = float(n)
    step = 0
    while step < len(prefixes) - 1 and (abs(value) >= base or (step > 0 and round(abs(value), 2) >= base)):
        value /= base
        step += 1
    if step == 0:
        return f"{n} {suffix}".rstrip() if suffix else str(n)
    return f"{value:.2f} {prefixes[step]}{suffix}"


def format_bytes(n: int, units: Units = "si") -> str:
    return format_si(n, units, "B")


def format_shape(shape: Shape) -> str:
    """(28, 28, 8) -> '28x28x8'; a flat (120,) -> '120'."""
    return "x".join(str(d) for d in shape)


def format_share(part: int, total: int) -> str:
    """Percentage of a total with one decimal, or '' when there is nothing to share."""
    return f"{100 * part / total:.1f}%" if total and part else ""


def format_field(field: ReceptiveField | None) -> str:
    """Receptive field size: '7' when square, '7x11' otherwise, '' when there is none."""
    return format_size(field.size) if field is not None else ""


def format_size(size: Shape) -> str:
    """A receptive field's size per axis: '7' when square, '7x11' otherwise, '' for none."""
    if not size:
        return ""
    return str(size[0]) if len(set(size)) == 1 else format_shape(size)


def format_kind(row: LayerRow, previous: LayerRow | None) -> str:
    """Kind and hyper-parameters, plus where the inputs come from when not the row above."""
    text = f"{row.kind} {row.summary}".strip()
    if row.inputs and (previous is None or row.inputs != (previous.name,)):
        text += f" <- {', '.join(row.inputs)}"
    if row.shared_with:
        text += f" (weights of {row.shared_with})"
    return text
