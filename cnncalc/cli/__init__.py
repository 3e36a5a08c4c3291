"""The `cnncalc` command line: `cnncalc.cli:main` is the console script, `app` the typer app."""

from cnncalc.cli.app import app, main

__all__ = ["app", "main"]
