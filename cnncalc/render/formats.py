"""The output formats of the whole CLI, in one enum, and the writer tables that print them.

Each feature's output module declares one `Writers` table from format to writer; a command
prints `table.write(fmt, value, width)` and never chooses among formats itself, so a format
is added in one place and a test can hold every command's `--format` choices to its table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Generic, TypeVar


class OutputFormat(StrEnum):
    """Every format any command prints."""

    table = "table"
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    junit = "junit"
    github = "github"
    svg = "svg"
    dot = "dot"
    mermaid = "mermaid"
    png = "png"
    pdf = "pdf"
    gradescope = "gradescope"


class FormatError(ValueError):
    """A format the command does not print."""


def choose(value: str, allowed: Iterable[OutputFormat]) -> OutputFormat:
    """The format named `value` if the command prints it; else an error listing what it prints."""
    choices = list(allowed)
    names = ", ".join(f.value for f in choices)
    for fmt in choices:
        if value.strip().lower() == fmt.value:
            return fmt
    raise FormatError(f"{value!r} is not a format of this command; choose one of: {names}")


T = TypeVar("T")

#: what a writer returns: the whole text, or pieces to be written one after the other (a
#: 10,000-layer JSON document is not joined into one string first)
Text = str | Sequence[str]

#: a writer: the value to print and the width to fit (None: a pipe, nothing wrapped; writers
#: that never wrap ignore it)
Writer = Callable[[T, int | None], Text]


class Writers(Generic[T]):
    """One feature's writers, one per format it prints, in the order `--help` lists them."""

    def __init__(self, table: Mapping[OutputFormat, Writer[T]]) -> None:
        self._table = dict(table)

    @property
    def formats(self) -> tuple[OutputFormat, ...]:
        """The formats this table prints."""
        return tuple(self._table)

    def write(self, fmt: OutputFormat, value: T, width: int | None) -> Text:
        """`value` written in `fmt`; a format the table lacks is a FormatError naming those it has."""
        writer = self._table.get(fmt)
        if writer is None:
            names = ", ".join(f.value for f in self._table)
            raise FormatError(f"{fmt.value!r} is not a format of this command; choose one of: {names}")
        return writer(value, width)


def whole(text: Text) -> str:
    """A writer's output as one string, for a file written at once."""
    return text if isinstance(text, str) else "".join(text)


def joined_lines(lines: Sequence[str]) -> str:
    """Lines as one text, each ended by a newline: how line-based writers hand their output over."""
    return "\n".join(lines) + "\n"


__all__ = ["FormatError", "OutputFormat", "Text", "Writer", "Writers", "choose", "joined_lines", "whole"]
