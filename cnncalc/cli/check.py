"""`cnncalc check`: hold networks to their budgets in CI (exit 0, 1 when one is exceeded, 2 invalid).

Thin: options are parsed here, the work is cnncalc.features.budgets.check, the output
cnncalc.features.budgets.check_output.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import echo_error, echo_text, handles_errors, spec_loader
from cnncalc.render.formats import OutputFormat

FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.junit, OutputFormat.github)


@handles_errors
def check(
    specs: Annotated[
        list[str], typer.Argument(help="Spec files, bundled names or glob patterns ('models/**/*.yaml').")
    ],
    budgets: Annotated[
        list[str] | None, typer.Option("--budgets", "-b", help="A YAML budgets file shared by the specs (repeatable).")
    ] = None,
    fmt: Annotated[OutputFormat, options.format_option(*FORMATS)] = OutputFormat.table,
    max_params: Annotated[str | None, typer.Option(help="Most params in total, e.g. 25M.")] = None,
    max_trainable_params: Annotated[str | None, typer.Option(help="Most trainable params.")] = None,
    max_macs: Annotated[str | None, typer.Option(help="Most MACs (multiply-adds), e.g. 4G.")] = None,
    max_flops: Annotated[str | None, typer.Option(help="Most FLOPs, e.g. '8 GFLOPs'.")] = None,
    max_activation_memory: Annotated[
        str | None, typer.Option(help="Most activation memory (sum), e.g. 100MiB.")
    ] = None,
    max_peak_memory: Annotated[str | None, typer.Option(help="Most peak live activation memory.")] = None,
    max_param_memory: Annotated[str | None, typer.Option(help="Most parameter memory.")] = None,
    max_training_memory: Annotated[str | None, typer.Option(help="Most training memory (estimate).")] = None,
    max_layer_params: Annotated[str | None, typer.Option(help="Most params in any one layer.")] = None,
    max_layer_macs: Annotated[str | None, typer.Option(help="Most MACs in any one layer.")] = None,
    output_shape: Annotated[str | None, typer.Option(help="Expected output shape, e.g. 1000 or 7x7x512.")] = None,
    input_shape: options.EveryInput = None,
) -> None:
    """Check networks against their budgets: exit 0 if all hold, 1 if one is exceeded, 2 if a spec is invalid.

    Budgets come from each spec's `budgets:` section, from --budgets files and from the
    options; every one is checked.

    Examples:

        cnncalc check models/*.yaml --max-params 25M --max-macs 4G

        cnncalc check 'models/**/*.cnncalc.yaml' --budgets ci/budgets.yaml --format github
    """
    from cnncalc.features.budgets.check import (
        check_all,
        exit_code,
        load_budgets_file,
        option_limits,
        stray_unit,
        unit_apart,
    )
    from cnncalc.features.budgets.check_output import WRITERS
    from cnncalc.render.table import terminal_width

    options = {
        "max_params": max_params,
        "max_trainable_params": max_trainable_params,
        "max_macs": max_macs,
        "max_flops": max_flops,
        "max_activation_memory": max_activation_memory,
        "max_peak_memory": max_peak_memory,
        "max_param_memory": max_param_memory,
        "max_training_memory": max_training_memory,
        "max_layer_params": max_layer_params,
        "max_layer_macs": max_layer_macs,
        "output_shape": output_shape,
    }
    stray = next((ref for ref in specs if stray_unit(ref)), None)
    if stray is not None:  # one error, before any spec is read or any table printed
        raise unit_apart(stray, options)
    shared = [limit for path in budgets or [] for limit in load_budgets_file(path)] + option_limits(options)
    results = check_all(specs, shared, spec_loader(input_shape))
    for result in results:
        for diagnostic in result.errors:
            echo_error(diagnostic.render())
    echo_text(WRITERS.write(fmt, results, terminal_width()))
    raise typer.Exit(exit_code(results))


def register(app: typer.Typer) -> None:
    """Add `check` to the app."""
    app.command()(check)
