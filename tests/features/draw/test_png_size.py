"""A PNG of any network: a picture taller than the renderer's limit is drawn smaller, with a note.

cairo's image surfaces hold at most 32,767 pixels a side; DenseNet-121's diagram is 30,783 px
tall, so at the usual 2x it ended in an internal error.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.features.draw.png import MAX_SIDE, fitted_scale


def svg(width: float, height: float) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 1 1"></svg>'


def test_a_picture_that_fits_keeps_the_scale() -> None:
    assert fitted_scale(svg(690.7, 245)) == (2.0, None)
    assert fitted_scale(svg(100, MAX_SIDE / 2)) == (2.0, None)


@pytest.mark.parametrize(("width", "height"), [(495.7, 30783), (40000, 300), (500, 2_000_000)])
def test_a_picture_too_large_is_scaled_to_fit(width: float, height: float) -> None:
    scale, note = fitted_scale(svg(width, height))
    assert scale < 2.0
    assert max(width, height) * scale <= MAX_SIDE
    assert note is not None and "limit of 32,767 pixels a side" in note and f"{scale:.3g}x" in note


def test_cli_draws_densenet_at_a_scale_that_fits_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scales: list[float] = []

    def svg2png(bytestring: bytes, scale: float) -> bytes:
        scales.append(scale)
        return b"\x89PNG\r\n\x1a\nfake"

    monkeypatch.setitem(sys.modules, "cairosvg", types.SimpleNamespace(svg2png=svg2png))
    out = tmp_path / "densenet.png"
    result = CliRunner().invoke(app, ["draw", "densenet121", "--depth", "all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("note: the diagram is 495.7 x 30,783 px; at 2x it passes")
    assert "--depth 1 or 2 gives a shorter picture" in result.stderr
    assert len(scales) == 1 and 30783 * scales[0] <= MAX_SIDE
    small = CliRunner().invoke(app, ["draw", "lenet5", "-o", str(tmp_path / "lenet.png")])
    assert small.exit_code == 0 and small.stderr == "" and scales[1] == 2.0


def test_a_renderer_refusal_is_an_error_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def svg2png(bytestring: bytes, scale: float) -> bytes:
        raise MemoryError("out of memory")

    monkeypatch.setitem(sys.modules, "cairosvg", types.SimpleNamespace(svg2png=svg2png))
    result = CliRunner().invoke(app, ["draw", "lenet5", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "cairosvg could not make the PNG: out of memory" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("cairosvg") is None, reason="cairosvg is not installed")
def test_densenet_png_with_cairosvg(tmp_path: Path) -> None:
    out = tmp_path / "densenet.png"
    result = CliRunner().invoke(app, ["draw", "densenet121", "--depth", "all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "note:" in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert height <= MAX_SIDE and width <= MAX_SIDE and height > 30000
