"""Limits of the matrices of `cnncalc conv` / `cnncalc pool`, and how their files are read.

Each limit is tested on both sides: the largest text it allows parses, one step over is
refused with a located error and a hint, and the refusal happens before any value is
converted (the converter is watched). Files: only regular files are read, reads stop at the
size limit, and a FIFO or a device never makes a read wait or fill memory.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from cnncalc.errors import CnncalcError
from cnncalc.features.worked import matrix
from cnncalc.features.worked.examples import correlate, pool
from cnncalc.features.worked.matrix import (
    MAX_LINE_CHARS,
    MAX_PADDING,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    MAX_VALUES,
    WorkedError,
    parse_pair,
    parse_scalar,
    parse_value,
    parse_volume,
)
from cnncalc.features.worked.reading import read_matrix, read_stream, read_text


def refusal(text: str, source: str = "<input>") -> str:
    """The rendered error of parsing `text`, which must be refused."""
    with pytest.raises(WorkedError) as caught:
        parse_volume(text, source)
    assert caught.value.exit_code == 2
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.hint, "every refusal has a hint"
    return str(caught.value)


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the value converter sees (its cache is bypassed)."""
    seen: list[str] = []
    real = matrix._value.__wrapped__

    def watched(token: str) -> Fraction | None:
        seen.append(token)
        return real(token)

    monkeypatch.setattr(matrix, "_value", watched)
    return seen


def rows_of_ones(values: int, per_row: int) -> str:
    full, rest = divmod(values, per_row)
    assert rest == 0
    return "\n".join([" ".join(["1"] * per_row)] * full)


# --- text length ---------------------------------------------------------------------------------


def padded_with_comments(text: str, size: int) -> str:
    """text, then comment lines of at most 1,000 characters up to exactly `size` characters."""
    left = size - len(text)
    lines, last = divmod(left, 1_000)
    tail = "\n#" + "x" * (last - 2) if last >= 2 else "\n" * last
    return text + ("\n#" + "x" * 998) * lines + tail


def test_text_at_the_limit_is_read() -> None:
    text = padded_with_comments(rows_of_ones(100_000, 100), MAX_TEXT_CHARS)
    assert len(text) == MAX_TEXT_CHARS
    volume = parse_volume(text)
    assert (len(volume), len(volume[0]), len(volume[0][0])) == (1, 1_000, 100)


