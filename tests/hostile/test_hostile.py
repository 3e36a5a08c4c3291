"""Every hostile input of the corpus is refused as promised: its exit code, a message, no traceback.

Time and memory of each refusal are measured by benchmarks/bench_hostile.py, not here; the alarm
below only turns a hang into a failure instead of a stalled test run.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from cases import Case
from hostile_corpus import all_cases
from typer.testing import CliRunner

from cnncalc.cli import app

CASES = all_cases()


class HangError(Exception):
    pass


@pytest.fixture
def alarm() -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise HangError("no answer within 60 s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [case_id for case_id, _ in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150
    model_files = [case_id for case_id in ids if case_id.split("/")[0] in ("onnx", "keras", "model-files")]
    assert len(model_files) >= 100


@pytest.mark.parametrize(("case_id", "case"), CASES, ids=[case_id for case_id, _ in CASES])
def test_hostile_input_is_refused(
    case_id: str, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alarm: None
) -> None:
    argv = case.prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, argv)
    output = result.output
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code == case.exit_code, output
    if case.exit_code == 2:
        assert "error" in output.lower(), output
    assert case.message.lower() in output.lower(), output
