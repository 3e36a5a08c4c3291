"""`cnncalc export`: a spec as code for a framework (today PyTorch), to train what was designed."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cnncalc.cli import options
from cnncalc.cli.common import handles_errors
from cnncalc.render.escape import terminal


class Target(StrEnum):
    pytorch = "pytorch"


@handles_errors
def export_command(
    spec: Annotated[str, typer.Argument(help="A spec file (YAML) or a bundled network name.")],
    to: Annotated[Target, typer.Option("--to", help="The framework to write code for.")] = Target.pytorch,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the code to this file instead of stdout.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    input_shape: options.Input = None,
) -> None:
    """Write a spec as a readable PyTorch nn.Module: one attribute and one forward line per layer.

    Blocks are expanded, `from:` becomes variables, shared weights are one module called twice.
    The code needs only torch; cnncalc does not import it.

    Examples:

        cnncalc export resnet18 --to pytorch -o resnet18.py

        cnncalc export my_net.yaml --input 64x64x3
    """
    from cnncalc.cli.files import write_text_safely
    from cnncalc.features.interop.pytorch import export_pytorch

    loaded = options.NetworkArgs(spec, input_shape=input_shape).load()
    text = export_pytorch(loaded)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text_safely(output, text, "--output", inputs=[Path(spec)], force=force)
        typer.echo(f"wrote {terminal(str(output))}", err=True)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
