"""CI commands: `check` (budgets), `diff` (what a change costs) and `schema` (for editors).

Thin: options are parsed here, the work is in cnncalc.budgets and cnncalc.budgets.diff, and
rich is only used for the terminal tables. Heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cnncalc.cli.common import handles_errors, stdout_console

if TYPE_CHECKING:
    from rich.console import Console

    from cnncalc.budgets.check import SpecResult
    from cnncalc.budgets.diff import Diff


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    junit = "junit"
    github = "github"


class DiffFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


@handles_errors
def check(
    specs: Annotated[
        list[str], typer.Argument(help="Spec files, bundled names or glob patterns ('models/**/*.yaml').")
    ],
    budgets: Annotated[
        list[str] | None, typer.Option("--budgets", "-b", help="A YAML budgets file shared by the specs (repeatable).")
    ] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.table,
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
) -> None:
    """Check networks against their budgets: exit 0 if all hold, 1 if one is exceeded, 2 if a spec is invalid.

    Budgets come from each spec's `budgets:` section, from --budgets files and from the
    options; every one is checked.

    Examples:

        cnncalc check models/*.yaml --max-params 25M --max-macs 4G

        cnncalc check 'models/**/*.cnncalc.yaml' --budgets ci/budgets.yaml --format github
    """
    from cnncalc.budgets.check import check_all, exit_code, load_budgets_file, option_limits

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
    shared = [limit for path in budgets or [] for limit in load_budgets_file(path)] + option_limits(options)
    results = check_all(specs, shared)
    for result in results:
        for diagnostic in result.errors:
            typer.echo(diagnostic.render(), err=True)
    _print_check(results, fmt)
    raise typer.Exit(exit_code(results))


def _print_check(results: Sequence[SpecResult], fmt: CheckFormat) -> None:
    from cnncalc.budgets import check as budgets

    if fmt is CheckFormat.json:
        typer.echo(json.dumps(budgets.to_json(results), indent=2))
    elif fmt is CheckFormat.junit:
        typer.echo(budgets.to_junit(results), nl=False)
    elif fmt is CheckFormat.github:
        for line in budgets.to_github(results):
            typer.echo(line)
    else:
        console = stdout_console()
        for result in results:
            _check_table(result, console)
        typer.echo(_verdict(results))


def _check_table(result: SpecResult, console: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from cnncalc.budgets import check as budgets

    title = f"{result.spec}" + (f" ({result.name})" if result.name and result.name not in result.spec else "")
    if not result.outcomes:
        console.print(Text(budgets.summary_line(result)), soft_wrap=True)
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Budget")
    for column in ("Actual", "Limit", "Margin"):
        table.add_column(column, justify="right")
    table.add_column("Result")
    table.add_column("Set in")
    for o in result.outcomes:
        unit = budgets.unit_of(o.limit.key)
        actual = budgets.format_value(o.actual, unit) + (f" ({o.layer})" if o.layer else "")
        failed = "MISMATCH" if o.limit.key == "output_shape" else "EXCEEDED"
        verdict = Text("ok", style="green") if o.ok else Text(failed, style="bold red")
        table.add_row(
            o.limit.key,
            actual,
            budgets.format_value(o.limit.value, unit),
            budgets.format_percent(o.margin_fraction),
            verdict,
            budgets.set_in(o.limit),
        )
    console.print(table)
    for o in result.outcomes:
        for e in o.excess:
            console.print(Text(f"  {e.location or result.spec}: {budgets.describe_layer(o, e)}"), soft_wrap=True)
    console.print(Text(budgets.summary_line(result)), soft_wrap=True)


def _verdict(results: Sequence[SpecResult]) -> str:
    statuses = [r.status for r in results]
    parts = [f"{statuses.count(s)} {s}" for s in ("ok", "exceeded", "invalid") if statuses.count(s)]
    return f"cnncalc check: {len(results)} spec(s): {', '.join(parts)}"


@handles_errors
def diff(
    old: Annotated[str, typer.Argument(help="The old spec: a file or a bundled name.")],
    new: Annotated[str, typer.Argument(help="The new spec: a file or a bundled name.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="table, markdown (a PR comment) or json.")] = (
        DiffFormat.table
    ),
    everything: Annotated[bool, typer.Option("--all", help="Also list the layers that did not change.")] = False,
) -> None:
    """Per-layer and total deltas between two networks: params, MACs and memory, before and after.

    Layers are matched by name, then by position; the rest were added or removed.

    Examples:

        cnncalc diff vgg16 vgg19

        git show main:model.yaml > /tmp/old.yaml && cnncalc diff /tmp/old.yaml model.yaml --format markdown
    """
    from cnncalc.analysis import analyze
    from cnncalc.budgets.diff import diff_reports, titles, to_json, to_markdown
    from cnncalc.spec import load_spec

    result = diff_reports(analyze(load_spec(old)), analyze(load_spec(new)))
    names = titles(result, old, new)
    if fmt is DiffFormat.json:
        typer.echo(json.dumps(to_json(result, old, new), indent=2))
    elif fmt is DiffFormat.markdown:
        typer.echo(to_markdown(result, everything, names), nl=False)
    else:
        _diff_table(result, everything, names, stdout_console())


def _diff_table(result: Diff, everything: bool, names: tuple[str, str], console: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from cnncalc.budgets.diff import LAYER_METRICS, change_label, percent_change, shown_changes, signed, summary

    totals = Table(title=f"{names[0]} -> {names[1]}", title_justify="left", box=box.SIMPLE_HEAD)
    totals.add_column("Total")
    for column in ("Before", "After", "Change", "%"):
        totals.add_column(column, justify="right")
    for t in result.totals:
        totals.add_row(t.label, f"{t.before:,}", f"{t.after:,}", signed(t.delta), percent_change(t.before, t.after))
    console.print(totals)
    changes = shown_changes(result, everything)
    console.print(Text(summary(result)), soft_wrap=True)
    if not changes:
        return
    layers = Table(box=box.SIMPLE_HEAD)
    layers.add_column("Layer")
    layers.add_column("Change")
    layers.add_column("Output shape")
    for _, title, _ in LAYER_METRICS:
        for column in (f"{title} before", "after", "delta"):
            layers.add_column(column, justify="right")
    for c in changes:
        before, after = result.shape_before(c), result.shape_after(c)
        shape = f"{before} -> {after}" if before and after and before != after else before or after
        cells = [c.name, change_label(c), shape]
        for metric, _, _ in LAYER_METRICS:
            cells += [
                f"{c.before(metric):,}" if c.old else "",
                f"{c.after(metric):,}" if c.new else "",
                signed(c.delta(metric)),
            ]
        layers.add_row(*cells)
    console.print(layers)


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, from the pydantic models, with what their before-validators accept.

    `Spec.model_json_schema()` describes the validated form; the loader also accepts the
    shorthands people write — `input: 224x224x3` and kind aliases (`maxpool`, `fc`, `conv2d`)
    — so they are added here, or editors would flag valid specs.
    """
    from cnncalc.layers import ALIASES, REGISTRY
    from cnncalc.spec.model import SHAPE_PATTERN, Spec

    schema = Spec.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    for name, definition in defs.items():
        kind = definition.get("properties", {}).get("kind")
        if kind is None or name not in {cls.__name__ for cls in REGISTRY.values()}:
            continue
        canonical = kind.pop("enum", None) or [kind.pop("const")]
        aliases = sorted(alias for alias, target in ALIASES.items() if target in canonical)
        kind["enum"] = [*canonical, *aliases]
    shorthand = {
        "type": "string",
        "pattern": SHAPE_PATTERN,
        "description": "Shorthand for an HWC shape: 224x224x3.",
    }
    schema["properties"]["input"] = {
        **{k: v for k, v in schema["properties"]["input"].items() if k != "$ref"},
        "anyOf": [
            {"$ref": "#/$defs/InputSpec"},
            shorthand,
            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4},
            {"type": "integer", "minimum": 1},
        ],
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as `cnncalc schema` prints it and cnncalc/schema/spec.schema.json holds it."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


@handles_errors
def schema() -> None:
    """Print the JSON Schema of the spec, for editor completion and validation.

    Example:

        cnncalc schema > spec.schema.json

    then start a spec with `# yaml-language-server: $schema=./spec.schema.json`.
    """
    typer.echo(schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    """Add `check`, `diff` and `schema` to the app."""
    app.command()(check)
    app.command()(diff)
    app.command()(schema)
