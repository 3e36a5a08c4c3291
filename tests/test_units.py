"""The one vocabulary of dtypes, sizes and counts (cnncalc.units), and everything derived from it."""

from __future__ import annotations

import typing

import pytest

from cnncalc.errors import SpecError
from cnncalc.units import DTYPES, UnitError, parse_quantity, parse_size


def test_every_dtype_is_accepted_by_the_spec_and_the_cli_with_its_size() -> None:
    from cnncalc import analyze, load_spec_text
    from cnncalc.cli.common import DtypeOption
    from cnncalc.spec.model import Spec

    assert [o.value for o in DtypeOption] == list(DTYPES)
    assert typing.get_args(Spec.model_fields["dtype"].annotation) == tuple(DTYPES)
    for name, info in DTYPES.items():
        report = analyze(
            load_spec_text(f"input: 4x4x1\ndtype: {name}\nlayers: [{{kind: conv, filters: 1, kernel: 1}}]")
        )
        # 16 elements in, 16 out (the input row and the conv row); one weight and one bias
        assert report.dtype_bytes == info.bytes
        assert report.totals.activation_bytes == 2 * 16 * info.bytes
        assert report.totals.param_bytes == 2 * info.bytes


def test_numpy_agrees_on_the_size_of_every_dtype_it_has() -> None:
    np = pytest.importorskip("numpy")
    from cnncalc.numeric.executor import element_bytes

    for name, info in DTYPES.items():
        if info.numpy is not None:
            assert np.dtype(info.numpy).itemsize == info.bytes
        assert element_bytes(name) == info.bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.005k", 1_005),  # 1.005 * 1000 in binary floating point is 1004.999...
        ("1.005K", 1_005),
        ("2.675M", 2_675_000),
        ("0.1k", 100),
        ("4.35G", 4_350_000_000),
        ("1.1 MiB", 1_153_433),  # 1,153,433.6: a maximum of that admits exactly what 1,153,433 admits
        ("1.0005k", 1_000),
        ("300k", 300_000),
        ("2GiB", 2 * 2**30),
        ("512", 512),
    ],
)
def test_one_exact_size_parser_for_budgets_and_options(text: str, expected: int) -> None:
    from cnncalc.features.verify.run import parse_size as verify_parse_size

    assert parse_quantity(text, "bytes") == expected
    assert parse_size(text, "--max-memory") == expected
    assert verify_parse_size is parse_size


def test_rounding_down_a_fractional_maximum_admits_the_same_counts() -> None:
    # the documented rule: a fractional limit L admits an integer count n exactly when n <= floor(L)
    from fractions import Fraction

    for text, exact in (
        ("1.1 MiB", Fraction(11, 10) * 2**20),
        ("1.0005k", Fraction(10005, 10)),
        ("2.5", Fraction(5, 2)),
    ):
        limit = parse_quantity(text, "bytes")
        for n in range(limit - 2, limit + 3):
            assert (n <= limit) == (n <= exact)


@pytest.mark.parametrize("text", ["0", "0.4", "-1k", "4 GFLOPs", "12 parsecs", "", "1e99"])
def test_a_size_option_refuses_what_is_not_a_positive_size(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_size(text, "--workspace")
    message = caught.value.diagnostics[0].message
    assert message.startswith(f"--workspace {text!r}: ")
    assert caught.value.diagnostics[0].hint


def test_unit_errors_name_the_kind_of_quantity() -> None:
    with pytest.raises(UnitError, match="FLOPs are not MACs"):
        parse_quantity("4 GFLOPs", "macs")
