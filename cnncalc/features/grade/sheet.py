"""Answer sheets: a student's table read from CSV (or TSV), a Markdown table or YAML.

A sheet has the lecture's columns: the layer, then any of activation shape, activation
size, number of parameters, MACs, FLOPs and memory, under the headers people give them
("Activation Shape", "output size", "# Parameters", "params", "ops", ...). Columns it does
not know (SL.No, depth, patch size/stride) are listed and ignored. Rows named "Total"
(or "conv layers", "fully connected layers") hold totals. Text before a table is read
for a "Student: name" line; otherwise the file name is the student.

Reading is bounded: files over 1 MiB, binary files and tables of more than 5,000 rows are
refused with a located error (SheetError, exit 2 for one sheet, "skipped" in a folder).

>>> sheet = read_sheet_text("layer,shape,params\\nCONV1,28x28x8,608\\n", "a.csv")
>>> sheet.columns, sheet.rows[0].label, sheet.rows[0].cells["params"]
(('shape', 'params'), 'CONV1', '608')
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from cnncalc.errors import CnncalcError, Diagnostic, Location
from cnncalc.spec.loader import read_text_file

Column = Literal["shape", "size", "params", "macs", "flops", "memory"]
COLUMNS: tuple[Column, ...] = ("shape", "size", "params", "macs", "flops", "memory")

#: the titles a blank sheet gets (the lecture's where it has one)
TITLES: dict[Column, str] = {
    "shape": "Activation Shape",
    "size": "Activation Size",
    "params": "# Parameters",
    "macs": "MACs",
    "flops": "FLOPs",
    "memory": "Memory",
}

MAX_SHEET_BYTES = 1024 * 1024
MAX_ROWS = 5000

_PHRASES: dict[str, tuple[str, ...]] = {
    "layer": ("layer", "layers", "name", "layer name", "type", "layer type", "component", "operation", "stage"),
    "index": ("sl no", "slno", "sr no", "srno", "s no", "sno", "no", "nr", "index", "idx", "step", "sl", ""),
    "shape": (
        "activation shape",
        "shape",
        "output shape",
        "output size",
        "output",
        "output volume",
        "output volume size",
        "output dims",
        "output dimensions",
        "dimensions",
        "activation dimensions",
        "feature map",
        "output feature map",
    ),
    "size": (
        "activation size",
        "size",
        "activations",
        "neurons",
        "elements",
        "activation elements",
        "output elements",
        "values",
        "number of activations",
    ),
    "params": (
        "parameters",
        "params",
        "param",
        "number of parameters",
        "no of parameters",
        "learnable parameters",
        "trainable parameters",
        "parameter count",
        "weights and biases",
    ),
    "macs": (
        "macs",
        "mac",
        "ops",
        "operations",
        "multiply adds",
        "mult adds",
        "madds",
        "multiply accumulates",
        "multiplyadds",
        "multadds",
    ),
    "flops": ("flops", "flop"),
    "memory": ("memory", "mem", "activation memory", "bytes", "memory bytes", "activation bytes"),
}
#: a header, lower-cased, without punctuation -> its column
_HEADERS: dict[str, str] = {phrase: col for col, phrases in _PHRASES.items() for phrase in phrases}


_ROLES: dict[str, Column | Literal["layer", "index"]] = {
    "layer": "layer",
    "index": "index",
    **{c: c for c in COLUMNS},
}


class SheetError(CnncalcError):
    """An answer sheet that cannot be read (exit 2; skipped when grading a folder)."""


@dataclass(frozen=True)
class SheetRow:
    """One row of the student's table: its label and the cells of the graded columns."""

    line: int
    label: str
    cells: dict[Column, str]


@dataclass(frozen=True)
class Sheet:
    """One answer sheet as read: the graded columns it has and its rows, before any grading.

    Headers that name no graded column are kept (`ignored`) so the grade can say so."""

    path: str
    student: str
    columns: tuple[Column, ...]
    rows: tuple[SheetRow, ...]
    ignored: tuple[str, ...]  # headers that are not graded
    #: a decimal comma (True), a decimal point (False), or not known (None): what the sheet's own
    #: numbers and separators make certain (cells.sheet_convention)
    decimal_comma: bool | None = None
    #: digits grouped the Indian way (1,38,357), which the sheet makes certain (cells.indian_grouping)
    indian: bool = False


