"""docs/limits.md states every limit as the code has it: each table row names its constant."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "limits.md"
ROW = re.compile(r"^\| (?P<what>[^|]+) \| (?P<value>[^|]+) \| `(?P<where>[\w.]+)` \|$", re.M)


def stated(value: str) -> int:
    """'4,194,304 bytes (4 MiB)' -> 4194304; '10^60 pixels' -> 10**60."""
    number = value.split()[0].replace(",", "")
    base, _, exponent = number.partition("^")
    return int(base) ** int(exponent) if exponent else int(base)


def test_every_limit_on_the_page_is_the_code_s() -> None:
    rows = list(ROW.finditer(PAGE.read_text(encoding="utf-8")))
    assert len(rows) >= 20
    for row in rows:
        module, _, name = row["where"].rpartition(".")
        actual = getattr(importlib.import_module(module), name)
        assert stated(row["value"]) == actual, f"{row['what']}: the page says {row['value']}, the code {actual}"
