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
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
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
    path: str
    student: str
    columns: tuple[Column, ...]
    rows: tuple[SheetRow, ...]
    ignored: tuple[str, ...]  # headers that are not graded


def header_role(header: str) -> Column | Literal["layer", "index"] | None:
    """What a column header means: 'Activation Shape' -> 'shape', '# Parameters' -> 'params'."""
    text = re.sub(r"\(.*?\)", " ", header.lower())  # "Memory (bytes)" -> "memory"
    text = re.sub(r"number of|no\. of|#", " ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = " ".join(text.split())
    role = _HEADERS.get(text)
    if role is None and text.startswith("total "):
        role = _HEADERS.get(text.removeprefix("total "))
    return _ROLES.get(role or "")


def read_sheet(path: Path) -> Sheet:
    """Read an answer sheet file; the format comes from its suffix (or its content)."""
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
        return _read_yaml(text, source)
    lines = text.splitlines()
    if fmt == "markdown":
        table = [(i + 1, _markdown_cells(line)) for i, line in enumerate(lines) if line.lstrip().startswith("|")]
        table = [(n, cells) for n, cells in table if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c)]
        preamble_end = next((n for n, _ in table), len(lines) + 1)
    else:
        table = _delimited(lines, source)
        preamble_end = table[0][0] if table else len(lines) + 1
    student = _student(lines[: preamble_end - 1]) or Path(source).stem
    return _from_table(table, source, student)


def _markdown_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _delimited(lines: Sequence[str], source: str) -> list[tuple[int, list[str]]]:
    """Rows of a CSV/TSV table from its header line on; cells split inside brackets are rejoined."""
    start = next((i for i, line in enumerate(lines) if _is_header(_split(line))), None)
    if start is None:
        return []
    delimiter = _delimiter(lines[start])
    width = len(_split(lines[start]))
    rows: list[tuple[int, list[str]]] = []
    for i in range(start, len(lines)):
        if not lines[i].strip():
            continue
        cells = next(csv.reader([lines[i]], delimiter=delimiter))
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


def _split(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=_delimiter(line))) if line.strip() else []


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


_STUDENT = re.compile(r"^\s*[#>*_\s]*(?:student|name|student name)\s*[:=]\s*(?P<name>.+?)\s*[*_]*\s*$", re.IGNORECASE)


def _student(lines: Sequence[str]) -> str | None:
    for line in lines:
        m = _STUDENT.match(line)
        if m:
            return m.group("name").strip(",;")
    return None


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
        if role in COLUMNS and role not in graded:
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
    for path, item in items:
        loc = where.locate(path)
        if not isinstance(item, dict):
            raise SheetError([Diagnostic("each row is a mapping, e.g. {layer: CONV1, params: 608}", loc)])
        row: dict[str, str] = {}
        for k, v in item.items():
            if k not in header:
                header.append(k)
            row[k] = "x".join(str(x) for x in v) if isinstance(v, list) else "" if v is None else str(v)
        table_rows.append((loc.line if loc else 1, row))
    table = [(1, header)] + [(line, [row.get(h, "") for h in header]) for line, row in table_rows]
    return _from_table(table, source, student)


# --- a blank sheet ---------------------------------------------------------------------------


def blank_sheet(labels: Sequence[str], columns: Sequence[Column], fmt: SheetFormat, title: str = "") -> str:
    """A sheet to hand out: one row per layer and a Total row, the answer cells empty."""
    header = ["Layer", *(TITLES[c] for c in columns)]
    rows = [[label, *[""] * len(columns)] for label in [*labels, "Total"]]
    if fmt == "yaml":
        keys = ["layer", *columns]
        lines = [f"# {title}" if title else "# answer sheet", "student: ", "rows:"]
        for label in labels:
            lines.append("  - {" + ", ".join([f"layer: {_yaml_str(label)}", *(f"{k}: " for k in keys[1:])]) + "}")
        lines.append("total: {" + ", ".join(f"{c}: " for c in columns if c not in ("shape",)) + "}")
        return "\n".join(lines) + "\n"
    if fmt == "markdown":
        lines = ["Student: ", ""] if not title else [f"## {title}", "", "Student: ", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _yaml_str(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z_][\w.]*", text) else '"' + text.replace('"', '\\"') + '"'
