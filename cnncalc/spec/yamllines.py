"""The layout programs write, read line by line: the fast way into a generated spec.

A spec of thousands of layers is written by a program, and programs write one simple
layout: top-level `key: value` lines and a list of one-line `{key: value, ...}` layers:

    name: chain10000
    input: [32, 32, 8]
    layers:
      - {kind: conv, filters: 8, kernel: 3, padding: same}
      - {kind: relu}

Reading that through the YAML parser's events costs a few microseconds a value; here a
line costs a few regular-expression calls, and positions (which only an error needs) are
written down when first asked for. Any other text, or anything doubtful in this layout
(a comment, a quote, a nested block, a repeated key, a trailing comma, a number over the
limit), is left to the parser (cnncalc.spec.yamlread), which also reports every error.
tests/test_yamllines.py checks that both give the same data, types and positions on every
text read here, and that nothing the parser refuses is read here.
"""

from __future__ import annotations

import re
import string
from typing import Any, NamedTuple

from cnncalc.spec.model import Path, SourceMap
from cnncalc.spec.yamlread import MAX_VALUES, _resolve, _TooLongError

#: a plain scalar of the layout: no quotes, spaces, flow or comment characters, nothing YAML could
#: read as an anchor, alias, tag or block indicator (a leading '-' must be followed by more)
_PLAIN = r"(?:[A-Za-z0-9_.+]|-(?=[A-Za-z0-9_.+]))[A-Za-z0-9_.+\-]*"
_LIST = rf"\[ *(?:{_PLAIN}(?: *, *{_PLAIN})* *)?\]"
_VALUE = rf"(?:{_PLAIN}|{_LIST})"
_PAIR = rf" *({_PLAIN}): +({_VALUE}) *"
_TOP = re.compile(rf"({_PLAIN}):(?: +({_VALUE}))? *")
_ITEM = re.compile(rf"( *)- +(\{{.*\}}|{_VALUE}) *")
_PAIRS = re.compile(rf"{_PAIR}(?:,{_PAIR})*| *")
_PAIRS_ALL = re.compile(_PAIR)
_SCALAR = re.compile(_PLAIN)
#: the characters of the layout, deleted by str.translate: what is left of a text is what the layout
#: never holds (quotes, comments, anchors, tags, tabs, CR, anything not ASCII)
_LAYOUT_CHARACTERS = str.maketrans("", "", string.ascii_letters + string.digits + "_.+-:,[]{} \n")
#: a line indented but not a list item: a nested block, the parser's
_INDENTED = re.compile(r"\n +[^ \n-]")


class _At(NamedTuple):
    """A 0-based position, as the parser's marks give it (cnncalc.spec.model.Mark)."""

    line: int
    column: int


class _Item(NamedTuple):
    """One `- value` line of a list: where its dash and its value start."""

    line: int
    dash: int
    column: int
    written: str


class _Entry(NamedTuple):
    """A top-level key: its line, and its one-line value or the items of the list under it."""

    line: int
    key: str
    column: int
    value: str | list[_Item]


class _NotLayoutError(Exception):
    """The text is not in the layout: the parser reads it."""


def read_lines(text: str, source: str) -> tuple[dict[str, Any], SourceMap] | None:
    """The data of a text in the layout, and a SourceMap that finds positions when asked;
    None for any other text."""
    if text.translate(_LAYOUT_CHARACTERS) or _INDENTED.search("\n" + text):
        return None
    if text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return None  # a document marker
    try:
        entries = _entries(text.split("\n"))
        data, count = _data(entries)
    except _NotLayoutError:
        return None
    if count > MAX_VALUES:
        return None
    smap = SourceMap(source)
    smap.complete = lambda: _positions(entries, smap)
    return data, smap


def _entries(lines: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    seen: set[str] = set()
    n, i = len(lines), 0
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        top = _TOP.fullmatch(line)
        if top is None:
            raise _NotLayoutError
        key, written = top.group(1), top.group(2)
        if key in seen or key == "<<":
            raise _NotLayoutError
        seen.add(key)
        i += 1
        if written is not None:
            entries.append(_Entry(i - 1, key, top.start(2), written))
            continue
        items: list[_Item] = []
        start = i - 1
        while i < n:
            line = lines[i]
            if line.strip():
                item = _ITEM.fullmatch(line)
                if item is None:
                    break
                if items and item.end(1) != items[0].dash:
                    raise _NotLayoutError  # items at two indentations
                items.append(_Item(i, item.end(1), item.start(2), item.group(2)))
            i += 1
        if not items:
            raise _NotLayoutError  # `key:` with nothing under it is null: the parser says so
        entries.append(_Entry(start, key, -1, items))
    if not entries:
        raise _NotLayoutError
    return entries


def _data(entries: list[_Entry]) -> tuple[dict[str, Any], int]:
    """The document and the number of values in it (as the parser counts them: containers too)."""
    scalars = _Scalars()
    data: dict[str, Any] = {}
    count = 1
    for entry in entries:
        if isinstance(entry.value, str):
            data[entry.key], used = scalars.value(entry.value)
            count += used
            continue
        items = []
        for item in entry.value:
            value, used = scalars.mapping(item.written) if item.written[0] == "{" else scalars.value(item.written)
            items.append(value)
            count += used
        data[entry.key] = items
        count += 1
    return data, count


class _Scalars:
    """Values from their text. A generated spec writes the same few scalars (`conv`, `3`,
    `same`) thousands of times; each is resolved once (they are immutable: str, int, float,
    bool, None)."""

    def __init__(self) -> None:
        self.known: dict[str, Any] = {}

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
        items = [self.scalar(found) for found in _SCALAR.findall(written)]
        return items, 1 + len(items)

    def mapping(self, written: str) -> tuple[dict[str, Any], int]:
        inner = written[1:-1]
        if _PAIRS.fullmatch(inner) is None:
            raise _NotLayoutError
        pairs = _PAIRS_ALL.findall(inner)
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
        return mapping, count


def _positions(entries: list[_Entry], smap: SourceMap) -> None:
    """Where every key and value was written, as the parser's marks would say."""
    values, keys = smap.values, smap.keys
    values[()] = _At(entries[0].line, 0)
    for entry in entries:
        keys[(entry.key,)] = _At(entry.line, 0)
        if isinstance(entry.value, str):
            _value_at(entry.value, (entry.key,), _At(entry.line, entry.column), values)
            continue
        values[(entry.key,)] = _At(entry.value[0].line, entry.value[0].dash)
        for index, item in enumerate(entry.value):
            path = (entry.key, index)
            if item.written[0] == "{":
                _mapping_at(item.written, path, _At(item.line, item.column), values, keys)
            else:
                _value_at(item.written, path, _At(item.line, item.column), values)


def _value_at(written: str, path: Path, at: _At, values: dict[Path, Any]) -> None:
    values[path] = at
    if written[0] == "[":
        for k, found in enumerate(_SCALAR.finditer(written)):
            values[(*path, k)] = _At(at.line, at.column + found.start())


def _mapping_at(written: str, path: Path, at: _At, values: dict[Path, Any], keys: dict[Path, Any]) -> None:
    values[path] = at
    for pair in _PAIRS_ALL.finditer(written, 1, len(written) - 1):
        key = (*path, pair.group(1))
        keys[key] = _At(at.line, at.column + pair.start(1))
        _value_at(pair.group(2), key, _At(at.line, at.column + pair.start(2)), values)


__all__ = ["read_lines"]
