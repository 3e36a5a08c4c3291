"""A kind registered from outside the package, through every command that takes a spec.

Each command either handles the kind (exit 0: what it does reads only the symbolic rules,
or its capability table has a fallback for any kind) or refuses it with exit 2, naming the
layer's kind and the feature; never an internal error (exit 3) or a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import Field
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers import Counts, LayerBase, Shape, register_kind, unregister_kind
from cnncalc.layers.base import Positive, Step
from cnncalc.layers.steps import no_params_steps, unchanged_steps

ROOT = Path(__file__).resolve().parents[2]


class OutsideShuffle(LayerBase):
    """A channel shuffle, as a plug-in would declare it: symbolic rules only."""

    kind: Literal["outside_shuffle"] = Field(description="outside_shuffle")
    groups: Positive = Field(description="Groups whose channels are interleaved.")
    family: ClassVar[str] = "permutation"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        if len(x) < 2 or x[0] % self.groups:
            raise LayerRuleError(f"groups={self.groups} must divide the channels", field="groups")
        return Counts(output=x, flops=0)

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        self.apply(x, c)
        return (*unchanged_steps(x, "reorders the channels"), *no_params_steps("only reordered"))


class OutsideCrop(LayerBase):
    """Takes one pixel off every side: a kind that changes the spatial sizes."""

    kind: Literal["outside_crop"] = Field(description="outside_crop")
    family: ClassVar[str] = "resample"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=(x[0], *(n - 2 for n in x[1:])), flops=0)


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    register_kind(OutsideShuffle)
    register_kind(OutsideCrop)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(
        "name: outside\ninput: 8x8x4\nlayers:\n"
        "  - {kind: conv, name: conv1, filters: 8, kernel: 3, padding: 1}\n"
        "  - {kind: outside_shuffle, name: shuffle1, groups: 2}\n"
        "  - {kind: fc, name: fc1, units: 10}\n",
        encoding="utf-8",
    )
    (tmp_path / "crop.yaml").write_text(
        "name: crop\ninput: 16x16x3\nlayers:\n"
        "  - {kind: conv, name: conv1, filters: 4, kernel: 3, padding: 1}\n"
        "  - {kind: outside_crop, name: crop1}\n",
        encoding="utf-8",
    )
    try:
        yield tmp_path
    finally:
        unregister_kind(OutsideShuffle)
        unregister_kind(OutsideCrop)


#: (command line, expected exit code, words the refusal names)
COMMANDS = [
    (["summarize", "net.yaml"], 0, ()),
    (["summarize", "net.yaml", "--training"], 2, ("outside_shuffle", "shuffle1", "the training memory model")),
    (["summarize", "net.yaml", "--input", "HxWx4"], 0, ()),
    (["summarize", "crop.yaml", "--input", "HxWx3"], 2, ("outside_crop", "crop1", "the symbolic walk")),
    (["summarize", "net.yaml", "--convention", "all"], 0, ()),
    (["summarize", "net.yaml", "--convention", "thop"], 0, ()),
    (["explain", "net.yaml"], 0, ()),
    (["grade", "net.yaml", "--template"], 0, ()),
    (["check", "net.yaml", "--max-params", "1M"], 0, ()),
    (["diff", "net.yaml", "net.yaml"], 0, ()),
    (["verify", "net.yaml"], 2, ("outside_shuffle", "shuffle1", "verify cannot run", "the numeric core")),
    (["export", "net.yaml", "--to", "pytorch"], 2, ("outside_shuffle", "shuffle1", "the PyTorch export")),
    (["draw", "net.yaml"], 0, ()),
    (["draw", "net.yaml", "--format", "dot"], 0, ()),
    (["draw", "net.yaml", "--format", "mermaid"], 0, ()),
    (["report", "net.yaml"], 0, ()),
    (["compare", "net.yaml", "net.yaml"], 0, ()),
    (["solve", "net.yaml", "--max-macs", "1G"], 0, ()),
    (["solve", "net.yaml", "--max-memory", "1GiB", "--training"], 2, ("outside_shuffle", "the training memory model")),
    (["match", "net.yaml", str(ROOT / "examples" / "models" / "tiny-cnn.onnx")], None, ()),
]


@pytest.mark.parametrize(("args", "code", "named"), COMMANDS, ids=[" ".join(c[0][:3]) for c in COMMANDS])
def test_every_command_handles_or_refuses_an_outside_kind(
    outside: Path, args: list[str], code: int | None, named: tuple[str, ...]
) -> None:
    result = CliRunner().invoke(app, args)
    output = result.output
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exit_code != 3 and not (result.exception and not isinstance(result.exception, SystemExit)), output
    if code is None:  # match compares with a model: the spec's extra layer is a difference, not an error
        assert result.exit_code in (0, 1), output
        return
    assert result.exit_code == code, output
    for word in named:
        assert word in output, (word, output)


def test_the_symbolic_fallback_keeps_the_sizes_of_a_kind_that_keeps_them(outside: Path) -> None:
    result = CliRunner().invoke(app, ["summarize", "net.yaml", "--input", "HxWx4", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "outside_shuffle" in result.output and "H" in result.output
