"""The matrix arguments of `cnncalc conv` / `cnncalc pool`: inline text, `@PATH` or `@-` (stdin).

This is the I/O edge of worked/: everything else there computes on values. Reading is bounded
whatever the argument names: only a regular file is read (a FIFO, a device such as /dev/zero, a
socket or a directory is refused before a byte is read, and opening never waits for a FIFO's
writer), and at most MAX_TEXT_CHARS bytes are read from a file or from stdin, so a file that
grows while it is read is refused too. The text must be UTF-8 (a BOM, as spreadsheets write, is
dropped) and hold no NUL byte. Every refusal is a WorkedError (exit 2) naming the file, with a hint.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from cnncalc.errors import Diagnostic
from cnncalc.features.worked.matrix import MAX_TEXT_CHARS, Volume, WorkedError, parse_volume

_FILE_HINT = "give the matrix inline, or @PATH to a text or CSV file"
_SMALL_HINT = "worked examples are small matrices"


def read_matrix(argument: str, what: str, stdin: TextIO | None = None) -> Volume:
    """The matrix of an argument: inline text, or `@path` / `@-` read here.

    `what` names the argument in messages ('input', 'kernel 2'); stdin defaults to sys.stdin.
    """
    if not argument.startswith("@"):
        return parse_volume(argument, f"<{what}>")
    name = argument[1:]
    if name == "-":
        return parse_volume(read_stream(stdin or sys.stdin, what), "<stdin>")
    return parse_volume(read_text(name, what), name)


def read_text(name: str, what: str, limit: int = MAX_TEXT_CHARS) -> str:
    """The text of the file `name`, through the one reader of user files.

    cnncalc.spec.loader.read_text_file opens without blocking and checks the open descriptor,
    so a FIFO, a device or a directory is refused before a byte is read, and reads at most
    `limit` bytes.
    """
    from cnncalc.spec.loader import read_text_file

    article = "an" if what[:1] in ("a", "e", "i", "o", "u") else "a"
    return read_text_file(Path(name), f"{article} {what} matrix", limit, WorkedError)


def read_stream(stream: TextIO, what: str, limit: int = MAX_TEXT_CHARS) -> str:
    """At most `limit` bytes of an open stream (stdin), decoded as read_text decodes a file."""
    raw: BinaryIO | None = getattr(stream, "buffer", None)
    try:
        if raw is None:  # a text stream without bytes below it (a test's StringIO)
            text = stream.read(limit + 1)
            if len(text) > limit:
                raise _refuse(f"{what} from stdin is longer than {limit:,} characters", _SMALL_HINT)
            return text.removeprefix("\ufeff")
        data = _bounded(raw, "stdin", what, limit)
    except OSError as e:
        raise _refuse(f"cannot read {what} from stdin: {e.strerror or e}", _FILE_HINT) from None
    except UnicodeDecodeError:
        raise _refuse(f"{what} from stdin is not UTF-8 text", "save it as text or CSV") from None
    return _decode(data, f"{what} from stdin")


def _bounded(stream: BinaryIO, name: str, what: str, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        where = "from stdin" if name == "stdin" else f"file '{name}'"
        raise _refuse(f"{what} {where} is larger than {limit:,} bytes", _SMALL_HINT)
    return data


def _decode(data: bytes, label: str) -> str:
    if b"\0" in data:
        raise _refuse(f"{label} is a binary file (it holds NUL bytes), not text", "save it as text or CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(f"{label} is not a UTF-8 text file", "save it as text or CSV") from None


def _refuse(message: str, hint: str) -> WorkedError:
    return WorkedError([Diagnostic(message, None, hint)])