def header_role(header: str) -> Column | Literal["layer", "index"] | None:
    """What a column header means: 'Activation Shape' -> 'shape', '# Parameters' -> 'params'."""
    text = _drop_parenthesised(header.lower())  # "Memory (bytes)" -> "memory"
    text = re.sub(r"number of|no\. of|#", " ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = " ".join(text.split())
    role = _HEADERS.get(text)
    if role is None and text.startswith("total "):
        role = _HEADERS.get(text.removeprefix("total "))
    return _ROLES.get(role or "")


def _drop_parenthesised(text: str) -> str:
    """Each '(' up to the next ')' replaced by a space, in one pass (a '(' never closed stays).

    A loop rather than a lazy regex: on a header of many '(' and no ')' the regex would rescan
    the rest of the line from each one.
    """
    out: list[str] = []
    at = 0
    while (start := text.find("(", at)) != -1:
        end = text.find(")", start)
        if end == -1:
            break
        out += [text[at:start], " "]
        at = end + 1
    out.append(text[at:])
    return "".join(out)


def read_sheet(path: str | os.PathLike[str]) -> Sheet:
    """Read an answer sheet file (`read_sheet("bob.csv")` or a Path); the format comes from its
    suffix (or its content)."""
    path = Path(path)
    text = read_text_file(path, "an answer sheet", MAX_SHEET_BYTES, SheetError)
    return read_sheet_text(text, str(path))


SheetFormat = Literal["csv", "markdown", "yaml"]


def sheet_format(source: str, text: str) -> SheetFormat:
    suffix = Path(source).suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".yaml", ".yml", ".json"):
        return "yaml"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if any(line.lstrip().startswith("|") for line in text.splitlines()):
        return "markdown"
    return "csv"


def read_sheet_text(text: str, source: str, fmt: SheetFormat | None = None) -> Sheet:
    """Read a sheet from text; `source` names it in messages and gives the default student."""
    if len(text) > MAX_SHEET_BYTES:
        raise SheetError.single(f"{source}: {len(text):,} characters; sheets are limited to {MAX_SHEET_BYTES:,}")
    fmt = fmt or sheet_format(source, text)
    if fmt == "yaml":
        return _with_convention(_read_yaml(text, source), False)
    lines = text.splitlines()
    semicolons = False
    if fmt == "markdown":
        table = [(i + 1, _markdown_cells(line)) for i, line in enumerate(lines) if line.lstrip().startswith("|")]
        table = [(n, cells) for n, cells in table if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c)]
        preamble_end = next((n for n, _ in table), len(lines) + 1)
    else:
        table = _delimited(lines, source)
        preamble_end = table[0][0] if table else len(lines) + 1
        semicolons = bool(table) and _delimiter(lines[preamble_end - 1]) == ";"
    student = _student(lines[: preamble_end - 1]) or Path(source).stem
    return _with_convention(_from_table(table, source, student), semicolons)


def _with_convention(sheet: Sheet, semicolons: bool) -> Sheet:
    from cnncalc.features.grade.cells import decimal_convention, indian_grouping, sheet_convention

    numbers = [text for row in sheet.rows for column, text in row.cells.items() if column != "shape"]
    comma = sheet_convention(numbers, semicolons)
    with decimal_convention(comma):
        indian = indian_grouping(numbers)
    return replace(sheet, decimal_comma=comma, indian=indian)


def _markdown_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _delimited(lines: Sequence[str], source: str) -> list[tuple[int, list[str]]]:
    """Rows of a CSV/TSV table from its header line on; cells split inside brackets are rejoined.

    The rows are read by one csv reader over the lines, so a quoted cell may hold a newline
    and its row goes on after it; a row is numbered by the line it starts on.
    """
    start = next((i for i, line in enumerate(lines) if _is_header(_split(line))), None)
    if start is None:
        return _space_aligned(lines, source)
    delimiter = _delimiter(lines[start])
    width = len(_split(lines[start]))
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader((line + "\n" for line in lines[start:]), delimiter=delimiter)
    first = start + 1  # the line the next row starts on (1-based)
    for cells in _rows(reader, source, start):
        i, first = first - 1, start + reader.line_num + 1
        at_end = first - 1 == len(lines) and any("\n" in cell for cell in cells)
        if at_end and sum(line.count('"') for line in lines[i:]) % 2:
            raise SheetError(
                [
                    Diagnostic(
                        "a quote opened in this row is never closed: the rest of the file would be one cell",
                        Location(source, i + 1, 1),
                        'close the quote, e.g. "(28, 28, 8)"; a quote inside a quoted cell is written ""',
                    )
                ]
            )
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width and delimiter == ",":
            cells = _rejoin(cells)
        if len(cells) > width and any(cells[width:]):
            raise SheetError(
                [
                    Diagnostic(
                        f"{len(cells)} cells but the header has {width}",
                        Location(source, i + 1, 1),
                        'quote cells that contain commas, e.g. "6,272" or "(28, 28, 8)"',
                    )
                ]
            )
        rows.append((i + 1, cells))
    return rows


