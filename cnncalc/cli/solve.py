"""`cnncalc solve`: the largest square input within a MAC budget, or the largest batch within memory."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_text, handles_errors, training_choices
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.table, OutputFormat.json)

#: the share of the budget `solve --training` keeps free unless --margin says otherwise
TRAINING_MARGIN = Fraction(1, 10)


@handles_errors
@expand_groups
def solve(
    *,
    network: Annotated[options.NetworkArgs, Take("spec", "dsl", "dtype", "batch", "input_shape")],
    max_macs: Annotated[
        str | None, typer.Option("--max-macs", help="MAC budget (e.g. 2G): solve for the largest square input.")
    ] = None,
    max_memory: Annotated[
        str | None, typer.Option("--max-memory", help="Memory budget (e.g. 8GiB): solve for the largest batch.")
    ] = None,
    training: options.Training = False,
    optimizer: options.Optimizer = None,
    device: options.Device = None,
    threads: options.Threads = None,
    margin: Annotated[
        str | None,
        typer.Option(
            "--margin",
            help="Share of --max-memory kept free, e.g. 10% (default: 10% with --training, whose peak is a "
            "model; 0% without).",
        ),
    ] = None,
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
) -> None:
    """Solve for a budget: the largest square input within --max-macs, or the largest batch
    within --max-memory (inference: parameters + peak activations; --training: the training
    peak of `summarize --training`, on --device, with --margin kept free). Each answer is
    analysed, and so is the next size up.

    Examples:

        cnncalc solve resnet50 --max-macs 2G

        cnncalc solve resnet50 --max-memory 8GiB --training --optimizer adam
    """
    from cnncalc.errors import SpecError
    from cnncalc.features.symbolic.solve import SolveError, largest_batch, largest_square_input
    from cnncalc.features.symbolic.solve_output import WRITERS, SolveView
    from cnncalc.units import UnitError, parse_bytes, parse_macs

    if (max_macs is None) == (max_memory is None):
        raise SpecError.single(
            "give exactly one budget: --max-macs or --max-memory",
            hint="e.g. `cnncalc solve resnet50 --max-macs 2G`",
        )
    chosen_optimizer, chosen_device, cores = training_choices(training, optimizer, device, threads)
    kept = _margin(margin, training)
    loaded = network.load(any_size=max_macs is not None)  # --max-macs tries input sizes of its own
    option = "--max-macs" if max_macs is not None else "--max-memory"
    try:
        if max_macs is not None:
            # solve has no FLOPs budget: a FLOPs unit is told to give MACs, not sent to an option it lacks
            solution = largest_square_input(loaded, parse_macs(max_macs, instead={}))
        else:
            solution = largest_batch(
                loaded,
                parse_bytes(max_memory),
                training,
                chosen_optimizer,
                device=chosen_device,
                margin=kept,
                threads=cores,
            )
    except UnitError as e:
        raise SpecError.single(f"{option}: expected {e}", hint="e.g. --max-macs 2G, --max-memory 8GiB") from None
    except SolveError as e:  # the budget cannot be met, or is never reached: name the option that set it
        first = e.diagnostics[0]
        raise SolveError.single(f"{option}: {first.message}", hint=first.hint) from None
    if training and max_memory is not None:
        from cnncalc.core.walk import analyze
        from cnncalc.features.training.trainable import trainability

        for warning in trainability(solution.spec, analyze(solution.spec)).warnings:
            echo_error(f"warning: {warning}")
    view = SolveView(solution, training, chosen_optimizer, chosen_device, cores)
    echo_text(WRITERS.write(fmt, view, None))


def _margin(text: str | None, training: bool) -> Fraction:
    """--margin as a fraction of the budget: 10% (or 10) is 1/10; by default 10% with --training."""
    from cnncalc.errors import SpecError

    if text is None:
        return TRAINING_MARGIN if training else Fraction(0)
    number = text.strip().removesuffix("%").strip()
    try:
        share = Fraction(number) / 100
    except (ValueError, ZeroDivisionError):
        share = Fraction(-1)
    if not 0 <= share < 1 or len(number) > 20:
        raise SpecError.single(f"--margin {text!r}: expected a share from 0% to 99%", hint="e.g. --margin 10%")
    return share


def register(app: typer.Typer) -> None:
    """Add `solve` to the app."""
    app.command()(solve)
