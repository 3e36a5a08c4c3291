"""The terminal table: plain text measured by hand, fitted to a width, never cutting a number.

No markup, no escape codes: a cell is printed exactly as written (after `escape.terminal`,
which only makes control characters visible), so `net[v2]` stays `net[v2]` and a pipe
or a file receives plain text. Work is linear in the number of cells.

Fitting to a width, in this order, until the table fits:
1. wrap text columns at spaces (never a numeric column, never inside a word);
2. leave out optional columns, the highest priority first, and say so in a note;
3. print one block per row instead (a vertical layout), which fits any width from 60 up.
Without a width (output to a pipe or a file) the table has its natural width.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from itertools import repeat
from typing import TextIO

from cnncalc.render.columns import Cell, Column, Grid
from cnncalc.render.escape import terminal

RULE = "\u2500"
CONTINUATION = "\u21b3"
GAP = 3  # spaces between two columns
EDGE = 2  # spaces before the first column (and after the last)
WORD_FLOOR = 12  # a text column is never narrower than this, unless all it holds is narrower
COMFORTABLE_TEXT = 20  # a text column narrower than this is left to wrap only when nothing else helps


def _output_encoding() -> str:
    """The encoding of the stream tables are printed to (sys.stdout)."""
    return getattr(sys.stdout, "encoding", None) or "utf-8"


def rule_character() -> str:
    """The line under a table's header: a box-drawing rule, or '-' where the output's
    encoding (PYTHONIOENCODING=ascii, a Latin-1 terminal) cannot write one."""
    try:
        RULE.encode(_output_encoding())
    except (UnicodeEncodeError, LookupError):
        return "-"
    return RULE


def shown_text(text: str) -> str:
    """A text cell as the terminal shows it: control characters made visible (escape.terminal),
    and, where the output's encoding lacks a character, that character as the backslash escape
    the stream would write (`\\u4e2d`), so that the column is measured as it is printed."""
    line = terminal(text)
    if line.isascii():
        return line
    encoding = _output_encoding()
    try:
        return line.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return line


def text_width(text: str) -> int:
    """Columns a string takes in a terminal: wide East Asian characters count two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def terminal_width(stream: TextIO | None = None) -> int | None:
    """The width to fit: COLUMNS when set, the terminal's when writing to one, else None (natural).

    Output to a pipe or a file is never narrowed, so nothing is ever cut or left out there.
    """
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _pad(text: str, width: int, align: str) -> str:
    space = " " * (width - text_width(text))
    return space + text if align == "right" else text + space


