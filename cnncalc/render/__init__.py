"""Turning a Report into text: rich tables, JSON, CSV and Markdown.

The only package that formats numbers for people; the Report itself holds exact ints.
"""

from cnncalc.render.formats import to_csv, to_json, to_markdown
from cnncalc.render.human import format_bytes, format_count, format_si
from cnncalc.render.table import render_table

__all__ = ["format_bytes", "format_count", "format_si", "render_table", "to_csv", "to_json", "to_markdown"]
