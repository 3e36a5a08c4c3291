"""The layout programs write, read a section at a time: the fast way into a generated spec.

A spec of thousands of layers is written by a program, and programs write one simple
layout: top-level `key: value` lines and lists of one-line `{key: value, ...}` items:

    name: chain10000
    input: [32, 32, 8]
    layers:
      - {kind: conv, filters: 8, kernel: 3, padding: same}
      - {kind: relu}

Reading that through the YAML parser's events costs a few microseconds a value. Here a
whole list is checked against the layout by one regular expression and its pairs are
picked out by another, so Python only builds the dicts. Positions, which only an error or
an annotation needs, are asked of the parser itself when first needed (SourceMap.complete).
Any other text, or anything doubtful in the layout (a comment, a quote, a nested block, a
repeated key, a trailing comma, a number over the limit), is left to the parser
(cnncalc.spec.yamlread), which also reports every error. tests/spec/test_yamllines.py checks
that both give the same data and types on every text read here, and that nothing the
parser refuses is read here.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any, NamedTuple

from cnncalc.spec.model import SourceMap
from cnncalc.spec.yamlread import MAX_VALUES, _Reader, _resolve, _TooLongError

#: a plain scalar of the layout: no quotes, spaces, flow or comment characters, nothing YAML could
#: read as an anchor, alias, tag or block indicator (a leading '-' must be followed by more)
_PLAIN = r"(?:[A-Za-z0-9_.+]|-(?=[A-Za-z0-9_.+]))[A-Za-z0-9_.+\-]*"
_LIST = rf"\[ *(?:{_PLAIN}(?: *, *{_PLAIN})* *)?\]"
_VALUE = rf"(?:{_PLAIN}|{_LIST})"
_PAIR = rf" *{_PLAIN}: +{_VALUE} *"


class _Patterns(NamedTuple):
    """The layout's regular expressions, compiled on first use: compiling them takes a few
    milliseconds, which a text that fails the character test below (a comment, a quote: every
    hand-written spec) never needs to pay."""

    #: a top-level `key: value` or `key:` line, after any blank lines
    key_line: re.Pattern[str]
    #: the lines under `key:`: one-line items (a flow mapping of plain pairs, or a value) and blank lines
    list_lines: re.Pattern[str]
    item: re.Pattern[str]
    pairs: re.Pattern[str]
    scalar: re.Pattern[str]


@cache
def _patterns() -> _Patterns:
    return _Patterns(
        re.compile(rf"(?: *\n)*+({_PLAIN}):(?: +({_VALUE}))? *\n"),
        re.compile(rf"(?: *- +(?:\{{(?:{_PAIR}(?:,{_PAIR})*+| *)\}}|{_VALUE}) *\n| *\n)*+"),
        re.compile(rf"^( *)- +(\{{[^\n]*\}}|{_VALUE}) *$", re.MULTILINE),
        re.compile(rf" *({_PLAIN}): +({_VALUE}) *"),
        re.compile(_PLAIN),
    )


#: the characters of the layout, deleted by str.translate: what is left of a text is what the layout
#: never holds (quotes, comments, anchors, tags, tabs, CR, anything not ASCII)
_LAYOUT_CHARACTERS = str.maketrans("", "", string.ascii_letters + string.digits + "_.+-:,[]{} \n")
#: a line indented but not a list item: a nested block, the parser's
_INDENTED = re.compile(r"\n +[^ \n-]")


class _NotLayoutError(Exception):
    """The text is not in the layout: the parser reads it."""


def read_lines(text: str, source: str) -> tuple[dict[str, Any], SourceMap] | None:
    """The data of a text in the layout, and a SourceMap that asks the parser for positions
    when first needed; None for any other text."""
    if text.translate(_LAYOUT_CHARACTERS) or _INDENTED.search("\n" + text):
        return None
    if text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return None  # a document marker
    try:
        data, count = _data(text if text.endswith("\n") else text + "\n")
    except _NotLayoutError:
        return None
    if not data or count > MAX_VALUES:
        return None
    smap = SourceMap(source)
    smap.complete = lambda: _positions(text, smap)
    return data, smap


def _data(text: str) -> tuple[dict[str, Any], int]:
    """The document and the number of values in it (as the parser counts them: containers too)."""
    patterns = _patterns()
    scalars = _Scalars()
    data: dict[str, Any] = {}
    count = 1
    pos = 0
    while (line := patterns.key_line.match(text, pos)) is not None:
        key, written = line.group(1), line.group(2)
        if key in data or key == "<<":
            raise _NotLayoutError  # a repeated key: the parser reports it
        pos = line.end()
        if written is not None:
            data[key], used = scalars.value(written)
            count += used
            continue
        lines = patterns.list_lines.match(text, pos)
        assert lines is not None  # it matches the empty string
        section = text[pos : lines.end()]
        pos = lines.end()
        items = patterns.item.findall(section)
        if not items or len({indent for indent, _ in items}) != 1:
            raise _NotLayoutError  # `key:` over nothing (null), or items at two indentations
        values = []
        for _, item in items:
            value, used = scalars.mapping(item) if item[0] == "{" else scalars.value(item)
            values.append(value)
            count += used
        data[key] = values
        count += 1
    if text[pos:].strip():
        raise _NotLayoutError  # a line out of the layout
    return data, count


class _Scalars:
    """Values from their text. A generated spec writes the same few scalars (`conv`, `3`,
    `same`) thousands of times; each is resolved once (they are immutable: str, int, float,
    bool, None)."""

    def __init__(self) -> None:
        self.known: dict[str, Any] = {}
        #: `{key: value, ...}` items of scalars, by their text: a fresh dict is made of the pairs
        self.pairs: dict[str, tuple[tuple[str, Any], ...]] = {}

    def scalar(self, written: str) -> Any:
        try:
            return self.known[written]
        except KeyError:
            pass
        try:
            value = self.known[written] = _resolve(written)
        except _TooLongError:
            raise _NotLayoutError from None
        return value

    def value(self, written: str) -> tuple[Any, int]:
        if written[0] != "[":
            return self.scalar(written), 1
        items = [self.scalar(found) for found in _patterns().scalar.findall(written)]
        return items, 1 + len(items)

    def mapping(self, written: str) -> tuple[dict[str, Any], int]:
        """A `{key: value, ...}` the section's expression has already checked."""
        known = self.pairs.get(written)
        if known is not None:
            return dict(known), 1 + len(known)
        pairs = _patterns().pairs.findall(written)
        mapping: dict[str, Any] = {}
        count = 1 + len(pairs)
        for key, written_value in pairs:
            if written_value[0] == "[":
                mapping[key], used = self.value(written_value)
                count += used - 1
            else:
                mapping[key] = self.scalar(written_value)
        if len(mapping) != len(pairs) or "<<" in mapping:
            raise _NotLayoutError  # a repeated key: the parser reports it
        if all(w[0] != "[" for _, w in pairs):  # scalars only: nothing mutable to share
            self.pairs[written] = tuple(mapping.items())
        return mapping, count


def _positions(text: str, smap: SourceMap) -> None:
    """Where every key and value was written, as the parser reads them."""
    reader = _Reader(smap.source, "spec", None)
    reader.run(text)
    smap.values.update(reader.map.values)
    smap.keys.update(reader.map.keys)


__all__ = ["read_lines"]