_GAP = re.compile(r"\s{2,}|\t")


def _space_aligned(lines: Sequence[str], source: str) -> list[tuple[int, list[str]]]:
    """A text table whose columns are aligned with spaces: two spaces or more between columns.

    A row is split at its gaps; a row whose cells leave a column empty is cut at the header's
    column starts. A row that fits neither is refused with its line: never guessed.
    """
    start = next((i for i, line in enumerate(lines) if _is_header(_GAP.split(line.strip()))), None)
    if start is None:
        single = next((i for i, line in enumerate(lines) if _is_header(line.split())), None)
        if single is not None:
            raise SheetError(
                [
                    Diagnostic(
                        "the columns are separated by single spaces, which cannot be told from the spaces "
                        "inside a cell ('28 x 28 x 8')",
                        Location(source, single + 1, 1),
                        "put two spaces or more (or a tab, a comma) between columns, or write a Markdown table",
                    )
                ]
            )
        return []
    header_line = lines[start]
    header = _GAP.split(header_line.strip())
    starts = [m.end() for m in re.finditer(r"(?:^|\s{2,}|\t)(?=\S)", header_line)]
    rows: list[tuple[int, list[str]]] = [(start + 1, header)]
    for i in range(start + 1, len(lines)):
        line = lines[i].rstrip()
        if not line.strip():
            continue
        cells = _GAP.split(line.strip())
        if len(cells) != len(header):
            cut = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], len(line)], strict=True)]
            clean_cuts = all(a == 0 or a >= len(line) or line[a - 1] == " " for a in starts)
            if not clean_cuts or len(cells) > len(header) or " ".join(c for c in cut if c) != " ".join(cells):
                raise SheetError(
                    [
                        Diagnostic(
                            f"{len(cells)} cells but the header has {len(header)}, and the row does not line up "
                            "with the header's columns",
                            Location(source, i + 1, 1),
                            "align each cell under its column's title, with two spaces or more between columns",
                        )
                    ]
                )
            cells = cut
        rows.append((i + 1, cells))
    return rows


