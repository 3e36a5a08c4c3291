"""`cnncalc schema`: the shipped JSON Schema is in sync, accepts every bundled spec, refuses bad ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.spec import bundled_names, load_spec_text
from cnncalc.spec.loader import specs_root
from cnncalc.spec.schema import schema_text, spec_schema

SHIPPED = resources.files("cnncalc") / "schema" / "spec.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_command_prints_the_shipped_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == SHIPPED.read_text(encoding="utf-8"), (
        "cnncalc/schema/spec.schema.json is stale: run `cnncalc schema > cnncalc/schema/spec.schema.json`"
    )
    assert result.stdout == schema_text()


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_spec_validates(validator: jsonschema.Draft202012Validator, name: str) -> None:
    data = yaml.safe_load((specs_root() / f"{name}.yaml").read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


GOOD = [
    "input: 224x224x3\nlayers: [{kind: conv2d, filters: 8, kernel: 3}, {kind: maxpool}, {kind: fc, units: 10}]\n",
    "input: [28, 28, 1]\nlayers: [{kind: flatten}, {kind: linear, units: 10}]\n",
    "input: 784\nlayers: [{kind: dense, units: 10}]\n",
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_params: 25M, max_macs: 4 GMACs, max_flops: 8 GFLOPs,"
    " max_peak_memory: 100 MiB, max_layer_params: 4.2e6, output_shape: 7x7x512}\n",
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_params: 25000000, output_shape: [1000]}\n",
]


@pytest.mark.parametrize("text", GOOD)
def test_what_the_loader_accepts_the_schema_accepts(validator: jsonschema.Draft202012Validator, text: str) -> None:
    load_spec_text(text)  # valid for cnncalc
    assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == []


BAD = [
    "input: 32x32x3\nlayers: [{kind: conv, fliters: 8, kernel: 3}]\n",  # unknown key
    "input: 32x32x3\nlayers: [{kind: convv, filters: 8, kernel: 3}]\n",  # unknown kind
    "input: 32x32x3\nlayers: [{kind: conv, kernel: 3}]\n",  # missing filters
    "input: 32x32x3\nlayers: [{kind: dense, units: 0}]\n",  # not positive
    "input: 32x32x3\nlayers: [{kind: conv, filters: 8, kernel: 3, padding: sam}]\n",
    "input: 32x32x3\nlayers: []\n",
    "input: {shape: [32, 32, 3], layout: whc}\nlayers: [{kind: relu}]\n",
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_macs: 4 GFLOPs}\n",  # FLOPs for a MACs budget
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_params: 25Q}\n",
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_parms: 25M}\n",
    "input: 32x32x3\nlayers: [{kind: relu}]\nbudgets: {max_peak_memory: -1}\n",
]


@pytest.mark.parametrize("text", BAD)
def test_the_schema_rejects_bad_specs(validator: jsonschema.Draft202012Validator, text: str) -> None:
    assert list(validator.iter_errors(yaml.safe_load(text)))


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for model, definition in [*schema["$defs"].items(), ("Spec", schema)]:
        for name, prop in definition.get("properties", {}).items():
            yield model, name, prop


def test_every_field_has_a_description_and_every_example_is_valid() -> None:
    schema = spec_schema()
    fields = list(properties(schema))
    assert len(fields) > 150  # every layer kind repeats the shared fields
    assert [(m, n) for m, n, p in fields if not p.get("description")] == []
    assert sum("examples" in p for _, _, p in fields) >= 80
    for model, name, prop in fields:
        sub = {**{k: v for k, v in prop.items() if k != "examples"}, "$defs": schema["$defs"]}
        for example in prop.get("examples", []):
            assert not list(jsonschema.Draft202012Validator(sub).iter_errors(example)), (model, name, example)
