"""docs/interop.md shows real output: the exported LeNet, its import and the match, rerun here."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app

DOC = (Path(__file__).resolve().parents[3] / "docs" / "interop.md").read_text(encoding="utf-8")


def shown(command: str) -> list[str]:
    """The lines the page shows under `$ command`, up to the closing fence."""
    block = re.search(r"```\n\$ " + re.escape(command) + r"\n(.*?)```", DOC, re.S)
    assert block is not None, command
    return block.group(1).rstrip().splitlines()


def test_exported_module_is_what_the_page_shows(tmp_path: Path) -> None:
    block = re.search(r"```py\n(class Lenet5.*?)```", DOC, re.S)
    assert block is not None
    result = CliRunner().invoke(app, ["export", "lenet5", "--to", "pytorch"])
    assert result.exit_code == 0
    assert block.group(1).rstrip() in result.stdout


def test_import_and_match_are_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    runner = CliRunner()
    source = runner.invoke(app, ["export", "lenet5"]).stdout
    namespace: dict[str, Any] = {"__name__": "lenet5"}  # what the exported module defines
    exec(compile(source, "lenet5.py", "exec"), namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            namespace["Lenet5"](), (torch.zeros(1, 3, 32, 32),), str(tmp_path / "lenet5.onnx"), dynamo=False
        )
    monkeypatch.chdir(tmp_path)
    imported = runner.invoke(app, ["import", "lenet5.onnx"])
    assert imported.exit_code == 0
    head = [line for line in shown("cnncalc import lenet5.onnx") if line != "..."]
    printed = imported.stdout.splitlines()[: len(head)]
    # the description names the PyTorch version that exported the model; the rest is exact
    assert [x for x in printed if not x.startswith("description:")] == [
        x for x in head if not x.startswith("description:")
    ]
    matched = runner.invoke(app, ["match", "lenet5", "lenet5.onnx"])
    assert matched.exit_code == 0
    assert matched.stdout.rstrip().splitlines() == shown("cnncalc match lenet5 lenet5.onnx")


def test_the_keras_layers_listed_are_the_importers_own_table() -> None:
    from cnncalc.features.interop.keras.kinds import KERAS_KINDS, KERAS_LAYERS, keras_layers_markdown

    assert keras_layers_markdown() in DOC, (
        "docs/interop.md (Keras in) is stale: paste cnncalc.features.interop.keras.kinds.keras_layers_markdown()"
    )
    # every Keras layer the capability table says a kind is read from is a row of the page's table
    named = {layer for layers in KERAS_KINDS.handlers.values() for layer in layers}
    assert named <= set(KERAS_LAYERS), sorted(named - set(KERAS_LAYERS))
    # and every row but those that make no layer of their own names a kind it makes
    quiet = {"InputLayer", "Sequential, Functional"}
    assert set(KERAS_LAYERS) - named == quiet
