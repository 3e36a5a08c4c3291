"""Fuzzing `solve`'s budgets and `summarize`'s symbolic --input through the CLI, in-process.

Whatever size is given (zero, negative, 10**30, 1e400, nan, unicode digits, nothing), the exit
code is 0, 1 or 2 and no internal error is printed. Two were found this way: a budget beyond
every size a spec may hold (the next size up could not be built), and a symbolic --input with a
zero, a size over 2**31 - 1 or five dimensions (pydantic's error reached the user as a bug).
The number of examples is bounded by CNNCALC_FUZZ_EXAMPLES, as in test_fuzz_readers.py.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cnncalc.cli import app

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

runner = CliRunner()
NETS = [
    "32x32x3 | conv3-8 s=2 p=1 | relu | maxpool | conv3-16 | gap | fc-10",
    "100x8 hwc | conv3-8",
    "16x16x3 | conv3-4 | flatten | fc-10",
]
SIZES = ["0", "-1", "1", "10**30", "1e30", "1" + "0" * 40, "1e400", "nan", "inf", "-inf", "", " ", "1.5", "١٠", "²"]
SIZES += [
    "2147483647",
    "2147483648",
    "18446744073709551616",
    "1e-400",
    "0x10",
    "1_000",
    "8GiB",
    "2G",
    "1P",
    "3 parsecs",
]
numbers = st.one_of(
    st.sampled_from(SIZES),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.tuples(st.integers(0, 10**6), st.sampled_from(["", "K", "M", "G", "T", "E", "B", "KiB", "GiB", "kB"])).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
    st.text(max_size=8),
)
dims = st.one_of(st.sampled_from(["H", "W", "D", "N", "C", "x", "X", "_"]), numbers)


def check(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert "internal error" not in result.output and "Traceback" not in result.output, (args, result.output)


@FUZZ
@given(
    st.sampled_from(NETS),
    st.sampled_from(["--max-macs", "--max-memory"]),
    numbers,
    st.sampled_from([[], ["--training"], ["--batch", "7"], ["--dtype", "float64"]]),
)
def test_solve_budgets(net: str, option: str, value: str, extra: list[str]) -> None:
    check(["solve", "--dsl", net, option, value, *extra])


@FUZZ
@given(st.sampled_from([NETS[0], "lenet5"]), st.lists(dims, min_size=0, max_size=6), st.sampled_from(["x", "×", ","]))
def test_symbolic_input(net: str, parts: list[str], sep: str) -> None:
    shape = sep.join(parts)
    source = ["--dsl", net] if "|" in net else [net]
    check(["summarize", *source, "--input", shape])
    check(["solve", *source, "--input", shape, "--max-macs", "1M"])


def test_the_two_internal_errors_found_are_refusals() -> None:
    huge = runner.invoke(app, ["solve", "--dsl", NETS[1], "--max-macs", "1e30"])
    assert huge.exit_code == 2 and "--max-macs: the budget" in huge.output and "never reached" in huge.output
    for shape in ("Hx0x3", "99999999999999999999xWx3", "HxWx3x3x3x3"):
        zero = runner.invoke(app, ["summarize", "resnet18", "--input", shape])
        assert zero.exit_code == 2 and "--input" in zero.output and "2 to 4 dimensions" in zero.output
