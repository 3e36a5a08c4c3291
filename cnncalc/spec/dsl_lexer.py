"""The DSL string read as located pieces, and the bounds that keep hostile input cheap.

The lowest layer of the one-line DSL (`cnncalc.spec.dsl`): it splits the string into its
`|`-separated items and an item into whitespace-separated tokens, each with its offset, reads
numbers (a bounded count of ASCII digits, a float never infinite), and turns an offset into
the line and column every error carries. Every limit on a DSL string is written here, in one
place, so that docs/limits.md can name each; the parser (`dsl_parser`) knows the grammar.
"""

from __future__ import annotations

import difflib
import re
import string
from bisect import bisect_left
from dataclasses import dataclass
from typing import NoReturn

from cnncalc.errors import Location, SpecError
from cnncalc.spec.model import Spec

MAX_DSL_CHARS = 100_000
MAX_REPEAT = 10_000
MAX_DIGITS = 9
MAX_EXPONENT_DIGITS = 2  # 1e99 at most: never an infinite float
MAX_INPUT_DIMS = 4  # InputSpec's limit: 3 spatial axes and channels


def _spec_layer_limit() -> int:
    """Spec.layers' own limit, checked while expanding repeats so memory stays bounded."""
    for meta in Spec.model_fields["layers"].metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return 100_000


MAX_LAYERS = _spec_layer_limit()
#: enough to fix a string in one go without flooding the terminal
MAX_DIAGNOSTICS = 20

EXAMPLE = "224x224x3 | 2x conv3-64 | maxpool | fc-10 | softmax"

DIMS = r"[0-9]+(?:x[0-9]+)*"
FLOAT = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?"

_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """ASCII lower case: keeps every character where it was, so columns stay right."""
    return text.translate(_FOLD)


def show(text: str, limit: int = 40) -> str:
    """User text quoted in a message: bounded, and printable on any terminal."""
    short = text if len(text) <= limit else text[: limit - 3] + "..."
    return short.encode("utf-8", "backslashreplace").decode("utf-8")


def nearest(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The nearest known spelling, for a did-you-mean."""
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass(frozen=True)
class Span:
    """A piece of the DSL string and the offset where it starts."""

    text: str
    start: int


class Lexer:
    """One DSL string's pieces, located; offsets are 0-based, Locations 1-based (line, column)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def loc(self, offset: int) -> Location:
        """Line and column of an offset; a string pasted from a file may span lines."""
        line = bisect_left(self.newlines, offset)  # newlines before offset
        start = self.newlines[line - 1] + 1 if line else 0
        return Location(self.source, line + 1, offset - start + 1)

    def fail(self, message: str, offset: int, hint: str | None = None) -> NoReturn:
        """Stop this item with a located error; the parser gathers one per item."""
        raise SpecError.single(message, self.loc(offset), hint)

    def _items(self) -> list[Span]:
        """The `|`-separated items, each stripped, refusing empty ones."""
        if not self.text.strip():
            self.fail("empty DSL string", 0, hint=f"e.g. {EXAMPLE}")
        parts: list[Span] = []
        offset = 0
        for piece in self.text.split("|"):
            parts.append(Span(piece, offset))
            offset += len(piece) + 1
        items: list[Span] = []
        for j, part in enumerate(parts):
            found = re.search(r"\S(?:.*\S)?", part.text, re.DOTALL)
            if found is None:
                if j == 0:
                    self.fail(
                        "missing input shape before the first '|'",
                        part.start + len(part.text),
                        hint=f"the first item is the input shape, e.g. {EXAMPLE}",
                    )
                if j == len(parts) - 1:
                    self.fail(
                        "nothing after the last '|'", part.start - 1, hint="remove the '|' or add a layer after it"
                    )
                self.fail(
                    "empty item between two '|'", part.start - 1, hint="remove one '|' or put a layer between them"
                )
            items.append(Span(found.group(), part.start + found.start()))
        if len(items) == 1:
            self.fail(
                "no layers after the input shape",
                items[0].start + len(items[0].text),
                hint=f"add layers separated by '|', e.g. {EXAMPLE}",
            )
        return items

    def _pieces(self, text: str, start: int, name: str) -> list[Span]:
        """Split a per-axis value on `x` or `,`, keeping each piece's offset for its own column."""
        pieces: list[Span] = []
        offset = start
        for piece in re.split("[x,]", text):
            if not piece:
                self.fail(
                    f"malformed {name} '{show(text)}': expected a number, or one per axis such as 2x1",
                    start,
                )
            pieces.append(Span(piece, offset))
            offset += len(piece) + 1
        return pieces

    def _int(self, text: str, offset: int) -> int:
        """A whole number of at most MAX_DIGITS ASCII digits (`int('²')` would raise)."""
        if not re.fullmatch("[0-9]+", text):
            self.fail(f"expected a whole number, got '{show(text)}'", offset)
        if len(text) > MAX_DIGITS:
            self.fail(f"number '{show(text, 20)}' has more than {MAX_DIGITS} digits", offset)
        return int(text)

    def _float(self, text: str, offset: int) -> float:
        """A decimal such as 0.5 or 1e-5, bounded so that it is never inf or absurdly long."""
        if not re.fullmatch(FLOAT, text):
            self.fail(f"expected a number such as 0.5 or 1e-5, got '{show(text)}'", offset)
        mantissa, _, exponent = text.partition("e")
        if sum(ch.isdigit() for ch in mantissa) > MAX_DIGITS or len(exponent.lstrip("+-")) > MAX_EXPONENT_DIGITS:
            self.fail(
                f"number '{show(text, 20)}' is too long: at most {MAX_DIGITS} digits "
                f"and a {MAX_EXPONENT_DIGITS}-digit exponent",
                offset,
            )
        return float(text)

    @staticmethod
    def _tokens(text: str, start: int) -> list[Span]:
        """Whitespace-separated words with their offsets in the whole string."""
        return [Span(m.group(), start + m.start()) for m in re.finditer(r"\S+", text)]


__all__ = [
    "DIMS",
    "EXAMPLE",
    "FLOAT",
    "MAX_DIAGNOSTICS",
    "MAX_DIGITS",
    "MAX_DSL_CHARS",
    "MAX_EXPONENT_DIGITS",
    "MAX_INPUT_DIMS",
    "MAX_LAYERS",
    "MAX_REPEAT",
    "Lexer",
    "Span",
    "fold",
    "nearest",
    "show",
]