def _rows(reader: Any, source: str, offset: int) -> Iterator[list[str]]:
    """The reader's rows; csv's own error (a cell over its size limit) becomes a located SheetError."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            where = Location(source, offset + reader.line_num, 1)
            hint = "a cell is a number or a short formula"
            raise SheetError([Diagnostic(f"unreadable CSV: {e}", where, hint)]) from None


def _split(line: str) -> list[str]:
    """The cells of one line, or none when it is blank or not CSV at all (a cell over csv's limit)."""
    if not line.strip():
        return []
    try:
        return next(csv.reader([line], delimiter=_delimiter(line)))
    except csv.Error:
        return []


def _delimiter(line: str) -> str:
    if "\t" in line:
        return "\t"
    return ";" if line.count(";") > line.count(",") else ","


def _rejoin(cells: list[str]) -> list[str]:
    """'(28', ' 28', ' 8)' -> '(28, 28, 8)': an unquoted shape in a comma-separated file."""
    out: list[str] = []
    depth = 0
    for cell in cells:
        if depth > 0:
            out[-1] += "," + cell
        else:
            out.append(cell)
        depth += cell.count("(") + cell.count("[") - cell.count(")") - cell.count("]")
        depth = max(depth, 0)
    return out


def _is_header(cells: Sequence[str]) -> bool:
    roles = [header_role(c) for c in cells]
    return any(r in COLUMNS for r in roles)


#: "Student: Ada", "**Name:** Ada", "# student name = Ada": the key, after any Markdown markup
_STUDENT = re.compile(r"(?:student name|student|name)\s*[:=]", re.IGNORECASE)


def _student(lines: Sequence[str]) -> str | None:
    """The student's name from a line before the table.

    Markup is stripped with string methods, and the one pattern has a single unbounded part,
    so a line of thousands of spaces costs one pass (nested optional spaces would backtrack).
    """
    for line in lines:
        skip = 0
        while skip < len(line) and (line[skip].isspace() or line[skip] in "#>*_"):
            skip += 1
        head = line[skip:]
        m = _STUDENT.match(head)
        if m is None:
            continue
        name = head[m.end() :].strip().rstrip("*_").strip().strip(",;")
        if name:
            return name
    return None


def _show(text: str, limit: int = 40) -> str:
    """A header quoted in a message, bounded."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _from_table(table: Sequence[tuple[int, list[str]]], source: str, student: str) -> Sheet:
    if not table:
        raise SheetError.single(
            f"{source}: no table with a layer column and an answer column (shape, size, params, MACs or memory)",
            hint="the first row names the columns, e.g. Layer, Activation Shape, Activation Size, # Parameters",
        )
    header_line, header = table[0]
    roles = [header_role(h) for h in header]
    if "layer" not in roles:  # the 001 table leaves the layer column without a title
        blank = next((i for i, h in enumerate(header) if not h.strip()), None)
        first = next((i for i, r in enumerate(roles) if r not in COLUMNS), None)
        where = blank if blank is not None else first
        if where is None:
            raise SheetError([Diagnostic("no column names the layers", Location(source, header_line, 1))])
        roles[where] = "layer"
    layer_at = roles.index("layer")
    graded: dict[Column, int] = {}
    for i, role in enumerate(roles):
        if role in COLUMNS:
            if role in graded:  # grading either one would silently drop the other's answers
                raise SheetError(
                    [
                        Diagnostic(
                            f"two columns are {role}: '{_show(header[graded[role]])}' (column {graded[role] + 1}) "
                            f"and '{_show(header[i])}' (column {i + 1})",
                            Location(source, header_line, 1),
                            "keep one of them, or rename the other so that it is not graded",
                        )
                    ]
                )
            graded[role] = i
    ignored = tuple(h for h, r in zip(header, roles, strict=True) if r is None and h.strip())
    rows: list[SheetRow] = []
    for line, cells in table[1:]:
        padded = [*cells, *[""] * (len(header) - len(cells))]
        label = padded[layer_at].strip()
        if not label and not any(padded[i].strip() for i in graded.values()):
            continue
        rows.append(SheetRow(line, label, {col: padded[i].strip() for col, i in graded.items()}))
        if len(rows) > MAX_ROWS:
            raise SheetError([Diagnostic(f"more than {MAX_ROWS:,} rows", Location(source, line, 1))])
    columns = tuple(c for c in COLUMNS if c in graded)
    return Sheet(source, student, columns, tuple(rows), ignored)


def _read_yaml(text: str, source: str) -> Sheet:
    from cnncalc.errors import SpecError
    from cnncalc.spec.loader import parse_yaml

    try:
        data, where = parse_yaml(text, source, "answer sheet")
    except SpecError as e:
        raise SheetError(e.diagnostics) from None
    student = Path(source).stem
    items: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(data, dict):
        student = str(data.get("student") or data.get("name") or student)
        key = next((k for k in ("rows", "layers", "answers", "table") if isinstance(data.get(k), list)), None)
        if key is not None:
            items += [((key, i), item) for i, item in enumerate(data[key])]
        for total_key in ("total", "totals"):
            value = data.get(total_key)
            if isinstance(value, dict):
                items.append(((total_key,), {"layer": "Total", **value}))
            elif isinstance(value, list):
                items += [((total_key, i), item) for i, item in enumerate(value)]
    elif isinstance(data, list):
        items = [((i,), item) for i, item in enumerate(data)]
    if not items:
        raise SheetError.single(
            f"{source}: a YAML sheet is a list of rows, or a mapping with `rows:` (and `total:`)",
            Location(source, 1, 1),
            hint="rows: [{layer: CONV1, shape: 28x28x8, size: 6272, params: 608}]",
        )
    header: list[str] = []
    table_rows: list[tuple[int, dict[str, str]]] = []
    lines = text.splitlines()
    for path, item in items:
        loc = where.locate(path)
        if not isinstance(item, dict):
            raise SheetError([Diagnostic("each row is a mapping, e.g. {layer: CONV1, params: 608}", loc)])
        row: dict[str, str] = {}
        for k, v in item.items():
            if k not in header:
                header.append(k)
            if isinstance(v, float):  # 1.27e5 as written, not 127000.0: its figures are its precision
                v = _written(lines, where.locate((*path, k)), v)
            row[k] = "x".join(str(x) for x in v) if isinstance(v, list) else "" if v is None else str(v)
        table_rows.append((loc.line if loc else 1, row))
    table = [(1, header)] + [(line, [row.get(h, "") for h in header]) for line, row in table_rows]
    return _from_table(table, source, student)


def _written(lines: Sequence[str], where: Location | None, value: float) -> str:
    """A YAML number as the student wrote it ('1.27e5', '6.30'), when the text at its place reads
    as the same number; else the number as YAML read it."""
    if where is None or not 1 <= where.line <= len(lines):
        return str(value)
    rest = lines[where.line - 1][max(where.column - 1, 0) :]
    m = re.match(r"[+-]?[\d._]+(?:[eE][+-]?\d+)?", rest)
    if m is None:
        return str(value)
    try:
        same = float(m.group(0).replace("_", "")) == value
    except ValueError:
        same = False
    return m.group(0) if same else str(value)
