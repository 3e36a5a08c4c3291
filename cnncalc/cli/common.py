"""What every command shares: option types, the error boundary, loading and overrides.

Command modules import from here, never from cli.py, so that each can be registered on
the app without import cycles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from cnncalc.errors import CnncalcError
from cnncalc.units import DTYPE_NAMES

if TYPE_CHECKING:
    from cnncalc.spec.model import Spec

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class UnitsOption(StrEnum):
    si = "si"
    binary = "binary"


class LayoutOption(StrEnum):
    hwc = "hwc"
    chw = "chw"


#: the --dtype choices: every dtype cnncalc.units defines
DtypeOption = StrEnum("DtypeOption", {name: name for name in DTYPE_NAMES})  # type: ignore[misc]


def stdout_console() -> Console:
    """Plain text when piped or NO_COLOR is set; wide enough that tables do not wrap in files."""
    interactive = sys.stdout.isatty()
    width = None if interactive or "COLUMNS" in os.environ else 200
    return Console(width=width, no_color="NO_COLOR" in os.environ, highlight=False, soft_wrap=False)


# options several commands share, declared once
NoBiasOption = Annotated[bool, typer.Option("--no-bias", help="Count weights only, as slides that omit biases.")]
DtypeOverride = Annotated[DtypeOption | None, typer.Option("--dtype", help="Element type (overrides the spec).")]
BatchOverride = Annotated[
    int | None, typer.Option("--batch", min=1, max=2**31 - 1, help="Batch size (overrides the spec).")
]
InputOverride = Annotated[str | None, typer.Option("--input", help="Override the input shape, e.g. 320x320x3.")]
KerasBnOption = Annotated[
    bool, typer.Option("--keras-bn", help="Count batch-norm running mean/var as non-trainable params.")
]


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Map every error a user can cause to located messages on stderr and exit 2."""
    try:
        yield
    except CnncalcError as e:
        for diagnostic in e.diagnostics:
            typer.echo(diagnostic.render(), err=True)
        raise typer.Exit(e.exit_code) from None
    except RecursionError:
        typer.echo("error: the input nests too deeply", err=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as e:
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(e).__name__}: {e}\n  hint: this is a bug in cnncalc; "
            "rerun with CNNCALC_DEBUG=1 for the traceback and report it",
            err=True,
        )
        raise typer.Exit(3) from None


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reporting_errors():
            return fn(*args, **kwargs)

    return wrapper


def load_any(spec: str | None, dsl: str | None) -> Spec:
    """The spec from a file, a bundled name or a DSL string (exactly one of them)."""
    from cnncalc.errors import SpecError
    from cnncalc.spec import load_spec

    if (spec is None) == (dsl is None):
        raise SpecError.single(
            "give either a spec (file or bundled name) or --dsl, not both" if spec else "no spec given",
            hint='e.g. `cnncalc summarize vgg16` or `cnncalc summarize --dsl "32x32x3 | conv3-8 | fc-10"`',
        )
    if spec is not None:
        return load_spec(spec)
    from cnncalc.spec.dsl import load_dsl

    return load_dsl(dsl or "")


def override(spec: Spec, dtype: str | None, batch: int | None, input_shape: str | None, layout: str | None) -> Spec:
    """Apply command-line overrides, keeping the spec's source positions."""
    from cnncalc.errors import Diagnostic, SpecError
    from cnncalc.spec.loader import validation_diagnostics
    from cnncalc.spec.model import InputSpec, parse_dims

    update: dict[str, object] = {}
    if dtype:
        update["dtype"] = dtype
    if batch:
        update["batch"] = batch
    if input_shape is not None:
        try:
            data = {"shape": parse_dims(input_shape), "layout": layout or spec.input.layout}
            update["input"] = InputSpec.model_validate(data)
        except ValidationError as e:
            found = validation_diagnostics(e, data, model=InputSpec, label=lambda _: f"--input {input_shape!r}")
            raise SpecError([Diagnostic(d.message, hint="e.g. --input 224x224x3") for d in found]) from None
        except ValueError as e:
            raise SpecError.single(f"--input {input_shape!r}: {e}", hint="e.g. --input 224x224x3") from None
    if not update:
        return spec
    source = spec._source
    changed = spec.model_copy(update=update)
    return changed.with_source(source) if source else changed
