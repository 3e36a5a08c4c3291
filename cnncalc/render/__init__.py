"""The shared output kernel: columns, the JSON envelope, escaping, formats, human numbers,
listings, the summary and plain-text tables.

A feature's own output (cnncalc.features.*.output) is written with these; the Report itself
holds exact ints. Nothing here imports rich: tables are plain text (`render.table`).
The names below are imported on first use, so the CLI can load `render.escape` and
`render.formats` at start-up without the report model behind the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnncalc.render.human import format_bytes, format_count, format_si
    from cnncalc.render.summary import to_csv, to_json, to_markdown

_LAZY = {
    "format_bytes": "cnncalc.render.human",
    "format_count": "cnncalc.render.human",
    "format_si": "cnncalc.render.human",
    "to_csv": "cnncalc.render.summary",
    "to_json": "cnncalc.render.summary",
    "to_markdown": "cnncalc.render.summary",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cnncalc.render' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["format_bytes", "format_count", "format_si", "to_csv", "to_json", "to_markdown"]
