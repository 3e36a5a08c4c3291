"""`draw` and `report` write the format asked for, or refuse: never markup under another name.

`-o slide.pdf` used to write SVG under that name with exit 0. A suffix the command cannot write is
exit 2 naming the formats it can; an interactive terminal gets a hint to save instead of a
screenful of markup, and a pipe still gets the markup.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnncalc.cli.common as common
from cnncalc.cli.app import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("name", ["slide.jpg", "slide.jpeg", "net.html", "net.txt", "net.v2"])
def test_draw_refuses_a_suffix_it_cannot_write(runner: CliRunner, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert result.exit_code == 2
    assert f"draw cannot write {out.suffix} files; it writes SVG (.svg), PNG (.png), PDF (.pdf)" in result.stderr
    assert "Graphviz DOT (.dot, .gv) and Mermaid (.mmd)" in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_draw_suffix_and_format_must_agree(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    result = runner.invoke(app, ["draw", "lenet5", "--format", "svg", "-o", str(out)])
    assert result.exit_code == 2
    assert "the suffix asks for png, but --format is svg" in result.stderr
    assert "end the name with .svg" in result.stderr
    assert not out.exists()


def test_draw_format_names_any_other_name(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "flow.md"  # Mermaid pasted into Markdown
    assert runner.invoke(app, ["draw", "lenet5", "--format", "mermaid", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("flowchart")
    plain = tmp_path / "diagram"  # no suffix: SVG, the default
    assert runner.invoke(app, ["draw", "lenet5", "-o", str(plain)]).exit_code == 0
    assert plain.read_text(encoding="utf-8").startswith("<svg")
    gv = tmp_path / "net.gv"
    assert runner.invoke(app, ["draw", "lenet5", "--format", "dot", "-o", str(gv)]).exit_code == 0


def test_draw_pdf_through_the_renderer(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    def svg2pdf(bytestring: bytes, scale: float) -> bytes:
        seen.append(bytestring)
        assert scale == 1.0
        return b"%PDF-1.5 fake"

    monkeypatch.setitem(sys.modules, "cairosvg", types.SimpleNamespace(svg2pdf=svg2pdf))
    out = tmp_path / "slide.pdf"
    result = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"%PDF-1.5 fake"
    assert seen and seen[0].startswith(b"<svg")


def test_draw_pdf_without_a_renderer_or_to_stdout(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnncalc.features.draw.png as png

    monkeypatch.setattr(png, "renderer", lambda: None)
    out = tmp_path / "slide.pdf"
    result = runner.invoke(app, ["draw", "lenet5", "-o", str(out)])
    assert result.exit_code == 2
    assert "PDF needs a renderer, and none is installed (cairosvg or rsvg-convert)" in result.stderr
    assert "pip install cairosvg" in result.stderr and not out.exists()
    to_stdout = runner.invoke(app, ["draw", "lenet5", "--format", "pdf"])
    assert to_stdout.exit_code == 2 and "PDF is written to a file" in to_stdout.stderr


@pytest.mark.parametrize(("name", "extra"), [("x.pdf", "print it to PDF"), ("x.svg", "name it x.html")])
def test_report_writes_html_only(runner: CliRunner, tmp_path: Path, name: str, extra: str) -> None:
    out = tmp_path / name
    result = runner.invoke(app, ["report", "lenet5", "-o", str(out)])
    assert result.exit_code == 2
    assert f"report cannot write {out.suffix} files; it writes HTML (.html, .htm)" in result.stderr
    assert extra in result.stderr and not out.exists()
    htm = tmp_path / "page.htm"
    assert runner.invoke(app, ["report", "lenet5", "-o", str(htm)]).exit_code == 0
    assert htm.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "message", "example"),
    [
        (["draw", "lenet5"], "draw writes SVG markup, which a terminal shows as text", "-o diagram.svg"),
        (["report", "lenet5"], "report writes an HTML page, which a terminal shows as text", "-o report.html"),
    ],
)
def test_markup_on_a_terminal_says_how_to_save(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str, example: str
) -> None:
    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr and example in result.stderr and "| cat" in result.stderr
    assert result.stdout == ""


def test_text_formats_still_print_on_a_terminal(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "stdout_is_terminal", lambda: True)
    result = runner.invoke(app, ["draw", "lenet5", "--format", "mermaid"])
    assert result.exit_code == 0 and result.stdout.startswith("flowchart")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_real_terminal_and_a_pipe() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cnncalc", "draw", "lenet5"],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert b"add -o diagram.svg" in done.stderr
    piped = subprocess.run(
        [sys.executable, "-m", "cnncalc", "draw", "lenet5"], capture_output=True, env=env, timeout=60, check=False
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"<svg")