def test_text_over_the_limit_is_refused_before_parsing(conversions: list[str]) -> None:
    message = refusal("1 " * (MAX_TEXT_CHARS // 2) + "2")
    assert message.startswith(f"<input>:1:1: error: the matrix text is longer than {MAX_TEXT_CHARS:,} characters")
    assert conversions == []


# --- line length ---------------------------------------------------------------------------------


def test_line_at_the_limit_is_read() -> None:
    line = "1 " * (MAX_LINE_CHARS // 2 - 1) + "12"
    assert len(line) == MAX_LINE_CHARS
    assert len(parse_volume(f"{line}\n")[0][0]) == MAX_LINE_CHARS // 2


def test_line_over_the_limit_is_refused_with_its_number(conversions: list[str]) -> None:
    long = "1 " * (MAX_LINE_CHARS // 2) + "1"
    message = refusal(f"1 2\n3 4\n{long}\n5 6", "m.txt")
    assert message.startswith(f"m.txt:3:{MAX_LINE_CHARS + 1}: error: line 3 is longer than {MAX_LINE_CHARS:,}")
    assert "@PATH" in message
    assert conversions == []


def test_a_long_comment_line_counts_too() -> None:
    assert "line 2 is longer" in refusal("1 2\n#" + "c" * MAX_LINE_CHARS)


# --- characters per value ------------------------------------------------------------------------


def test_value_at_the_limit_is_read() -> None:
    digits = "1" * MAX_VALUE_CHARS
    assert parse_volume(f"0 {digits}")[0][0][1] == int(digits)
    assert parse_value("-" + "9" * (MAX_VALUE_CHARS - 1)) == -int("9" * (MAX_VALUE_CHARS - 1))


@pytest.mark.parametrize("value", ["1" * (MAX_VALUE_CHARS + 1), "1/" + "3" * MAX_VALUE_CHARS, "x" * 500])
def test_value_over_the_limit_is_refused_where_it_is(value: str, conversions: list[str]) -> None:
    message = refusal(f"1 2\n3,{value}")
    assert message.startswith(f"<input>:2:3: error: a value longer than {MAX_VALUE_CHARS} characters")
    assert f"'{value[:20]}...'" in message
    assert conversions == []
    assert parse_value(value) is None
    with pytest.raises(WorkedError, match="not a number"):
        parse_scalar(value, "--bias")


def test_long_words_in_comments_are_not_values() -> None:
    word = "w" * (MAX_VALUE_CHARS * 3)
    assert parse_volume(f"# {word}\n1 2 # {word}\n3 4#{word}") == parse_volume("1 2\n3 4")


# --- number of values ----------------------------------------------------------------------------


def test_values_at_the_limit_are_read() -> None:
    volume = parse_volume(rows_of_ones(MAX_VALUES, 250))
    assert len(volume[0]) * len(volume[0][0]) == MAX_VALUES


def test_values_over_the_limit_are_refused_before_parsing(conversions: list[str]) -> None:
    message = refusal(rows_of_ones(MAX_VALUES, 250) + "\n" + " ".join(["1"] * 250))
    assert message.startswith(f"<input>:1:1: error: {MAX_VALUES + 250:,} values: more than {MAX_VALUES:,}")
    assert conversions == []


def channels_of_100(count: int) -> str:
    """`count` channels of 10x10 ones, one channel a line: values by commas, rows by ';', channels by '|'."""
    channel = ";".join([",".join(["1"] * 10)] * 10)
    return "\n".join([channel + " |"] * (count - 1) + [channel])


def test_values_in_channels_at_the_limit_are_read() -> None:
    volume = parse_volume(channels_of_100(MAX_VALUES // 100))
    assert (len(volume), len(volume[0]), len(volume[0][0])) == (MAX_VALUES // 100, 10, 10)


def test_values_in_channels_over_the_limit_are_refused_before_parsing(conversions: list[str]) -> None:
    message = refusal(channels_of_100(MAX_VALUES // 100 + 1))
    assert f"error: {MAX_VALUES + 100:,} values: more than {MAX_VALUES:,}" in message
    assert conversions == []


# --- limits of the computation ------------------------------------------------------------------


def test_work_over_the_limit_is_refused_before_computing() -> None:
    image = parse_volume(rows_of_ones(10_000, 100))  # 100x100
    ones = [parse_volume("1")] * 101  # 101 filters of 1x1: 1,010,000 multiply-adds
    with pytest.raises(
        WorkedError, match=r"too large for a worked example \(1,010,000 multiply-adds; the limit is 1,000,000\)"
    ):
        correlate(image, ones)
    big = parse_volume(rows_of_ones(90_000, 300))  # 300x300, windows of 4x4 at stride 1
    with pytest.raises(WorkedError, match=r"\(1,411,344 window reads; the limit is 1,000,000\)"):
        pool(big, size=(4, 4), stride=(1, 1))


def test_padding_over_the_limits() -> None:
    image = parse_volume("1 2; 3 4")
    with pytest.raises(WorkedError, match=f"padding larger than {MAX_PADDING}"):
        correlate(image, [image], padding=((0, 0), (MAX_PADDING + 1, 0)))
    with pytest.raises(WorkedError, match=f"the padded input has 200,100 values: more than {MAX_VALUES:,}"):
        correlate(parse_volume("1" + " 1" * 99), [parse_volume("1")], padding=((1_000, 1_000), (0, 0)))


# --- what a value is -----------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["٣", "１", "۵", "३", "1٣"])
def test_non_ascii_digits_are_not_numbers(digits: str) -> None:
    assert parse_value(digits) is None
    assert "not a number" in refusal(f"1 {digits}")
    with pytest.raises(WorkedError):
        parse_pair(digits, "--stride")


@pytest.mark.parametrize(
    "token",
    ["0", "-7", "+7", "12.", ".5", "-.5", "0.125", "3e2", "2.5E-3", "-1/9", "1/0.5", "+3/.25", "1e-2/4e1", "\u22125"],
)
def test_values_equal_pythons_own_reading(token: str) -> None:
    """The short path and the grammar agree with Fraction's parser on every form the format allows."""
    text = token.replace("\u2212", "-")
    numerator, _, denominator = text.partition("/")
    want = Fraction(numerator) / (Fraction(denominator) if denominator else 1)
    assert parse_value(token) == want


@pytest.mark.parametrize(
    "token", ["", " ", ".", "-", "+", "5..", "1.2.3", "1/0", "1/0.0", "1e100", "--1", "1/-2", "nan", "1_0"]
)
def test_malformed_values(token: str) -> None:
    assert parse_value(token) is None


# --- files ---------------------------------------------------------------------------------------


def within(seconds: float, action: Callable[[], object]) -> BaseException | None:
    """Run action in a thread; fail if it is still running after `seconds`; the exception it raised."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as e:
            caught.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the read did not return"
    return caught[0] if caught else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = within(5, lambda: read_matrix(f"@{fifo}", "input"))
    assert isinstance(error, WorkedError)
    assert f"{fifo}:1:1: error: a FIFO (named pipe), not an input matrix" in str(error)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_without_reading(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    error = within(5, lambda: read_text(device, "kernel"))
    assert isinstance(error, WorkedError)
    assert "a character device, not a kernel matrix" in str(error)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkedError, match="a directory, not an input matrix"):
        read_text(str(tmp_path), "input")


def test_a_symlink_to_a_regular_file_is_read_and_one_to_a_device_is_not(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("1 2\n3 4\n")
    (tmp_path / "link").symlink_to(tmp_path / "m.txt")
    assert read_text(str(tmp_path / "link"), "input") == "1 2\n3 4\n"
    if Path("/dev/zero").exists():
        (tmp_path / "zero").symlink_to("/dev/zero")
        with pytest.raises(WorkedError, match="character device"):
            read_text(str(tmp_path / "zero"), "input")


def test_file_size_at_and_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_text(padded_with_comments("7", MAX_TEXT_CHARS))
    assert parse_volume(read_text(str(path), "input")) == (((Fraction(7),),),)
    path.write_text(padded_with_comments("7", MAX_TEXT_CHARS + 2))
    with pytest.raises(WorkedError, match=f"an input matrix is limited to {MAX_TEXT_CHARS:,}"):
        read_text(str(path), "input")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("/nonexistent/m.csv", "/nonexistent/m.csv:1:1: error: cannot read an input matrix: No such file or directory"),
        ("x" * 300, "File name too long"),
        ("m\0.txt", "cannot read an input matrix: embedded null byte"),
        ("\udcff.txt", ""),  # a lone surrogate: refused as a name, or simply not found
    ],
)
def test_unusable_names(name: str, fragment: str) -> None:
    with pytest.raises(WorkedError) as caught:
        read_text(name, "input")
    assert fragment in str(caught.value)
    assert caught.value.diagnostics[0].hint


def test_binary_and_undecodable_files(tmp_path: Path) -> None:
    path = tmp_path / "m.png"
    path.write_bytes(b"1 2\0 3")
    with pytest.raises(WorkedError, match="binary file"):
        read_text(str(path), "input")
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(WorkedError, match="not UTF-8 text"):
        read_text(str(path), "input")
    path.write_bytes(b"\xef\xbb\xbf1,2\r\n3,4")  # a spreadsheet's CSV: BOM, CRLF
    assert read_matrix(f"@{path}", "input") == parse_volume("1 2; 3 4")


def test_parse_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("1,2,3\n4,5,6\n7,8\n")
    with pytest.raises(WorkedError) as caught:
        read_matrix(f"@{path}", "input")
    assert str(caught.value).startswith(f"{path}:3:1: error: row 3 has 2 values but row 1 has 3")


# --- stdin ---------------------------------------------------------------------------------------


def stdin_of(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def test_stdin_is_read_up_to_the_limit() -> None:
    assert read_matrix("@-", "input", stdin_of(b"\xef\xbb\xbf1 2; 3 4")) == parse_volume("1 2; 3 4")
    assert read_stream(stdin_of(b"9" + b" " * (MAX_TEXT_CHARS - 1)), "input").strip() == "9"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"1 " * MAX_TEXT_CHARS, f"input from stdin is larger than {MAX_TEXT_CHARS:,} bytes"),
        (b"\0" * 4096, "binary file"),
        (b"1 \xff 2", "not a UTF-8 text file"),
    ],
)
def test_stdin_refusals(data: bytes, fragment: str) -> None:
    with pytest.raises(WorkedError, match=fragment):
        read_matrix("@-", "input", stdin_of(data))


def test_a_text_stream_without_bytes_is_bounded_too() -> None:
    assert read_stream(io.StringIO("1 2"), "input") == "1 2"
    with pytest.raises(WorkedError, match="longer than"):
        read_stream(io.StringIO("1" * (MAX_TEXT_CHARS + 1)), "input")


def test_errors_are_cnncalc_errors() -> None:
    assert issubclass(WorkedError, CnncalcError)
