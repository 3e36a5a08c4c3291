"""The output formats of the whole CLI, in one enum; each command accepts a declared subset."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


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


__all__ = ["FormatError", "OutputFormat", "choose"]
