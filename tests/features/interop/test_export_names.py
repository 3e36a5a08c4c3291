"""`export --to pytorch` with hostile names: the generated module compiles, runs no payload, and
computes what cnncalc counts, whatever the spec's names, descriptions and block names hold.

Every name goes through one function (cnncalc.features.interop.identifiers.python_identifier); the
original only ever appears as an ASCII string literal. Compiling needs no PyTorch; running the
module (payloads, parameter count, output shape) is skipped without it.
"""

from __future__ import annotations

import builtins
import keyword
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.core.walk import analyze
from cnncalc.features.interop.identifiers import (
    GENERATED_NAMES,
    IDENTIFIER,
    NN_MODULE_ATTRIBUTES,
    RESERVED,
    class_identifier,
    python_identifier,
)
from cnncalc.features.interop.pytorch import export_pytorch
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import SourceMap, Spec

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))

#: a payload that, if it ever ran, would set a builtin and create a file in the working folder
RUN = "__import__('builtins').PWNED = 1; open('PWNED', 'w').close()"

HOSTILE = [
    f'"""\n{RUN}\n"""',
    f"'''\n{RUN}\n'''",
    f"x\n{RUN}\n#",
    f"x\r{RUN}\r#",
    f"x\r\n{RUN}\r\n#",
    f'\\"""\n{RUN}  #',
    f"x\u2028{RUN}",
    f"x\x85{RUN}",
    f"x\x0c{RUN}",
    "back\\slash\\",
    "\x00",
    "quote'\"",
    "²",
    "ｘ",
    "x",
    "ℌ",
    "ﬁ",
    "\u200fright\u202eleft",
    "class",
    "match",
    "_",
    "__",
    "__init__",
    "print",
    "__import__",
    "float",
    "forward",
    "to",
    "training",
    "_modules",
    "register_buffer",
    "self",
    "F",
    "nn",
    "torch",
    "inp",
    "trace",
    "model",
    "a-b",
    "a_b",
    "a b",
    "Conv",
    "conv",
    "CONV",
    "1st",
    "",
    " ",
    "l" * 190,
]


def hostile_spec(name: str) -> Spec:
    """A small network whose spec name, description, block name and every layer name is `name`
    (with suffixes to keep layer names distinct): a named variable, a residual add, a block called
    twice with shared weights."""
    block = name or "blk"
    data = {
        "name": name,
        "description": name,
        "input": "8x8x3",
        "blocks": {block: {"description": name, "layers": [{"kind": "conv", "name": name, "filters": 3, "kernel": 1}]}},
        "layers": [
            {"kind": "conv", "name": name, "id": "a", "filters": 3, "kernel": 3, "padding": "same"},
            {"kind": "relu", "name": name + "'", "id": "b"},
            {"kind": "add", "name": name + '"', "from": ["a", "b"]},
            {"block": block, "name": name + "1", "id": "t1"},
            {"block": block, "name": name + "2", "shares": name + "1"},
            {"kind": "global_avg_pool", "name": name + "\n"},
            {"kind": "dense", "name": name + "\\", "units": 5},
        ],
    }
    return validate_spec(data, SourceMap("<test>"))


def all_names_spec() -> Spec:
    """One network with every hostile name as a layer: the collisions meet in one module."""
    layers: list[dict[str, Any]] = []
    for i, name in enumerate(HOSTILE):
        layers.append({"kind": "conv", "name": name, "id": f"c{i}", "filters": 3, "kernel": 1})
        layers.append({"kind": "conv", "name": f"{name}#2", "id": f"d{i}", "filters": 3, "kernel": 1, "bias": False})
        layers.append({"kind": "add", "name": f"{name}#3", "from": [f"c{i}", f"d{i}"]})
    return validate_spec({"name": "all", "input": "4x4x3", "layers": layers}, SourceMap("<test>"))


def run_module(source: str) -> Any:
    """Execute the generated source and build its one class; the caller checks for payloads."""
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), namespace)
    classes = [v for v in namespace.values() if isinstance(v, type) and v.__module__ == "generated"]
    assert len(classes) == 1
    return classes[0]()


def check_runs_as_counted(spec: Spec, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    model = run_module(source).eval()
    with torch.no_grad():
        out = model(torch.zeros(1, *spec.input.channels_first()))
    assert not hasattr(builtins, "PWNED")
    assert not (tmp_path / "PWNED").exists()
    report = analyze(spec)
    assert sum(p.numel() for p in model.parameters()) == report.totals.params
    assert tuple(out.shape[1:]) == report.rows[-1].output_shape


@pytest.mark.parametrize("name", HOSTILE, ids=[ascii(n)[:40] for n in HOSTILE])
def test_hostile_name_compiles_and_runs_no_payload(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = hostile_spec(name)
    source = export_pytorch(spec, trace=True)
    compile(source, "generated.py", "exec")
    assert source.isascii()
    check_runs_as_counted(spec, source, tmp_path, monkeypatch)


def test_every_hostile_name_in_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = all_names_spec()
    source = export_pytorch(spec)
    compile(source, "generated.py", "exec")
    attributes = [line.split("=")[0].strip() for line in source.splitlines() if line.strip().startswith("self.")]
    assert len(attributes) == len(set(attributes)) == 2 * len(HOSTILE)
    check_runs_as_counted(spec, source, tmp_path, monkeypatch)


def test_traced_names_are_the_spec_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    spec = all_names_spec()
    monkeypatch.chdir(tmp_path)
    model = run_module(export_pytorch(spec, trace=True))
    model(torch.zeros(1, 3, 4, 4))
    assert set(model.trace) == {row.name for row in analyze(spec).rows[1:]}


def test_the_original_name_is_kept_escaped() -> None:
    source = export_pytorch(hostile_spec("ｘ\n"))
    assert "# network: '\\uff58\\n'\n" in source
    assert "# '\\uff58\\n2.\\uff58\\n' shares the weights of self.x_1_x\n" in source


def test_nn_module_attributes_are_all_listed() -> None:
    torch = pytest.importorskip("torch")
    module = torch.nn.Module()
    assert set(dir(module)) | set(vars(module)) <= NN_MODULE_ATTRIBUTES


def test_reserved_names_cover_the_generated_code() -> None:
    assert GENERATED_NAMES <= RESERVED
    assert {"print", "__import__", "float", "class", "match", "_", "type", "forward", "_modules"} <= RESERVED


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=12))
def test_identifier_is_valid_stable_and_distinct(names: list[str]) -> None:
    taken: set[str] = set()
    made = [python_identifier(name, taken) for name in names]
    for ident in made:
        assert IDENTIFIER.match(ident)
        assert ident.isidentifier()
        assert not keyword.iskeyword(ident) and not keyword.issoftkeyword(ident)
        assert ident not in RESERVED
    assert len(set(made)) == len(made)
    again: set[str] = set()
    assert [python_identifier(name, again) for name in names] == made


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=30))
def test_class_identifier_is_valid(name: str) -> None:
    ident = class_identifier(name)
    assert IDENTIFIER.match(ident) and ident not in RESERVED