def _wrap(text: str, width: int) -> list[str]:
    """Words of `text` in lines of at most `width` (a longer word gets a line of its own)."""
    if text_width(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in _pieces(text, width):
        if not line:
            line = word
        elif text_width(line) + 1 + text_width(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def wrap_paragraph(text: str, width: int | None) -> list[str]:
    """A line of prose (a footer, a note, a warning) in lines of at most `width` columns, the
    lines after the first indented by two spaces; whole where no width is set (a pipe or a
    file) or where it fits."""
    if width is None or text_width(text) <= width:
        return [text]
    if width < 20:  # no room to indent
        return _wrap(text, width)
    head = _wrap(text, width)[0]
    words = text.split(" ")
    taken = len(head.split(" "))
    if " ".join(words[:taken]) != head:  # the first word itself was split: no indentation
        return _wrap(text, width)
    return [head, *("  " + line for line in _wrap(" ".join(words[taken:]), width - 2))]


def continuation_mark() -> str:
    """What starts the rest of a word split across lines (`layer3.1.` then `↳downsample.0`),
    so that it cannot be read as a row of its own; '+' where the output's encoding lacks '↳'."""
    try:
        CONTINUATION.encode(_output_encoding())
    except (UnicodeEncodeError, LookupError):
        return "+"
    return CONTINUATION


def _pieces(text: str, width: int) -> list[str]:
    """The words of a text cell; a word wider than the column is split into pieces that fit,
    after a '.', '_' or '-' where one is near the end, each piece after the first marked."""
    pieces: list[str] = []
    mark = ""
    for word in text.split(" "):
        prefix = ""
        while text_width(prefix + word) > width:
            room = width - text_width(prefix)
            if room < 2:  # too narrow for a mark and a character
                prefix, room = "", width
            cut = _break(word, room)
            pieces.append(prefix + word[:cut])
            word = word[cut:]
            mark = mark or continuation_mark()
            prefix = mark
        pieces.append(prefix + word)
    return pieces


def _break(word: str, room: int) -> int:
    """Where to split `word` to fit `room` columns: after the last '.', '_' or '-' that fits
    (leaving at least half the room filled), else where the room ends."""
    cut = room
    while cut > 1 and text_width(word[:cut]) > room:
        cut -= 1
    for at in range(cut, max(1, room // 2) - 1, -1):
        if word[at - 1] in "._-" and at < len(word):
            return at
    return max(cut, 1)


def _longest_word(text: str) -> int:
    return max((text_width(w) for w in text.split(" ")), default=0)


_THOUSANDS = "{:,}".format


def _column_text(cells: Sequence[Cell]) -> list[str]:
    """A column's cells as the terminal shows them: numbers with thousands separators (digits
    and commas, nothing to escape), text with its control characters made visible.

    Each distinct cell is written once and the column filled by a lookup in C: a long table
    repeats its shapes, sizes, shares and counts row after row.
    """
    if set(map(type, cells)) <= {int, str}:  # no bool or float, which would equal an int
        shown = {cell: _shown(cell) for cell in set(cells)}
        return list(map(shown.__getitem__, cells))
    return [_shown(cell) for cell in cells]


def _shown(cell: Cell) -> str:
    return _THOUSANDS(cell) if type(cell) is int else shown_text(cell if type(cell) is str else str(cell))


def _column_widths(texts: Sequence[str]) -> list[int]:
    if "".join(texts).isascii():
        return list(map(len, texts))
    return [len(t) if t.isascii() else text_width(t) for t in texts]


def _narrowest(column: Column, header: str, texts: Sequence[str], widths: Sequence[int]) -> int:
    """A numeric column is as narrow as its widest number; a text column as its longest word,
    or WORD_FLOOR when a word is longer still (a long name then wraps inside itself)."""
    least = _longest_word(header)
    widest = max(widths, default=0)
    if widest <= least:
        return least
    if column.numeric:
        return widest
    joined = " ".join(texts)
    longest = max(map(len, joined.split(" "))) if joined.isascii() else _longest_word(joined)
    return min(WORD_FLOOR, max(least, longest))


class _Prepared:
    """The escaped text of every cell, measured once, kept by column."""

    def __init__(self, grid: Grid) -> None:
        self.columns = list(grid.columns)
        self.headers = [shown_text(c.header) for c in self.columns]
        self.count = len(grid.rows)
        self.has_footer = grid.footer is not None
        body = [*grid.rows, *([grid.footer] if grid.footer is not None else [])]
        #: per column: the cells' text and width, rows first, then the footer's
        self.natural = _column_widths(self.headers)
        self.texts: list[list[str]] = []
        self.widths: list[list[int]] = []
        for column in zip(*body, strict=True):
            texts = _column_text(column)
            self.texts.append(texts)
            self.widths.append(_column_widths(texts))
        if not body:
            self.texts, self.widths = [[] for _ in self.columns], [[] for _ in self.columns]
        for i, column_widths in enumerate(self.widths):
            self.natural[i] = max(self.natural[i], max(column_widths, default=0))
        self._minimum: list[int] | None = None

    @property
    def minimum(self) -> list[int]:
        """The narrowest each column can be: needed only to fit a table narrower than its natural width."""
        if self._minimum is None:
            self._minimum = [
                _narrowest(*column) for column in zip(self.columns, self.headers, self.texts, self.widths, strict=True)
            ]
        return self._minimum

    @property
    def rows(self) -> list[list[str]]:
        return [list(row) for row in zip(*(column[: self.count] for column in self.texts), strict=True)]

    @property
    def row_widths(self) -> list[list[int]]:
        return [list(row) for row in zip(*(column[: self.count] for column in self.widths), strict=True)]

    @property
    def footer(self) -> list[str] | None:
        return [column[self.count] for column in self.texts] if self.has_footer else None

    @property
    def footer_widths(self) -> list[int] | None:
        return [column[self.count] for column in self.widths] if self.has_footer else None


def _table_width(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1) + 2 * EDGE


def _fit(prepared: _Prepared, width: int | None) -> tuple[list[int], list[int]] | None:
    """(indexes of the columns shown, their widths), or None when only a vertical layout fits."""
    n = len(prepared.columns)
    keep = list(range(n))
    if width is None or _table_width(prepared.natural) <= width:
        return keep, list(prepared.natural)
    optional = sorted(
        (i for i in range(n) if prepared.columns[i].priority > 0),
        key=lambda i: (-prepared.columns[i].priority, -i),
    )
    comfortable = [
        mini if column.numeric else min(nat, max(mini, COMFORTABLE_TEXT))
        for column, mini, nat in zip(prepared.columns, prepared.minimum, prepared.natural, strict=True)
    ]
    # leave out optional columns until the rest fit with readable text columns; if only
    # the bare minimum fits once nothing optional is left, squeeze; else go vertical
    while _table_width([comfortable[i] for i in keep]) > width and optional:
        keep.remove(optional.pop(0))
    if _table_width([prepared.minimum[i] for i in keep]) > width:
        return None
    widths = [comfortable[i] for i in keep]
    if _table_width(widths) > width:
        widths = [prepared.minimum[i] for i in keep]
    spare = width - _table_width(widths)
    # text columns grow first (fewer wrapped lines), then numeric headers get one line
    for numbers_first in (False, True):
        for k, i in enumerate(keep):
            if prepared.columns[i].numeric != numbers_first or spare <= 0:
                continue
            grow = min(spare, prepared.natural[i] - widths[k])
            widths[k] += grow
            spare -= grow
    return keep, widths


def _block(
    cells: Sequence[str],
    cell_widths: Sequence[int],
    keep: Sequence[int],
    widths: Sequence[int],
    columns: Sequence[Column],
) -> list[str]:
    """One table row as lines: wrapped text cells, the rest on the first line."""
    if all(cell_widths[i] <= w for i, w in zip(keep, widths, strict=True)):
        return [_line(cells, cell_widths, keep, widths, columns)]
    wrapped = [_wrap(cells[i], w) for i, w in zip(keep, widths, strict=True)]
    height = max(len(w) for w in wrapped)
    lines = []
    for line in range(height):
        parts = [
            _pad(w[line] if line < len(w) else "", width, columns[i].align)
            for w, width, i in zip(wrapped, widths, keep, strict=True)
        ]
        lines.append((" " * EDGE + (" " * GAP).join(parts)).rstrip())
    return lines


def _line(
    cells: Sequence[str],
    cell_widths: Sequence[int],
    keep: Sequence[int],
    widths: Sequence[int],
    columns: Sequence[Column],
) -> str:
    """A row whose cells all fit their columns, on one line (padding counts terminal columns)."""
    parts = [
        cells[i].rjust(w + len(cells[i]) - cell_widths[i])
        if columns[i].align == "right"
        else cells[i].ljust(w + len(cells[i]) - cell_widths[i])
        for i, w in zip(keep, widths, strict=True)
    ]
    return (" " * EDGE + (" " * GAP).join(parts)).rstrip()


def _lines(prepared: _Prepared, keep: Sequence[int], widths: Sequence[int]) -> list[str]:
    """The rows, when every cell fits its column, a line each: padded column by column."""
    padded = []
    for i, w in zip(keep, widths, strict=True):
        texts, sizes = prepared.texts[i][: prepared.count], prepared.widths[i][: prepared.count]
        pad = str.rjust if prepared.columns[i].align == "right" else str.ljust
        if list(map(len, texts)) == sizes:  # one character, one terminal column
            padded.append(list(map(pad, texts, repeat(w))))
        else:
            padded.append([pad(t, w + len(t) - size) for t, size in zip(texts, sizes, strict=True)])
    edge, gap = " " * EDGE, " " * GAP
    return list(map(str.rstrip, map(edge.__add__, map(gap.join, zip(*padded, strict=True)))))


def render_grid(grid: Grid, width: int | None = None) -> list[str]:
    """The table as lines of plain text, fitted to `width` columns (None: natural width)."""
    prepared = _Prepared(grid)
    title = shown_text(grid.title)
    lines = [*(_wrap(title, width) if width else [title]), ""] if grid.title else []
    fitted = _fit(prepared, width)
    if fitted is None:
        return lines + _vertical(prepared, width or 60)
    keep, widths = fitted
    columns = prepared.columns
    lines += _block(prepared.headers, [text_width(h) for h in prepared.headers], keep, widths, columns)
    lines.append(" " + rule_character() * (_table_width(widths) - 2))
    if all(prepared.natural[i] <= w for i, w in zip(keep, widths, strict=True)):
        # nothing to wrap anywhere (always so at natural width): a line a row
        lines += _lines(prepared, keep, widths)
    else:
        for row, row_widths in zip(prepared.rows, prepared.row_widths, strict=True):
            lines += _block(row, row_widths, keep, widths, columns)
    if prepared.footer is not None and prepared.footer_widths is not None:
        lines.append("")
        lines += _block(prepared.footer, prepared.footer_widths, keep, widths, columns)
    lines.append("")
    left_out = list(dict.fromkeys(columns[i].note_name for i in range(len(columns)) if i not in keep))
    if left_out:
        natural = _table_width(prepared.natural)
        note = (
            f"note: {', '.join(left_out)} left out to fit {width} columns "
            f"(all of them need {natural}: set COLUMNS={natural}, or use --format csv or json)"
        )
        lines += wrap_paragraph(note, width)
    return lines


def _vertical(prepared: _Prepared, width: int) -> list[str]:
    """One block per row: `header: value` lines, every column, values wrapped at spaces."""
    label = max(text_width(h) for h in prepared.headers) if prepared.headers else 0
    room = max(20, width - label - 4)
    lines: list[str] = []
    body = [*prepared.rows, *([prepared.footer] if prepared.footer is not None else [])]
    for row in body:
        for column, header, cell in zip(prepared.columns, prepared.headers, row, strict=True):
            if not cell:
                continue
            parts = [cell] if column.numeric else _wrap(cell, room)
            lines.append(f"  {_pad(header, label, 'right')}: {parts[0]}".rstrip())
            lines += [" " * (label + 4) + part for part in parts[1:]]
        lines.append("")
    return lines


__all__ = ["render_grid", "terminal_width", "text_width"]
