"""`cnncalc summarize` (the per-layer table and totals) and `cnncalc convert` (DSL to YAML)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_json, echo_lines, echo_text, handles_errors, load_any
from cnncalc.cli.groups import expand_groups
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.core.conventions import Conventions
    from cnncalc.core.report import Report
    from cnncalc.features.training.memory import TrainingMemory
    from cnncalc.spec.model import Spec

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown)


@handles_errors
@expand_groups
def summarize(
    *,
    network: options.NetworkArgs,
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
    counts: options.CountingArgs,
    depth: options.Depth = None,
    rf: Annotated[bool, typer.Option("--rf/--no-rf", help="Show the receptive-field column.")] = True,
    convention: options.Convention = options.ConventionOption.cnncalc,
    training: options.Training = False,
    optimizer: options.Optimizer = options.OptimizerOption.sgd,
) -> None:
    """Per-layer shapes, memory, params, MACs and FLOPs of a network, with totals.

    The table fits the terminal (COLUMNS): optional columns are left out with a note, text
    wraps, numbers are never cut; written to a pipe or a file it has its full width.

    Examples:

        cnncalc summarize vgg16

        cnncalc summarize my_net.yaml --format json

        cnncalc summarize --dsl "32x32x3 | conv5-8 p=0 | maxpool | fc-10"

        cnncalc summarize resnet50 --convention all

        cnncalc summarize resnet18 --training --optimizer adam --batch 32
    """
    from cnncalc.core.report import rollup
    from cnncalc.core.walk import analyze
    from cnncalc.render.summary import json_document, table_lines, to_csv, to_markdown
    from cnncalc.render.table import terminal_width

    conventions = counts.conventions()
    loaded, symbols = _load(network.spec, network.dsl, network.input_shape)
    if symbols is not None:  # a symbolic --input is applied by _load
        network = network._replace(input_shape=None)
    loaded = network.apply_to(loaded)
    if symbols is not None:
        _echo_symbolic(loaded, symbols, conventions, fmt)
        return
    if convention is not options.ConventionOption.cnncalc:
        from cnncalc.cli.presets import print_presets

        print_presets(
            loaded,
            convention.value,
            fmt,
            conventions.units,
            no_bias=counts.no_bias,
            keras_bn=counts.keras_bn,
            depth=depth,
        )
        return
    report = analyze(loaded, conventions, network.layout_shown())
    memory = None
    if training:
        from cnncalc.features.training.memory import training_memory

        memory = training_memory(loaded, report, optimizer.value)
    if depth is not None:
        report = replace(report, rows=rollup(report, depth))
    if memory is not None:
        _echo_training(report, memory, fmt, rf)
    elif fmt is OutputFormat.json:
        echo_text(json_document(report))
    elif fmt is OutputFormat.csv:
        typer.echo(to_csv(report), nl=False)
    elif fmt is OutputFormat.markdown:
        typer.echo(to_markdown(report))
    else:
        echo_lines(table_lines(report, terminal_width(), receptive_field=rf))


def _load(spec: str | None, dsl: str | None, input_shape: str | None) -> tuple[Spec, list[str | None] | None]:
    """The network, and the symbols of its input when it has some (`--input HxWx3`, `input: [H, W, 3]`)."""
    from cnncalc.errors import SpecError

    symbolic = _symbolic_input(spec, dsl, input_shape)
    if symbolic is None:
        try:
            return load_any(spec, dsl), None
        except SpecError:
            symbolic = _symbolic_file(spec) if spec is not None and dsl is None else None
            if symbolic is None:
                raise
    return symbolic


def _symbolic_input(spec: str | None, dsl: str | None, input_shape: str | None) -> tuple[Spec, list[str | None]] | None:
    """The spec and the symbols of `--input HxWx3`; None when --input names none."""
    if input_shape is None or not any(ch.isalpha() and ch not in "xX" for ch in input_shape):
        return None
    from cnncalc.errors import SpecError
    from cnncalc.features.symbolic.sizes import input_symbols, with_symbols
    from cnncalc.layers.base import MAX_INT

    found = input_symbols(input_shape)
    if found is None:
        raise SpecError.single(f"--input {input_shape!r}: expected sizes or symbols such as HxWx3")
    sizes, names = found
    if not 2 <= len(sizes) <= 4 or not all(1 <= n <= MAX_INT for n in sizes):
        # the checks InputSpec makes, said here in --input's words rather than pydantic's
        raise SpecError.single(
            f"--input {input_shape!r}: expected 2 to 4 dimensions, each a symbol or a size from 1 to {MAX_INT:,}",
            hint="e.g. --input HxWx3 or --input Hx224x3",
        )
    return with_symbols(load_any(spec, dsl), sizes), names


def _symbolic_file(spec: str) -> tuple[Spec, list[str | None]] | None:
    """A spec file that failed to load because its input names symbols (`input: [H, W, 3]`).

    Only a YAML spec can name symbols: a model file (.onnx, .keras, a Keras .json) whose
    import failed is never read again as one, or the YAML reader's own refusal (its size
    limit, "a binary file") would stand in for the importer's error.
    """
    from pathlib import Path

    from cnncalc.features.interop import is_model_file

    if not Path(spec).is_file() or is_model_file(spec):
        return None
    from cnncalc.features.symbolic.sizes import load_symbolic

    return load_symbolic(spec)


def _echo_symbolic(loaded: Spec, symbols: list[str | None], conventions: Conventions, fmt: OutputFormat) -> None:
    from cnncalc.errors import SpecError
    from cnncalc.features.symbolic.output import table_lines, to_json
    from cnncalc.features.symbolic.sizes import analyze_symbolic
    from cnncalc.render.table import terminal_width

    if fmt not in (OutputFormat.table, OutputFormat.json):
        raise SpecError.single("a symbolic summary prints as a table or JSON", hint="use --format table or json")
    report = analyze_symbolic(loaded, symbols, conventions)
    if fmt is OutputFormat.json:
        echo_json(to_json(report))
    else:
        echo_lines(table_lines(report, terminal_width()))


def _echo_training(report: Report, memory: TrainingMemory, fmt: OutputFormat, rf: bool) -> None:
    """The summary, then what training keeps; CSV holds the training rows only (one table per file)."""
    from cnncalc.features.training import output as out
    from cnncalc.render.summary import table_lines, to_json, to_markdown
    from cnncalc.render.table import terminal_width

    units = report.conventions.units
    if fmt is OutputFormat.json:
        echo_json({**to_json(report), "training": out.training_json(memory)})
    elif fmt is OutputFormat.csv:
        typer.echo(out.to_csv(memory), nl=False)
    elif fmt is OutputFormat.markdown:
        typer.echo(to_markdown(report) + out.to_markdown(memory, units))
    else:
        width = terminal_width()
        echo_lines(table_lines(report, width, receptive_field=rf) + out.table_lines(memory, width, units))


@handles_errors
def convert(
    dsl: Annotated[str, typer.Argument(help='A one-line DSL string, e.g. "224x224x3 | 2x conv3-64 | maxpool".')],
    name: Annotated[str | None, typer.Option(help="Name written into the spec.")] = None,
) -> None:
    """Turn a DSL string into an equivalent YAML spec (printed to stdout).

    Example:

        cnncalc convert "32x32x3 | conv5-8 p=0 | maxpool | fc-10" > net.yaml
    """
    import yaml

    from cnncalc.render.escape import terminal
    from cnncalc.spec.dsl import parse_dsl
    from cnncalc.spec.loader import validate_spec

    data, source_map = parse_dsl(dsl)
    if name:
        data["name"] = name
    validate_spec(data, source_map)
    typer.echo("# converted from: " + terminal(" ".join(dsl.split())))
    typer.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120), nl=False)


def register(app: typer.Typer) -> None:
    """Add `summarize` and `convert` to the app."""
    app.command()(summarize)
    app.command()(convert)
