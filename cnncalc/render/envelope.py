"""The one JSON envelope: every JSON document cnncalc prints starts with `schema_version`.

Scripts read these documents, so the layout is a contract: fields are only ever added
within a version; anything incompatible bumps SCHEMA_VERSION, defined here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

#: bump on any incompatible change of a JSON layout cnncalc prints
SCHEMA_VERSION = 1


def envelope(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with `schema_version` first (a payload's own version key is replaced)."""
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in payload.items() if k != "schema_version"}}


def json_text(payload: Mapping[str, Any] | list[Any]) -> str:
    """The document as printed: an object gets the envelope; laid out by `layout`, ending in a newline.

    Text from users goes in as it is: JSON escapes control characters itself, and
    `ensure_ascii` keeps the output plain ASCII, so a terminal showing it runs nothing.
    """
    return "".join(json_parts(payload))


def json_parts(payload: Mapping[str, Any] | list[Any]) -> list[str]:
    """`json_text` in pieces, to be written one after the other (see `layout_parts`)."""
    document = envelope(payload) if isinstance(payload, Mapping) else payload
    parts = layout_parts(document)
    parts.append("\n")
    return parts


def _line_writer() -> Callable[[Any], str]:
    """One value on one line, by the json module's C encoder.

    `JSONEncoder.encode` builds a new C encoder on every call, which costs as much as
    encoding one layer's row; the C encoder is built once here, and used only if it writes
    exactly what `JSONEncoder` writes (else, or without the C module, `JSONEncoder` it is).
    """
    encoder = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    try:
        c_encode = make(None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    except TypeError:  # another signature than the one known here
        return encoder.encode

    escape = json.encoder.encode_basestring_ascii  # what `encoder.encode` does with a str

    def write(value: Any) -> str:
        if type(value) is str:
            return escape(value)
        return "".join(c_encode(value, 0))

    probe = {"a": [1, -2.5, float("inf"), None, True, "\u00e9\n"], "b": {"c": []}}
    same = all(write(value) == encoder.encode(value) for value in (probe, "\u00e9\n\x00"))
    return write if same else encoder.encode


one_line = _line_writer()


class Encoded(list[str]):
    """A list of objects already written as one line of JSON text each (by `one_line` or
    its equal); `layout` puts each on its own line as it is."""


def layout(value: Any, depth: int = 0) -> str:
    """JSON text for people and for line tools alike: objects indented by two spaces, a list
    of numbers or strings on one line (`[224, 224, 3]`), and each object of a list of
    objects on a line of its own (one layer, one cell, one result per line).

    Only the outer levels are laid out here; each line's value is written by the C encoder,
    so a 10,000-layer report is written in a tenth of the time `indent=2` takes (which
    encodes every value in Python and spreads each layer over 60 lines).

    >>> print(layout({"shape": [8, 8], "layers": [{"name": "c1", "rf": {"size": [3]}}, {"name": "r1"}]}))
    {
      "shape": [8, 8],
      "layers": [
        {"name": "c1", "rf": {"size": [3]}},
        {"name": "r1"}
      ]
    }
    """
    return "".join(layout_parts(value, depth))


def layout_parts(value: Any, depth: int = 0) -> list[str]:
    """`layout` in pieces, to be written one after the other: a long document is never
    copied whole (each level joining its lines would copy a 10,000-layer one five times)."""
    out: list[str] = []
    _lay_out(value, depth, out)
    return out


def _lay_out(value: Any, depth: int, out: list[str]) -> None:
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        out.append("{")
        for key, item in value.items():
            out += (inner, one_line(str(key)), ": ")
            _lay_out(item, depth + 1, out)
            out.append(",")
    elif type(value) is Encoded and value:
        out.append("[")
        for item in value:
            out += (inner, item, ",")
    elif isinstance(value, list | tuple) and any(isinstance(item, Mapping | list | tuple) for item in value):
        out.append("[")
        for item in value:
            out.append(inner)
            if isinstance(item, Mapping):
                out.append(one_line(item))
            else:
                _lay_out(item, depth + 1, out)
            out.append(",")
    else:
        out.append(one_line(value))
        return
    out[-1] = "\n" + "  " * depth + ("}" if isinstance(value, Mapping) else "]")  # the last comma


__all__ = ["SCHEMA_VERSION", "Encoded", "envelope", "json_parts", "json_text", "layout", "layout_parts", "one_line"]
