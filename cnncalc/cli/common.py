"""What every command shares: the choices of options, printing, the error boundary, loading.

The options themselves (flag, type, help) are declared once in cli/options.py, where the
groups of them (the network and its overrides, the counting rules) call on what is here.

Command modules import from here, never from cli/app.py, so that each can be registered on
the app without import cycles. Nothing heavy is imported at module level: `cnncalc --help`
loads only typer and these modules (pydantic, yaml, rich and numpy wait for a command).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from cnncalc.render.escape import terminal
from cnncalc.units import DTYPE_NAMES

if TYPE_CHECKING:
    from cnncalc.core.conventions import Conventions
    from cnncalc.errors import CnncalcError
    from cnncalc.spec.model import Layout, Spec

P = ParamSpec("P")
R = TypeVar("R")


# the choices of options: each an enum, as typer lists and checks them
UnitsOption = StrEnum("UnitsOption", ["si", "binary"])
LayoutOption = StrEnum("LayoutOption", ["hwc", "chw"])
OptimizerOption = StrEnum("OptimizerOption", ["sgd", "momentum", "adam", "adamw"])
DeviceOption = StrEnum("DeviceOption", ["cpu", "cuda"])
#: whose counting rules: cnncalc's, a peer tool's (cnncalc.features.peers.presets), or all side by side
ConventionOption = StrEnum(
    "ConventionOption", ["cnncalc", "torchinfo", "fvcore", "thop", "ptflops", "keras", "paper", "all"]
)
#: the --dtype choices: every dtype cnncalc.units defines
DtypeOption = StrEnum("DtypeOption", {name: name for name in DTYPE_NAMES})  # type: ignore[misc]


def echo_text(text: str | Sequence[str]) -> None:
    """Print text that is already safe for where it goes (escaped for the terminal, or JSON),
    whole or in pieces written one after the other.

    Straight to stdout: `typer.echo` would search a piped 10,000-layer document for colour
    codes to strip, and cnncalc writes none when it prints to a pipe.
    """
    stream = sys.stdout
    if stream is None:  # no console at all (pythonw): nothing to print to
        return
    if isinstance(text, str):
        stream.write(text)
    else:
        stream.writelines(text)
    stream.flush()


def stdout_is_terminal() -> bool:
    """Whether stdout is an interactive terminal (not a pipe, a file or a test's capture)."""
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def refuse_markup_on_terminal(command: str, what: str, example: str) -> None:
    """Refuse to pour markup (SVG, HTML) onto an interactive terminal: say how to save it instead."""
    from cnncalc.errors import SpecError

    if stdout_is_terminal():
        raise SpecError.single(
            f"{command} writes {what}, which a terminal shows as text: save it to a file",
            hint=f"add -o {example}; to print it anyway, pipe it (cnncalc {command} ... | cat)",
        )


def _discard_stdout() -> None:
    """Point stdout at the null device, so that nothing buffered for a reader that left fails again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass  # not a file descriptor (a test's captured stream): nothing buffered there fails


def echo_lines(lines: Sequence[str]) -> None:
    """Print lines of text already escaped for the terminal (see cnncalc.render.escape)."""
    echo_text("\n".join(lines) + "\n")


def echo_json(document: Mapping[str, Any] | list[Any]) -> None:
    """Print a JSON document in the one envelope and layout (cnncalc.render.envelope)."""
    from cnncalc.render.envelope import json_parts

    echo_text(json_parts(document))


def echo_error(text: str) -> None:
    """A message on stderr, each line with its control characters made visible."""
    typer.echo("\n".join(terminal(line) for line in text.split("\n")), err=True)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Map every error a user can cause to located messages on stderr and exit 2."""
    from cnncalc.errors import CnncalcError

    try:
        yield
    except CnncalcError as e:
        for diagnostic in e.diagnostics:
            echo_error(diagnostic.render())
        raise typer.Exit(e.exit_code) from None
    except BrokenPipeError:
        # the reader of the output left (`| head -1`): the rest has nowhere to go, and the
        # status is the one a reader that left before the final flush gets (cli.app._leave)
        _discard_stdout()
        raise typer.Exit(0) from None
    except OSError as e:
        # a path a user gave that the system refuses: too long, unreadable, a folder, ...
        from cnncalc.cli.files import os_error_message

        echo_error(f"error: {os_error_message(e)}\n  hint: check the path and its permissions")
        raise typer.Exit(2) from None
    except RecursionError:
        typer.echo("error: the input nests too deeply", err=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as e:
        if os.environ.get("CNNCALC_DEBUG"):
            raise
        echo_error(
            f"internal error: {type(e).__name__}: {e}\n  hint: this is a bug in cnncalc; "
            "rerun with CNNCALC_DEBUG=1 for the traceback and report it"
        )
        raise typer.Exit(3) from None


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reporting_errors():
            return fn(*args, **kwargs)

    return wrapper


def load_any(spec: str | None, dsl: str | None, sized: bool = False) -> Spec:
    """The spec from a file, a bundled name or a DSL string (exactly one of them).

    A spec file whose input names its sizes as symbols (`input: [H, W, 3]`) loads when the
    command sets the sizes itself (`sized`: --input, or a command that tries sizes of its
    own); otherwise the error says how to give them.
    """
    from cnncalc.errors import SpecError
    from cnncalc.features.interop import load_spec

    if (spec is None) == (dsl is None):
        raise SpecError.single(
            "give either a spec (file or bundled name) or --dsl, not both" if spec else "no spec given",
            hint='e.g. `cnncalc summarize vgg16` or `cnncalc summarize --dsl "32x32x3 | conv3-8 | fc-10"`',
        )
    if spec is not None:
        notes: list[str] = []
        try:
            loaded = load_spec(spec, notes)
        except SpecError as refused:
            loaded = _symbolic_spec(spec, refused, sized)
        for note in notes:  # on stderr: what an importer left out, never mixed into a report
            echo_error(f"note: {note}")
        return loaded
    from cnncalc.spec.dsl import load_dsl

    return load_dsl(dsl or "")


def _symbolic_spec(ref: str, refused: CnncalcError, sized: bool) -> Spec:
    """A spec file the loader refused because its input names symbols: with sizes to come, the
    spec (validated at placeholder sizes the command replaces); without, an error that says how
    to give them. Any other refusal is raised as it was, and a model file (.onnx, .keras, a Keras
    .json) is never read again as a YAML spec: that reader's own refusal (its size limit, "a
    binary file") would stand in for the importer's error."""
    from pathlib import Path

    from cnncalc.errors import SpecError
    from cnncalc.features.interop import is_model_file

    if not Path(ref).is_file() or is_model_file(ref):
        raise refused
    from cnncalc.features.symbolic.symbols import PLACEHOLDER, load_symbolic

    found = load_symbolic(ref)
    if found is None:
        raise refused
    loaded, names = found
    if sized:
        return loaded
    symbols = ", ".join(n for n in names if n)
    example = "x".join(str(PLACEHOLDER) if n else str(d) for n, d in zip(names, loaded.input.shape, strict=True))
    where = refused.diagnostics[0].location if refused.diagnostics else None
    raise SpecError.single(
        f"the input names its sizes as symbols ({symbols}): this command needs numbers",
        where,
        hint=f"give them with --input, e.g. --input {example} (`cnncalc summarize` works with the symbols)",
    ) from None


def training_choices(
    training: bool, optimizer: OptimizerOption | None, device: DeviceOption | None, threads: int | None = None
) -> tuple[str, str, int]:
    """The optimizer, device and intra-op threads --training counts with (sgd, cpu and one
    thread per CPU, PyTorch's default, unless given).

    Given without --training they would change nothing, so they are refused (exit 2) rather
    than dropped: a user who wrote `--optimizer adam` expects Adam's state in the figures.
    """
    from cnncalc.errors import SpecError

    options = (("--optimizer", optimizer), ("--device", device), ("--threads", threads))
    given = [name for name, value in options if value is not None]
    if given and not training:
        raise SpecError.single(
            f"{', '.join(given)} only change{'s' if len(given) == 1 else ''} the training figures",
            hint="add --training, or drop " + ", ".join(given),
        )
    cores = threads if threads is not None else os.cpu_count() or 1
    return (optimizer.value if optimizer else "sgd"), (device.value if device else "cpu"), cores


def layout_of(layout: LayoutOption | None) -> Layout | None:
    """The layout --layout chose; None (the spec's own) when it was not given."""
    return None if layout is None else "chw" if layout is LayoutOption.chw else "hwc"


def counting(no_bias: bool = False, keras_bn: bool = False, units: UnitsOption = UnitsOption.si) -> Conventions:
    """The counting rules of the options --no-bias, --keras-bn and --units."""
    from cnncalc.core.conventions import Conventions

    binary = units is UnitsOption.binary
    return Conventions(bias=not no_bias, bn_running_stats=keras_bn, units="binary" if binary else "si")


def spec_loader(input_shape: str | None) -> Callable[[str], Spec]:
    """How a command that reads several specs loads each one: as `load_any` does, at the sizes
    --input gives when it is given (so a spec written with symbols, `input: [H, W, 3]`, loads
    too), and with the error that asks for them when a spec needs them and --input is absent."""

    def load(ref: str) -> Spec:
        return override(load_any(ref, None, sized=input_shape is not None), None, None, input_shape, None)

    return load


def override(spec: Spec, dtype: str | None, batch: int | None, input_shape: str | None, layout: str | None) -> Spec:
    """Apply command-line overrides, keeping the spec's source positions."""
    from pydantic import ValidationError

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
