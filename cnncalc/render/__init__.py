"""Every byte cnncalc prints: tables, JSON, CSV, Markdown, JUnit, GitHub annotations, views.

The only package that formats numbers for people or escapes text from users; the Report
itself holds exact ints. Nothing here imports rich: tables are plain text (`render.table`).
"""

from cnncalc.render.human import format_bytes, format_count, format_si
from cnncalc.render.summary import to_csv, to_json, to_markdown

__all__ = ["format_bytes", "format_count", "format_si", "to_csv", "to_json", "to_markdown"]
