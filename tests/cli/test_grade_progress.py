"""`grade FOLDER` shows a progress bar on a terminal, counts only, and nothing of it in a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLASS = ROOT / "examples" / "class"


def _read_all(fd: int) -> bytes:
    """What a pseudo-terminal's leader holds once the other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the follower is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_sees_a_progress_bar_of_counts_and_a_pipe_sees_none() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "cnncalc", "grade", "lenet5", str(CLASS), "--format", "json"]
    leader, follower = os.openpty()
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120, check=False)
        os.close(follower)
        shown = _read_all(leader).decode("utf-8", "replace")
    finally:
        os.close(leader)
    sheets = len([p for p in CLASS.iterdir() if p.suffix in (".csv", ".tsv", ".md", ".yaml", ".json", ".txt")])
    assert done.returncode in (0, 1) and done.stdout.startswith(b"{")
    assert "grading" in shown and f"{sheets}/{sheets}" in shown
    assert "alice" not in shown and "bob" not in shown  # counts only: no name a student chose
    piped = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    assert b"grading" not in piped.stderr and piped.stdout == done.stdout
