"""`cnncalc solve`: the largest square input within a MAC budget, or the largest batch within memory."""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_json, echo_lines, handles_errors
from cnncalc.cli.groups import Take, expand_groups
from cnncalc.render.formats import OutputFormat


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
    optimizer: options.Optimizer = options.OptimizerOption.sgd,
    fmt: Annotated[OutputFormat, options.format_option(OutputFormat.table, OutputFormat.json)] = OutputFormat.table,
) -> None:
    """Solve for a budget: the largest square input within --max-macs, or the largest batch
    within --max-memory (inference: parameters + peak activations; --training: the training
    peak of `summarize --training`). Each answer is analysed, and so is the next size up.

    Examples:

        cnncalc solve resnet50 --max-macs 2G

        cnncalc solve resnet50 --max-memory 8GiB --training --optimizer adam
    """
    from cnncalc.errors import SpecError
    from cnncalc.features.symbolic.solve import SolveError, largest_batch, largest_square_input
    from cnncalc.features.symbolic.solve_output import solution_json, solution_lines
    from cnncalc.units import UnitError, parse_bytes, parse_macs

    if (max_macs is None) == (max_memory is None):
        raise SpecError.single(
            "give exactly one budget: --max-macs or --max-memory",
            hint="e.g. `cnncalc solve resnet50 --max-macs 2G`",
        )
    loaded = network.load(any_size=max_macs is not None)  # --max-macs tries input sizes of its own
    option = "--max-macs" if max_macs is not None else "--max-memory"
    try:
        if max_macs is not None:
            # solve has no FLOPs budget: a FLOPs unit is told to give MACs, not sent to an option it lacks
            solution = largest_square_input(loaded, parse_macs(max_macs, instead={}))
        else:
            solution = largest_batch(loaded, parse_bytes(max_memory), training, optimizer.value)
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
    if fmt is OutputFormat.json:
        echo_json(solution_json(solution))
    else:
        echo_lines(solution_lines(solution, training, optimizer.value))


def register(app: typer.Typer) -> None:
    """Add `solve` to the app."""
    app.command()(solve)
