"""Turning a Report into text: JSON, CSV, Markdown, and rich tables (`render.table`).

The only package that formats numbers for people; the Report itself holds exact ints.
The rich table lives in its own module so that the library formats import no rich.
"""

from cnncalc.render.formats import to_csv, to_json, to_markdown
from cnncalc.render.human import format_bytes, format_count, format_si

__all__ = ["format_bytes", "format_count", "format_si", "to_csv", "to_json", "to_markdown"]
