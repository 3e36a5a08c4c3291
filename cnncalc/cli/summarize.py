"""`cnncalc summarize` (the per-layer table and totals) and `cnncalc convert` (DSL to YAML)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_text, handles_errors, load_any, training_choices
from cnncalc.cli.groups import expand_groups
from cnncalc.render.formats import OutputFormat

if TYPE_CHECKING:
    from cnncalc.spec.model import Layout, Spec

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
    optimizer: options.Optimizer = None,
    device: options.Device = None,
    threads: options.Threads = None,
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
    from cnncalc.render.summary import WRITERS, SummaryView
    from cnncalc.render.table import terminal_width

    chosen_optimizer, chosen_device, cores = training_choices(training, optimizer, device, threads)
    conventions = counts.conventions()
    loaded, symbols = _load(network.spec, network.dsl, network.input_shape)
    if symbols is not None:  # a symbolic --input is applied by _load
        network = network._replace(input_shape=None)
    loaded = network.apply_to(loaded)
    if training and convention is not options.ConventionOption.cnncalc:
        from cnncalc.errors import SpecError

        raise SpecError.single(
            f"--convention {convention.value} prints a tool's totals; --training adds to cnncalc's own summary",
            hint="give one of them",
        )
    if symbols is not None:
        symbolic = Symbolic(symbols, depth, convention.value, chosen_optimizer if training else None)
        _echo_symbolic(loaded, symbolic, counts, fmt, network.layout_shown())
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
        from cnncalc.features.training.trainable import trainability

        checked = trainability(loaded, report)
        checked.raise_refused()
        memory = training_memory(loaded, report, chosen_optimizer, chosen_device, cores)
        for warning in checked.warnings:
            echo_error(f"warning: {warning}")
    if depth is not None:
        report = replace(report, rows=rollup(report, depth))
    if memory is not None:
        from cnncalc.features.training.output import WRITERS as TRAINING
        from cnncalc.features.training.output import TrainingView

        echo_text(TRAINING.write(fmt, TrainingView(report, memory, rf), terminal_width()))
    else:
        echo_text(WRITERS.write(fmt, SummaryView(report, rf), terminal_width()))


def _load(spec: str | None, dsl: str | None, input_shape: str | None) -> tuple[Spec, list[str | None] | None]:
    """The network, and the symbols of its input when it has some (`--input HxWx3`, `input: [H, W, 3]`)."""
    from cnncalc.errors import SpecError

    symbolic = _symbolic_input(spec, dsl, input_shape)
    if symbolic is not None:
        return symbolic
    if input_shape is not None:  # sizes for a spec written with symbols: analysed at those sizes
        return load_any(spec, dsl, sized=True), None
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
    from cnncalc.features.symbolic.symbols import input_symbols, with_symbols
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
    return with_symbols(load_any(spec, dsl, sized=True), sizes), names


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
    from cnncalc.features.symbolic.symbols import load_symbolic

    return load_symbolic(spec)


class Symbolic(NamedTuple):
    """What a summary with symbolic sizes shows besides the expressions."""

    names: list[str | None]  # the input's symbols, in the written layout
    depth: int | None
    convention: str  # "cnncalc": the summary; a tool's name or "all": their totals
    optimizer: str | None  # with --training: the optimizer whose state it counts


def _echo_symbolic(
    loaded: Spec, symbolic: Symbolic, counts: options.CountingArgs, fmt: OutputFormat, layout: Layout | None
) -> None:
    """The summary with symbolic sizes, every option applied: counting rules, --depth, --layout,
    --training (training bytes as polynomials), --convention (the tools' totals as polynomials)."""
    from cnncalc.errors import SpecError
    from cnncalc.features.symbolic import output as out
    from cnncalc.features.symbolic.analysis import analyze_symbolic, rolled_up
    from cnncalc.features.symbolic.sums import preset_sums, training_sums
    from cnncalc.render.table import terminal_width

    if fmt not in out.WRITERS.formats:
        raise SpecError.single("a symbolic summary prints as a table or JSON", hint="use --format table or json")
    if symbolic.convention != "cnncalc":
        from cnncalc.cli.presets import refuse_clashes
        from cnncalc.features.peers.presets import PRESETS

        refuse_clashes(symbolic.convention, counts.no_bias, counts.keras_bn, symbolic.depth)
    report = analyze_symbolic(loaded, symbolic.names, counts.conventions())
    report = replace(report, layout=layout or report.layout)
    if symbolic.convention != "cnncalc":
        names = PRESETS if symbolic.convention == "all" else (symbolic.convention,)
        sums = preset_sums(loaded, symbolic.names, report, names)
        echo_text(out.WRITERS.write(fmt, out.SymbolicView(report, presets=(tuple(names), sums)), terminal_width()))
        return
    if symbolic.depth is not None:
        report = replace(report, rows=rolled_up(report, symbolic.depth))
    training = None
    if symbolic.optimizer is not None:
        training = training_sums(loaded, symbolic.names, report, symbolic.optimizer, counts.conventions())
        for warning in training.notes:  # the trainer's warnings (cnncalc.features.training.trainable)
            echo_error(f"warning: {warning}")
    asked = (symbolic.optimizer, training) if symbolic.optimizer is not None and training is not None else None
    echo_text(out.WRITERS.write(fmt, out.SymbolicView(report, training=asked), terminal_width()))


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
