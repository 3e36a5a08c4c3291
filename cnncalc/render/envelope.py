"""The one JSON envelope: every JSON document cnncalc prints starts with `schema_version`.

Scripts read these documents, so the layout is a contract: fields are only ever added
within a version; anything incompatible bumps SCHEMA_VERSION, defined here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: bump on any incompatible change of a JSON layout cnncalc prints
SCHEMA_VERSION = 1


def envelope(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with `schema_version` first (a payload's own version key is replaced)."""
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in payload.items() if k != "schema_version"}}


def json_text(payload: Mapping[str, Any] | list[Any]) -> str:
    """The document as printed: an object gets the envelope; indented, ending in a newline.

    Text from users goes in as it is: JSON escapes control characters itself, and
    `ensure_ascii` keeps the output plain ASCII, so a terminal showing it runs nothing.
    """
    document = envelope(payload) if isinstance(payload, Mapping) else payload
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


__all__ = ["SCHEMA_VERSION", "envelope", "json_text"]
