"""`cnncalc list`: the bundled networks, usable by name in every command."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_text, handles_errors
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown)


@handles_errors
def list_networks(
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
) -> None:
    """List the bundled networks, usable by name in every command."""
    from cnncalc.render.listing import WRITERS, NetworkEntry
    from cnncalc.render.table import terminal_width

    entries = [NetworkEntry.of(name) for name in _names()]
    echo_text(WRITERS.write(fmt, entries, terminal_width()))


def _names() -> list[str]:
    from cnncalc.spec import bundled_names

    return bundled_names()


def register(app: typer.Typer) -> None:
    """Add `list` to the app."""
    app.command("list")(list_networks)
