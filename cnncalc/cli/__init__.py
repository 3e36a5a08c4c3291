"""The `cnncalc` command line: `cnncalc.cli:main` is the console script, `app` the typer app."""

from typing import TYPE_CHECKING, Any

from cnncalc.cli.app import main

if TYPE_CHECKING:
    from cnncalc.cli.app import app
else:
    # importing the submodule bound its name here; `app` is the application, built on first use
    globals().pop("app", None)


def __getattr__(name: str) -> Any:
    """`app`, the whole application, is built on first use (cnncalc.cli.app says why)."""
    if name == "app":
        from cnncalc.cli.app import app as whole

        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
