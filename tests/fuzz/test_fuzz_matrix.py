"""Fuzzing the matrix reader of `cnncalc conv` / `cnncalc pool`: any text or bytes in, and the
only exception that may come out is cnncalc's own (CnncalcError, exit 2).

Hypothesis draws arbitrary Unicode text, arbitrary bytes (read as a file and as stdin) and
text built from the format's own alphabet (digits, signs, points, exponents, fraction bars,
the separators, comments, minus signs pasted from PDFs, non-ASCII digits), which reaches deep
into the parser far more often than random text does. Whatever parses must be a well-formed
volume: channels of the same rectangular shape, exact Fractions. The example counts are small
so the suite stays fast (CNNCALC_FUZZ_EXAMPLES=N runs N per harness instead); under CI the
profile in tests/conftest.py derandomizes them.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.errors import CnncalcError
from cnncalc.features.worked.matrix import MAX_VALUES, Volume, parse_pair, parse_scalar, parse_value, parse_volume
from cnncalc.features.worked.reading import read_matrix, read_stream, read_text

#: examples per harness; CNNCALC_FUZZ_EXAMPLES raises it for a longer run than CI's (say 20000)
EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=max(1, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: the format's alphabet, with the characters that look like it but are not
LOOKALIKES = ["\u2212", "\u2013", "\ufeff", "\u00a0", "\u0663", "\uff11", "1/0", "99", "x", "\0", "1e99", "nan"]
PIECES = st.sampled_from(
    [*"0123456789", "-", "+", ".", "e", "E", "/", " ", ",", ";", "|", "\n", "\n\n", "#", "\t", "\r", *LOOKALIKES]
)
MATRIX_LIKE = st.lists(PIECES, max_size=300).map("".join)


def well_formed(volume: Volume) -> None:
    assert volume and volume[0] and volume[0][0]
    rows, columns = len(volume[0]), len(volume[0][0])
    assert all(len(grid) == rows and all(len(row) == columns for row in grid) for grid in volume)
    assert len(volume) * rows * columns <= MAX_VALUES
    assert all(type(value) is Fraction for grid in volume for row in grid for value in row)


def parses_or_refuses(text: str) -> None:
    try:
        volume = parse_volume(text, "<fuzz>")
    except CnncalcError as e:
        assert e.exit_code == 2
        assert e.diagnostics and all(d.message for d in e.diagnostics)
        return
    well_formed(volume)


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    parses_or_refuses(text)


@FUZZ
@given(MATRIX_LIKE)
def test_text_in_the_formats_alphabet(text: str) -> None:
    parses_or_refuses(text)


@FUZZ
@given(st.lists(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=6), min_size=1, max_size=6), st.data())
def test_rectangular_matrices_read_back_exactly(rows: list[list[int]], data: st.DataObject) -> None:
    """Generated matrices, written with random separators, read back as the same values (or a row-width error)."""
    value_gap = data.draw(st.sampled_from([" ", ",", " , ", "\t"]))
    row_gap = data.draw(st.sampled_from(["; ", "\n", " ;\n"]))
    text = row_gap.join(value_gap.join(str(v) for v in row) for row in rows)
    if len({len(row) for row in rows}) > 1:
        try:
            parse_volume(text)
        except CnncalcError as e:
            assert "values but row 1 has" in str(e)
            return
        raise AssertionError("a ragged matrix was accepted")
    assert parse_volume(text) == ((tuple(tuple(Fraction(v) for v in row) for row in rows)),)


@FUZZ
@given(st.text(max_size=80) | MATRIX_LIKE.map(lambda s: s[:80]))
def test_single_values_and_options(token: str) -> None:
    value = parse_value(token)
    assert value is None or type(value) is Fraction
    for parse in (lambda t: parse_scalar(t, "--bias"), lambda t: parse_pair(t, "--stride")):
        try:
            parse(token)
        except CnncalcError as e:
            assert e.exit_code == 2


@FEW
@given(st.binary(max_size=2_000))
def test_any_bytes_as_a_file_and_as_stdin(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.txt")  # noqa: PTH118 - a plain str path is what the CLI passes on
        with open(path, "wb") as file:  # noqa: PTH123
            file.write(data)
        readers: tuple[Callable[[], Volume], ...] = (
            lambda: parse_volume(read_text(path, "input"), path),
            lambda: read_matrix(f"@{path}", "kernel"),
            lambda: parse_volume(read_stream(io.TextIOWrapper(io.BytesIO(data)), "input")),
        )
        for read in readers:
            try:
                volume = read()
            except CnncalcError as e:
                assert e.exit_code == 2
                continue
            well_formed(volume)


@FEW
@given(MATRIX_LIKE.filter(lambda s: not s.startswith("-")), st.sampled_from(["max", "avg", "sum", "l2"]))
def test_the_pool_command_never_fails_with_a_traceback(text: str, kind: str) -> None:
    result = CliRunner().invoke(app, ["pool", text, "--kind", kind, "--size", "1"])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
