"""The one YAML reader: specs, answer sheets and budget files, with positions and limits.

PyYAML's parser (libyaml's when available) turns the text into events; this module builds
plain data from them in one pass, without a node tree, and records where every key and
value was written. It reads scalars by the YAML 1.2 core schema, not PyYAML's YAML 1.1:

- `010` is 10 (1.1 reads 8), `0o10` is 8, `0x10` is 16;
- `1:30` is the string '1:30' (1.1 reads 90), `yes`, `no`, `on`, `off` and `1_000` are strings;
- `true`/`false`, `null`/`~`/empty, decimal and exponent floats, `.inf`, `.nan` as in 1.2.

Every bound is checked while reading, before the work it limits: the text's size, the
number of values after aliases are expanded (an alias counts the values it stands for,
so a billion-laughs file is refused after a few thousand events), the nesting depth,
and the digits of a number.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from cnncalc.errors import CnncalcError, Location, SpecError
from cnncalc.spec.model import Path, SourceMap

MAX_TEXT = 4 * 1024 * 1024  # characters; far above any real spec, sheet or budget file
MAX_VALUES = 400_000  # after alias expansion: 20 per layer of a 20,000-layer spec (the most it may have)
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40  # a number longer than this is refused (budgets stop at 10^30)

_PARSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NUMBER_START = frozenset("0123456789+-.")


def read_yaml(text: str, source: str, what: str = "spec", empty_hint: str | None = None) -> tuple[Any, SourceMap]:
    """YAML text -> plain data (dicts, lists, str, int, float, bool, None) and where each
    value was written. SpecError, located, for anything invalid or over a limit."""
    if len(text) > MAX_TEXT:
        raise SpecError.single(
            f"{source}: {what} text is {len(text):,} characters; the limit is {MAX_TEXT:,}", Location(source, 1, 1)
        )
    _check_aliases(text, source, what)
    reader = _Reader(source, what, empty_hint)
    try:
        data = reader.run(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source, 1, 1)
        plain = _layout_error(text, source, mark.line if mark else 0, mark.column if mark else 0)
        if plain is not None:
            raise plain from None
        raise SpecError.single(f"invalid YAML: {e.problem or e.context}", where) from None
    except yaml.YAMLError as e:
        raise SpecError.single(f"invalid YAML: {e}", Location(source, 1, 1)) from None
    return data, reader.map


#: a line's indentation, list dashes included (`  -\tkind: relu`)
_INDENT = re.compile(r"[ \t]*(?:-[ \t]+)*")
#: how far to look for the line that broke the layout: the parser stops at most a few lines later
_LAYOUT_LINES = 10_000


def _layout_error(text: str, source: str, error_line: int, error_column: int) -> CnncalcError | None:
    """The mistake of layout behind a parser's error, said plainly: a tab in the indentation, a
    line indented less than the key above it, or deeper under a key that already has a value.
    None where the lines up to the error (0-based `error_line`) show none of them."""
    if error_line >= _LAYOUT_LINES:
        return None  # a long document: the parser's own words, without reading it all again
    lines = text.split("\n", error_line + 1)[: error_line + 1]
    for number, line in enumerate(lines):
        indent = _INDENT.match(line)
        at = indent.group().find("\t") if indent else -1
        if at < 0 and number == error_line and line[error_column : error_column + 1] == "\t":
            at = error_column  # where the parser stopped: a tab that cannot start anything
        if at >= 0:
            return SpecError.single(
                f"invalid YAML: YAML does not allow tabs: line {number + 1}",
                Location(source, number + 1, at + 1),
                hint="indent with spaces (two per level, as the examples do)",
            )
    columns: set[int] = {0}  # where keys and list items start on the lines read so far
    above: tuple[int, int, str] | None = None  # the last key line: (number, column, its value)
    depth = 0  # open [ and { : inside them, lines may start anywhere
    for number, line in enumerate(lines):
        body = line.split(" #", 1)[0].rstrip()
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        column = len(body) - len(body.lstrip(" "))
        starts = [column]
        rest = body[column:]
        while rest.startswith("- "):  # `- - a` and `- key: v`: each item's content starts further right
            column += 2 + len(rest[2:]) - len(rest[2:].lstrip(" "))
            rest = body[column:]
            starts.append(column)
        key, colon, value = rest.partition(":")
        is_key = bool(colon and key) and not key.startswith(("{", "[", "'", '"'))
        if depth == 0 and above is not None:
            first = starts[0]
            if first < above[1] and first not in columns:
                return SpecError.single(
                    f"invalid YAML: line {number + 1} is indented less than the key above it",
                    Location(source, number + 1, first + 1),
                    hint=f"keys of one mapping start in one column: line {above[0] + 1} starts at column "
                    f"{above[1] + 1}, this one at {first + 1}; align it with its neighbours",
                )
            if is_key and first > above[1] and above[2] and above[2][0] not in "|>&!":
                return SpecError.single(
                    f"invalid YAML: line {number + 1} is indented deeper than the key above it, "
                    f"which already has a value ({above[2]})",
                    Location(source, number + 1, first + 1),
                    hint=f"start it in column {above[1] + 1}, as line {above[0] + 1}",
                )
        if depth == 0:
            columns.update(starts)
            above = (number, column, value.strip()) if is_key else None
        depth = max(0, depth + sum(body.count(o) for o in "[{") - sum(body.count(c) for c in "]}"))
    return None


#: a YAML alias as it is written: `*name` where a value starts (after a space, `[`, `{`, `,`, `:` or
#: at the start of a line); an asterisk inside text, as in `${n * 2}`, is not one
_ALIAS = re.compile(r"(?<![^\s\[{,:])\*[^\s\]},]")


def _check_aliases(text: str, source: str, what: str) -> None:
    """Refuse more alias references than values may be read, before parsing a byte.

    Each reference yields at least one value, so such a text is over MAX_VALUES for certain;
    counting them costs a scan, while parsing them first would cost seconds and megabytes.
    """
    count = sum(1 for _ in _ALIAS.finditer(text))
    if count > MAX_VALUES:
        raise SpecError.single(
            f"the {what} holds {count:,} YAML aliases, more than the {MAX_VALUES:,} values a {what} may expand to",
            Location(source, 1, 1),
            hint="write the values out, or use blocks and `repeat:` for repeated layers",
        )


def scalar_value(text: str, tag: str | None, plain: bool, where: Location, what: str = "spec") -> Any:
    """One scalar by the YAML 1.2 core schema; `tag` is an explicit tag, if any."""
    if tag is None or tag == "!":
        return _resolve_at(text, where) if plain and tag is None else text
    if not tag.startswith(_TAG) or tag[len(_TAG) :] not in ("str", "int", "float", "bool", "null"):
        shown = tag.replace(_TAG, "!!")
        raise SpecError.single(f"YAML tag '{shown}' is not allowed in a {what}", where, hint="remove the tag")
    kind = tag[len(_TAG) :]
    if kind == "str":
        return text
    value = _resolve_at(text, where)
    wanted = {"int": int, "float": float, "bool": bool, "null": type(None)}[kind]
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, wanted) or (kind == "int" and isinstance(value, bool)):
        raise SpecError.single(f"'{_clip(text)}' is not a YAML {kind}", where)
    return value


def _resolve_at(text: str, where: Location) -> Any:
    try:
        return _resolve(text)
    except _TooLongError as e:
        raise _located(e, where) from None


class _TooLongError(ValueError):
    """A number longer than MAX_NUMBER_CHARS; the caller adds where it was written."""


def _located(error: _TooLongError, where: Location) -> CnncalcError:
    return SpecError.single(
        str(error), where, hint="quote it if it is text, or write a smaller number (1e30 is the largest budget)"
    )


def _resolve(text: str) -> Any:
    if text.isdigit() and text.isascii() and len(text) <= MAX_NUMBER_CHARS:
        return int(text)  # the most common scalar by far: `010` is 10 in YAML 1.2, as int() reads it
    if not text or text[0] not in _NUMBER_START:
        if text in _NULL:
            return None
        return _BOOL.get(text, text)
    if _INT.fullmatch(text):
        return _whole(text, 10)
    if _OCT.fullmatch(text):
        return _whole(text[2:], 8)
    if _HEX.fullmatch(text):
        return _whole(text[2:], 16)
    if _FLOAT.fullmatch(text):
        _check_length(text)
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text[0] == "-" else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


def _whole(digits: str, base: int) -> int:
    _check_length(digits)
    return int(digits, base)


def _check_length(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise _TooLongError(f"a number of {len(text):,} characters; at most {MAX_NUMBER_CHARS} are read")


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Builds data from parser events with an explicit stack (no recursion, bounded depth)."""

    def __init__(self, source: str, what: str, empty_hint: str | None) -> None:
        self.source = source
        self.what = what
        self.empty_hint = empty_hint
        self.map = SourceMap(source)
        self.count = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.documents = 0

    def loc(self, event: Any) -> Location:
        mark = event.start_mark
        return Location(self.source, mark.line + 1, mark.column + 1)

    def run(self, text: str) -> Any:
        # a frame: [container, path, pending key (mappings only), is a mapping, anchor, count at start];
        # positions are kept as the parser's marks and made Locations only when asked for
        stack: list[list[Any]] = []
        values: dict[Path, Any] = self.map.values
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        parser: Any = _PARSER(text)
        try:
            root = self.walk(parser.get_event, stack, values, scalar, alias)
        finally:
            parser.dispose()
        if not self.documents or not self.map.values:
            raise SpecError.single(f"the {self.what} is empty", Location(self.source, 1, 1), hint=self.empty_hint)
        return root

    def walk(self, get: Any, stack: list[list[Any]], values: dict[Path, Any], scalar: Any, alias: Any) -> Any:
        """Build the data from the parser's events, read straight from it (no generator per event)."""
        root: Any = None
        while (event := get()) is not None:
            kind = type(event)
            if kind is scalar or kind is alias:
                top = stack[-1] if stack else None
                if top is not None and top[3] and top[2] is None:
                    self.key(event, top)
                    continue
                if kind is alias:
                    value = self.alias(event, self.loc(event))
                else:
                    self.count += 1
                    if self.count > MAX_VALUES:
                        self.check_count(self.loc(event))
                    tag = event.tag
                    if tag is None and event.implicit[0]:
                        text = event.value
                        if not text or text[0] not in _NUMBER_START:
                            value = _BOOL.get(text, None if text in _NULL else text)
                        else:
                            try:
                                value = _resolve(text)
                            except _TooLongError as e:
                                raise _located(e, self.loc(event)) from None
                    elif tag is None:
                        value = event.value
                    else:
                        value = scalar_value(event.value, tag, event.implicit[0], self.loc(event), self.what)
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, 1)
                if top is None:
                    values.setdefault((), event.start_mark)
                    root = value
                elif top[3]:
                    top[0][top[2]] = value
                    values[(*top[1], top[2])] = event.start_mark
                    top[2] = None
                else:
                    values[(*top[1], len(top[0]))] = event.start_mark
                    top[0].append(value)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if stack and stack[-1][3] and stack[-1][2] is None:
                    raise SpecError.single("mapping keys must be plain names", self.loc(event))
                if len(stack) >= MAX_DEPTH:
                    raise SpecError.single(
                        f"the {self.what} nests deeper than {MAX_DEPTH} levels",
                        self.loc(event),
                        hint="a spec needs a few levels (layers, a layer, its values): check the brackets",
                    )
                tag = event.tag
                if tag is not None and tag not in (_TAG + "map", _TAG + "seq", "!"):
                    shown = tag.replace(_TAG, "!!")
                    raise SpecError.single(
                        f"YAML tag '{shown}' is not allowed in a {self.what}", self.loc(event), hint="remove the tag"
                    )
                self.count += 1
                if self.count > MAX_VALUES:
                    self.check_count(self.loc(event))
                mapping = kind is yaml.MappingStartEvent
                path = self.path_of(stack)
                values.setdefault(path, event.start_mark)
                stack.append([{} if mapping else [], path, None, mapping, event.anchor, self.count])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                container, path, _, _, anchor, start = stack.pop()
                if anchor is not None:
                    self.anchors[anchor] = (container, self.count - start + 1)
                root = self.attach(stack, container, path)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise SpecError.single(
                        f"invalid YAML: a second document (---) in one {self.what} file",
                        self.loc(event),
                        hint="one file holds one document",
                    )
        return root

    def path_of(self, stack: list[list[Any]]) -> Path:
        if not stack:
            return ()
        top = stack[-1]
        if top[3]:
            return (*top[1], top[2])
        return (*top[1], len(top[0]))

    def key(self, event: Any, frame: list[Any]) -> None:
        if type(event) is yaml.AliasEvent:
            raise SpecError.single("mapping keys must be plain names, not aliases", self.loc(event))
        name = event.value
        if event.implicit[0] and name == "<<":
            raise SpecError.single(f"YAML merge keys (<<) are not supported in a {self.what}", self.loc(event))
        if name in frame[0]:
            raise SpecError.single(f"key '{_clip(name)}' appears twice", self.loc(event))
        frame[2] = name
        self.map.keys[(*frame[1], name)] = event.start_mark

    def attach(self, stack: list[list[Any]], container: Any, path: Path) -> Any:
        if not stack:
            return container
        top = stack[-1]
        if top[3]:
            top[0][top[2]] = container
            top[2] = None
        else:
            top[0].append(container)
        return None

    def alias(self, event: Any, where: Location) -> Any:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise SpecError.single(f"unknown YAML alias '*{_clip(event.anchor)}'", where)
        value, size = found
        self.count += size
        self.check_count(where)
        return value

    def check_count(self, where: Location) -> None:
        if self.count > MAX_VALUES:
            raise SpecError.single(
                f"the {self.what} expands to more than {MAX_VALUES:,} values"
                + (" (YAML aliases?)" if self.anchors else ""),
                where,
                hint="write the values out, or use blocks and `repeat:` for repeated layers",
            )
