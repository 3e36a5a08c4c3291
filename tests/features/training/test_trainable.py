"""Configurations PyTorch refuses to train, and the warnings of batch 1, in the library and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError
from cnncalc.features.training.memory import training_memory
from cnncalc.features.training.trainable import PYTORCH_REFUSAL, trainability
from cnncalc.spec import load_spec, load_spec_text

#: a batch norm after global pooling: one value per channel at batch 1
POOLED_NORM = """
name: pooled-norm
input: [16, 16, 3]
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: 1}
  - {kind: global_avg_pool}
  - {kind: batch_norm, name: late_bn}
  - {kind: dropout, name: drop, rate: 0.5}
  - {kind: dense, units: 4}
"""


def test_pytorch_refuses_batch_norm_on_one_value_per_channel() -> None:
    """The oracle: PyTorch's own refusal, in the words cnncalc quotes."""
    torch = pytest.importorskip("torch")
    norm = torch.nn.BatchNorm1d(8).train()
    with pytest.raises(ValueError, match=PYTORCH_REFUSAL):
        norm(torch.zeros(1, 8))
    norm(torch.zeros(2, 8))  # two values per channel: trains
    torch.nn.BatchNorm2d(8).train()(torch.zeros(1, 8, 2, 1))  # batch 1, two positions: trains


@pytest.mark.parametrize(("batch", "refused"), [(1, True), (2, False)])
def test_one_value_per_channel_is_refused_at_batch_1_only(batch: int, refused: bool) -> None:
    spec = load_spec_text(POOLED_NORM).model_copy(update={"batch": batch})
    checked = trainability(spec, analyze(spec))
    assert bool(checked.refused) is refused
    if refused:
        assert "layer 'late_bn' (batch_norm) has one value per channel" in checked.refused[0]
        with pytest.raises(CnncalcError):
            checked.raise_refused()
    else:
        checked.raise_refused()


def test_batch_1_warns_of_batch_norm_and_dropout() -> None:
    spec = load_spec("resnet18").model_copy(update={"batch": 1})
    (norms,) = trainability(spec, analyze(spec)).warnings
    assert norms.startswith("batch 1: batch norm ('bn1', 'layer1.0.bn1', 'layer1.0.bn2' and 17 more)")
    dropout = load_spec_text(POOLED_NORM.replace("[16, 16, 3]", "[16, 16, 3]\nbatch: 2"))
    assert trainability(dropout, analyze(dropout)).warnings == ()
    plain = load_spec("lenet5")
    assert trainability(plain, analyze(plain)).warnings == ()


def test_cli_refuses_and_warns(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pooled.yaml"
    path.write_text(POOLED_NORM, encoding="utf-8")
    refused = runner.invoke(app, ["summarize", str(path), "--training"])
    assert refused.exit_code == 2 and PYTORCH_REFUSAL in refused.stderr and "Traceback" not in refused.output
    assert "batch of 2 or more" in refused.stderr
    fine = runner.invoke(app, ["summarize", str(path), "--training", "--batch", "2"])
    assert fine.exit_code == 0 and "warning" not in fine.stderr
    warned = runner.invoke(app, ["summarize", "resnet18", "--training", "--input", "64x64x3"])
    assert warned.exit_code == 0 and "warning: batch 1: batch norm" in warned.stderr
    assert "Training memory" in warned.stdout  # on stderr only: the figures are untouched


def test_solve_never_answers_a_batch_pytorch_refuses(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pooled.yaml"
    path.write_text(POOLED_NORM, encoding="utf-8")
    spec = load_spec_text(POOLED_NORM)
    at1 = training_memory(spec, analyze(spec)).peak_bytes
    # a budget batch 1 fits but batch 2 does not: no batch PyTorch trains fits
    result = runner.invoke(app, ["solve", str(path), "--training", "--max-memory", str(at1 + 1)])
    assert result.exit_code == 2, result.output
    assert "smallest batch PyTorch trains" in result.stderr


def test_solve_hints_name_only_options_solve_has(runner: CliRunner) -> None:
    result = runner.invoke(app, ["solve", "resnet50", "--max-macs", "2 GFLOPs"])
    assert result.exit_code == 2
    assert "FLOPs are not MACs: 1 MAC = 2 FLOPs; give this budget in MACs" in result.stderr
    assert "flops" not in result.stderr.replace("FLOPs", "")  # no --max-flops, no max_flops
    options = runner.invoke(app, ["solve", "--help"]).stdout
    assert "--max-flops" not in options


def test_solve_prints_an_exa_budget_with_its_prefix(runner: CliRunner) -> None:
    result = runner.invoke(app, ["solve", "resnet50", "--max-macs", "1e18"])
    assert result.exit_code == 0, result.output
    assert "1,000,000,000,000,000,000 MACs (1.00 E)" in result.stdout
    assert " P)" not in result.stdout
