"""Fuzzing the readers of untrusted text: whatever comes in, only cnncalc's own error comes out.

Each harness feeds one reader two kinds of input: raw text, and text built from the reader's own
vocabulary (spec keys, layer kinds, DSL words, expression tokens, sheet cells), which reaches far
deeper than random characters. An exception other than CnncalcError is a bug: a user would see
"internal error" and exit 3. The number of examples is bounded (CNNCALC_FUZZ_EXAMPLES, 150 by
default) so that CI spends a fixed, small time here; in CI the examples are derandomized.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc.core.walk import analyze
from cnncalc.errors import CnncalcError
from cnncalc.features.budgets.check import load_budgets_file
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.spec import load_spec_text
from cnncalc.spec.dsl import load_dsl

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KINDS = ["conv", "conv1d", "conv3d", "dense", "max_pool", "avg_pool", "global_avg_pool", "flatten", "relu"]
KINDS += ["batch_norm", "dropout", "lrn", "add", "concat", "upsample", "conv_transpose", "depthwise_conv", "softmax"]
FIELDS = ["kind", "filters", "kernel", "stride", "padding", "dilation", "units", "groups", "name", "id", "from"]
FIELDS += ["shares", "when", "bias", "ceil_mode", "output_padding", "size", "scale", "multiplier", "activation"]

scalars = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, 1, 2, 3, 2**31 - 1, 2**31, 10**30]),
    st.text(max_size=12),
    st.sampled_from([*KINDS, "same", "valid", "input", "$n", "${n * 2}", "1:30", "010", "0x10", "٣"]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=12,
)
layer = st.fixed_dictionaries({"kind": st.sampled_from(KINDS)}, optional=dict.fromkeys(FIELDS[1:], values))
spec_data = st.fixed_dictionaries(
    {
        "input": st.one_of(
            st.sampled_from(["32x32x3", "8x8x1", "16x3", "4x4x4x2", "10", "0x3x3", "1x1x1"]),
            values,
        ),
        "layers": st.lists(layer, min_size=1, max_size=6),
    },
    optional={"name": values, "dtype": values, "batch": values, "budgets": values},
)


def dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def only_our_errors(fn: object, *args: object) -> None:
    """Run `fn(*args)`; a CnncalcError is a fine answer to bad input, anything else a bug."""
    try:
        result = fn(*args)  # type: ignore[operator]
        if result is not None and hasattr(result, "layers"):
            analyze(result)
    except CnncalcError:
        pass


@FUZZ
@given(st.text(max_size=300))
def test_yaml_loader_raw_text(text: str) -> None:
    only_our_errors(load_spec_text, text)


@FUZZ
@given(spec_data)
def test_yaml_loader_structured_specs(data: dict[str, object]) -> None:
    only_our_errors(load_spec_text, dump(data))


DSL_WORDS = ["32x32x3", "8x8x1", "224x224x3", "conv3-64", "conv5-8", "conv1-1", "conv3-", "maxpool", "avgpool"]
DSL_WORDS += ["fc-10", "fc-4096", "relu", "softmax", "flatten", "dropout", "bn", "gap", "lrn", "2x", "3x", "0x"]
DSL_WORDS += ["s=2", "p=1", "p=0", "p=same", "d=2", "g=2", "k=3", "x", "|", "(", ")", ",", "=", "-", "999999999999"]


@FUZZ
@given(st.lists(st.sampled_from(DSL_WORDS), max_size=14).map(" ".join))
def test_dsl_from_its_words(text: str) -> None:
    only_our_errors(load_dsl, text)


@FUZZ
@given(st.text(max_size=200))
def test_dsl_raw_text(text: str) -> None:
    only_our_errors(load_dsl, text)


EXPR_ATOMS = st.sampled_from(["n", "s", "m", "1", "2", "0", "-1", "99999", "'a'", "True", "n.real", "x"])
BINARY = ["+", "-", "*", "/", "//", "%", "**", "<", "==", "and", "or"]
expressions = st.recursive(
    EXPR_ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map(" ".join),
        inner.map(lambda e: f"-({e})"),
        inner.map(lambda e: f"not ({e})"),
        st.tuples(st.sampled_from(["max", "min", "floor", "ceil", "abs"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=8,
)


@FUZZ
@given(
    expressions,
    st.sampled_from(["filters", "kernel", "stride", "when", "name", "repeat"]),
    st.fixed_dictionaries({}, optional={"n": scalars, "s": scalars, "m": scalars}),
)
def test_block_expressions(expression: str, where: str, args: dict[str, object]) -> None:
    conv: dict[str, object] = {"kind": "conv", "filters": 4, "kernel": 1}
    call: dict[str, object] = {"block": "b", "args": args}
    if where == "repeat":
        call["repeat"] = "${" + expression + "}"
    else:
        conv[where] = "${" + expression + "}"
    data = {
        "input": "8x8x3",
        "blocks": {"b": {"args": {"n": 1, "s": "a", "m": 2}, "layers": [conv]}},
        "layers": [call],
    }
    only_our_errors(load_spec_text, dump(data))


SHEET_CELLS = ["CONV1", "conv1", "POOL1", "FC3", "Softmax", "Total", "608", "3,216", "48K", "4.8 M", "(28, 28, 8)"]
SHEET_CELLS += ["28x28x8", "", " ", '"', "'", "|", "=1+1", "1e309", "nan", "-5", "١٢", "Layer", "params", "shape"]
HEADERS = ["Layer", "Activation Shape", "Activation Size", "# Parameters", "params", "MACs", "memory", "params"]


@FUZZ
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=5),
    st.lists(st.lists(st.sampled_from(SHEET_CELLS), min_size=1, max_size=5), max_size=8),
    st.sampled_from([",", "\t", ";", "|"]),
    st.sampled_from(["s.csv", "s.md", "s.tsv", "s.txt"]),
)
def test_sheet_reader_tables(header: list[str], rows: list[list[str]], sep: str, source: str) -> None:
    lines = [sep.join(header), *(sep.join(row) for row in rows)]
    if sep == "|":
        lines = [f"| {line} |" for line in lines]
    only_our_errors(read_sheet_text, "\n".join(lines) + "\n", source)


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["s.csv", "s.md", "s.yaml", "s.json"]))
def test_sheet_reader_raw_text(text: str, source: str) -> None:
    only_our_errors(read_sheet_text, text, source)


@FUZZ
@given(values)
def test_sheet_reader_yaml_data(data: object) -> None:
    only_our_errors(read_sheet_text, dump({"rows": data, "total": data}), "s.yaml")


BUDGET_KEYS = ["max_params", "max_trainable_params", "max_macs", "max_flops", "max_activation_memory"]
BUDGET_KEYS += ["max_peak_memory", "max_param_memory", "max_layer_params", "output_shape", "budgets", "max_parms"]
BUDGET_VALUES = ["25M", "4G", "4 GFLOPs", "100MiB", "1.005k", "25Q", "-5", "0", "1:30", "010", "7x7x512", "1e400"]


@pytest.fixture(scope="module")
def budget_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("budgets")


@FUZZ
@given(st.dictionaries(st.sampled_from(BUDGET_KEYS), st.one_of(st.sampled_from(BUDGET_VALUES), values), max_size=5))
def test_budget_reader(budget_dir: Path, data: dict[str, object]) -> None:
    path = budget_dir / "b.yaml"
    path.write_text(dump(data), encoding="utf-8")
    only_our_errors(load_budgets_file, str(path))


@FUZZ
@given(st.text(max_size=300))
def test_budget_reader_raw_text(budget_dir: Path, text: str) -> None:
    path = budget_dir / "raw.yaml"
    path.write_text(text, encoding="utf-8")
    only_our_errors(load_budgets_file, str(path))
