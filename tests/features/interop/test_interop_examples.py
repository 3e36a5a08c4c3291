"""examples/models/tiny-cnn.onnx, the model docs/interop.md imports, is rebuilt here byte for byte.

A binary file in the repository is only trustworthy when its recipe is: this test builds the
model with onnx.helper and checks the shipped file is exactly that model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("onnx")

from test_interop_onnx import Net

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "models" / "tiny-cnn.onnx"


def tiny_cnn() -> Any:
    """conv 3->8 (3x3, pad 1), ReLU, 2x2 max pool, conv 8->16 (3x3), ReLU, global average, dense 16->10."""
    net = Net([3, 16, 16])
    x = net.conv("conv1", "x", 3, 8, 3, pads=[1, 1, 1, 1])
    x = net.op("Relu", "relu1", [x])
    x = net.op("MaxPool", "pool1", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = net.conv("conv2", x, 8, 16, 3)
    x = net.op("Relu", "relu2", [x])
    x = net.op("GlobalAveragePool", "gap", [x])
    x = net.op("Flatten", "flatten", [x])
    x = net.op("Gemm", "fc", [x, net.weight("fc.w", [10, 16]), net.weight("fc.b", [10])], transB=1)
    return net.model(x)


def test_the_shipped_example_model_is_the_recipe() -> None:
    assert EXAMPLE.read_bytes() == tiny_cnn().SerializeToString()


if __name__ == "__main__":  # regenerate: python tests/features/interop/test_interop_examples.py
    EXAMPLE.write_bytes(tiny_cnn().SerializeToString())


def test_every_spec_argument_takes_a_model_file() -> None:
    from typer.testing import CliRunner

    from cnncalc.cli import app

    runner = CliRunner()
    summary = runner.invoke(app, ["summarize", str(EXAMPLE), "-f", "json"])
    assert summary.exit_code == 0, summary.output
    # conv1 (3*3*3+1)*8 = 224, conv2 (3*3*8+1)*16 = 1,168, fc (16+1)*10 = 170
    assert '"params": 1562' in summary.stdout
    over = runner.invoke(app, ["check", str(EXAMPLE), "--max-params", "1K"])
    assert over.exit_code == 1, over.output
    within = runner.invoke(app, ["check", str(EXAMPLE), "--max-params", "2K"])
    assert within.exit_code == 0, within.output
    assert runner.invoke(app, ["explain", str(EXAMPLE)]).exit_code == 0
