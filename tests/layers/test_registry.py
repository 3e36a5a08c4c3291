"""The kind registry: each kind declared in one class, and found from there by every part of cnncalc.

A kind defined here, in one class and registered through `register_kind`, must be known to
the YAML loader, the DSL, the JSON Schema, explain, grading and the kind table, and be
forgotten again by `unregister_kind`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from math import prod
from pathlib import Path
from typing import ClassVar, Literal

import jsonschema
import pytest
import yaml
from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.core.walk import analyze
from cnncalc.errors import LayerRuleError, SpecError
from cnncalc.features.explain.explanation import CONV_KINDS, explain
from cnncalc.features.grade import Grader, label_kinds
from cnncalc.features.grade.mistakes import param_free_mistake
from cnncalc.features.grade.sheet import read_sheet_text
from cnncalc.layers import (
    ALIASES,
    LAYER_CLASSES,
    REGISTRY,
    Counts,
    DslWord,
    LayerBase,
    RegistryError,
    Shape,
    family_kinds,
    layer_classes,
    register_kind,
    sheet_words,
    state_per_channel,
    unregister_kind,
)
from cnncalc.layers.base import Positive, Step
from cnncalc.layers.conv import Conv
from cnncalc.layers.registry import dsl_words, kind_table
from cnncalc.layers.steps import no_params_steps, unchanged_steps
from cnncalc.spec import load_spec_text
from cnncalc.spec.dsl import load_dsl, parse_dsl
from cnncalc.spec.schema import schema_text, spec_schema

ROOT = Path(__file__).resolve().parents[2]


class ChannelShuffle(LayerBase):
    """ShuffleNet's channel shuffle: a permutation of the channels, nothing to learn."""

    kind: Literal["group_shuffle"] = Field(description="group_shuffle (also shuffle).")
    groups: Positive = Field(description="Groups whose channels are interleaved.")
    stem: ClassVar[str] = "shuffle"
    aliases: ClassVar[dict[str, str]] = {"shuffle": "group_shuffle"}
    dsl_words: ClassVar[tuple[DslWord, ...]] = (
        DslWord("shuffle", "group_shuffle", "shuffle", options=("g",), example="shuffle"),
    )
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {"shuffle": ("group_shuffle",)}
    family: ClassVar[str] = "permutation"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        if len(x) < 2 or x[0] % self.groups:
            raise LayerRuleError(f"groups={self.groups} must divide the channels", field="groups")
        return Counts(output=x, flops=0)

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        self.apply(x, c)
        why = "no parameters to learn: the channels are only reordered"
        return (*unchanged_steps(x, "reorders the channels"), *no_params_steps(why))


@pytest.fixture
def shuffle() -> Iterator[type[ChannelShuffle]]:
    register_kind(ChannelShuffle)
    try:
        yield ChannelShuffle
    finally:
        unregister_kind(ChannelShuffle)


SPEC = """\
name: shufflenet-ish
input: 8x8x4
layers:
  - {kind: conv, name: CONV1, filters: 8, kernel: 3, padding: 1}
  - {kind: shuffle, groups: 2}
  - {kind: fc, name: FC, units: 10}
"""

SHEET = """\
layer,shape,params
CONV1,"(8, 8, 8)",296
channel shuffle,"(8, 8, 8)",{shuffle_params}
FC,10,5130
"""


def test_a_kind_registered_later_is_known_to_the_loader(shuffle: type[ChannelShuffle]) -> None:
    spec = load_spec_text(SPEC)
    layer = spec.layers[1]
    assert isinstance(layer, ChannelShuffle) and layer.groups == 2
    report = analyze(spec)
    assert [r.output_shape for r in report.rows[1:]] == [(8, 8, 8), (8, 8, 8), (10,)]
    # (3*3*4 + 1)*8 conv, (8*8*8 + 1)*10 dense, nothing for the shuffle
    assert report.totals.params == 296 + 5130
    with pytest.raises(SpecError, match="unknown key 'group' in group_shuffle layer"):
        load_spec_text(SPEC.replace("groups: 2", "group: 2"))


def test_a_kind_registered_later_is_a_dsl_word(shuffle: type[ChannelShuffle]) -> None:
    data, _ = parse_dsl("8x8x4 | conv3-8 | shuffle g=2 | fc-10")
    assert data["layers"][1] == {"kind": "group_shuffle", "groups": 2}
    assert analyze(load_dsl("8x8x4 | conv3-8 | shuffle g=2 | fc-10")).totals.params == 296 + 5130
    with pytest.raises(SpecError, match="unknown option 's' for shuffle"):
        parse_dsl("8x8x4 | shuffle s=2")
    with pytest.raises(SpecError) as unknown:
        parse_dsl("8x8x4 | zzzz")
    assert "shuffle" in (unknown.value.diagnostics[0].hint or "")


def test_a_kind_registered_later_is_in_the_schema(shuffle: type[ChannelShuffle]) -> None:
    schema = spec_schema()
    assert schema["$defs"]["ChannelShuffle"]["properties"]["kind"]["enum"] == ["group_shuffle", "shuffle"]
    assert {"$ref": "#/$defs/ChannelShuffle"} in schema["properties"]["layers"]["items"]["oneOf"]
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(SPEC))) == []
    assert list(validator.iter_errors(yaml.safe_load(SPEC.replace("groups: 2", "group: 2"))))


def test_a_kind_registered_later_is_explained_and_graded(shuffle: type[ChannelShuffle]) -> None:
    spec = load_spec_text(SPEC)
    layer = explain(spec).layers[2]
    assert layer.row.kind == "group_shuffle"
    assert layer.step("params") is not None and layer.step("params").value == 0  # type: ignore[union-attr]
    assert "reordered" in layer.step("params").note  # type: ignore[union-attr]
    # the row says "channel shuffle", not the layer's name: matched by the kind's sheet word
    assert label_kinds("channel shuffle") == ("group_shuffle",)
    grader = Grader(spec, Conventions())
    right = grader.grade(read_sheet_text(SHEET.format(shuffle_params=0), "s.csv"))
    assert right.all_right and right.score.graded == 6  # 3 rows x (shape, params)
    assert right.rows[1].layers == ("shuffle1",)
    wrong = grader.grade(read_sheet_text(SHEET.format(shuffle_params=16), "s.csv"))
    cell = next(c for c in wrong.rows[1].cells if c.column == "params")
    assert not cell.right and cell.mistakes == ("free_layer_params",)


def test_a_kind_registered_later_is_in_the_kind_table_and_leaves_no_trace(shuffle: type[ChannelShuffle]) -> None:
    table = kind_table()
    row = next(line for line in table.splitlines() if line.startswith("| `group_shuffle`"))
    assert "`shuffle`" in row and "`groups`\\*" in row and "permutation" in row
    assert family_kinds("permutation") == ("group_shuffle",)
    unregister_kind(ChannelShuffle)
    assert "group_shuffle" not in REGISTRY and "shuffle" not in ALIASES and "shuffle" not in dsl_words()
    assert "shuffle" not in sheet_words() and ChannelShuffle not in layer_classes()
    assert kind_table() == (ROOT / "docs" / "kinds.md").read_text(encoding="utf-8")
    assert schema_text() == (ROOT / "cnncalc" / "schema" / "spec.schema.json").read_text(encoding="utf-8")
    with pytest.raises(SpecError, match="unknown layer kind 'shuffle'"):
        load_spec_text(SPEC)
    with pytest.raises(SpecError, match="unknown layer 'shuffle"):
        parse_dsl("8x8x4 | shuffle g=2")


def test_registration_refuses_a_name_that_is_taken() -> None:
    class Clash(LayerBase):
        kind: Literal["conv_again"] = Field(description="a kind whose alias is taken")
        aliases: ClassVar[dict[str, str]] = {"fc": "conv_again"}

    class WordClash(LayerBase):
        kind: Literal["conv_again"] = Field(description="a kind whose DSL word is taken")
        dsl_words: ClassVar[tuple[DslWord, ...]] = (DslWord("maxpool", "conv_again", "maxpool"),)

    class Taken(LayerBase):
        kind: Literal["dense"] = Field(description="a kind that exists")

    class Stray(LayerBase):
        kind: Literal["conv_again"] = Field(description="an alias to another class's kind")
        aliases: ClassVar[dict[str, str]] = {"again": "conv"}

    for cls in (Clash, WordClash, Taken, Stray):
        with pytest.raises(RegistryError):
            register_kind(cls)
        assert cls not in layer_classes()
    assert REGISTRY["dense"].__name__ == "Dense" and ALIASES["fc"] == "dense"


# --- what the registry derives, against what the lecture and the old hand-written lists said ------


def test_docs_kind_table_is_the_registry() -> None:
    assert (ROOT / "docs" / "kinds.md").read_text(encoding="utf-8") == kind_table(), (
        "docs/kinds.md is stale: write cnncalc.layers.registry.kind_table() to it"
    )


def test_every_shipped_kind_is_registered_with_consistent_declarations() -> None:
    assert layer_classes()[: len(LAYER_CLASSES)] == LAYER_CLASSES
    for cls in LAYER_CLASSES:
        kinds = cls.kinds()
        assert all(REGISTRY[k] is cls for k in kinds)
        assert all(target in kinds for target in cls.aliases.values()), cls
        assert all(w.kind in kinds for w in cls.dsl_words), cls
        assert all(set(ks) <= set(kinds) for ks in cls.sheet_words.values()), cls
    # every alias a spec took before the registry still means the same kind
    assert {
        **dict.fromkeys(("conv1d", "conv2d", "conv3d", "convolution"), "conv"),
        **dict.fromkeys(("dwconv", "depthwise"), "depthwise_conv"),
        **dict.fromkeys(("sepconv", "separable"), "separable_conv"),
        **dict.fromkeys(("deconv", "transposed_conv", "conv_transpose2d"), "conv_transpose"),
        "local": "locally_connected",
        "maxpool": "max_pool",
        **dict.fromkeys(("avgpool", "average_pool"), "avg_pool"),
        "sumpool": "sum_pool",
        **dict.fromkeys(("l2pool", "square_sum_pool"), "l2_pool"),
        "gap": "global_avg_pool",
        "gmp": "global_max_pool",
        **dict.fromkeys(("fc", "linear", "fully_connected"), "dense"),
        **dict.fromkeys(("batchnorm", "bn"), "batch_norm"),
        "local_response_norm": "lrn",
        "leakyrelu": "leaky_relu",
        "silu": "swish",
        "hardswish": "hard_swish",
    } == ALIASES


def test_the_kind_lists_come_from_the_families() -> None:
    # the lecture's "convolutional layers" (000's "parameters of the conv layers")
    assert CONV_KINDS == ("conv", "depthwise_conv", "separable_conv", "conv_transpose", "locally_connected")
    assert family_kinds("dense") == ("dense",)
    assert set(family_kinds("pool")) == {
        "max_pool",
        "avg_pool",
        "sum_pool",
        "l2_pool",
        "global_avg_pool",
        "global_max_pool",
    }
    assert param_free_mistake("max_pool") == param_free_mistake("gap") == "pool_params"
    assert param_free_mistake("flatten") == "flatten_params"
    assert param_free_mistake("relu") == param_free_mistake("input") == "free_layer_params"
    assert state_per_channel("bn") == 2 and state_per_channel("conv") == state_per_channel("input") == 0
    assert set(label_kinds("max pool")) == {"max_pool", "global_max_pool"}
    assert set(label_kinds("Norm")) == {"lrn", "batch_norm"}
    assert set(label_kinds("softmax")) == {"softmax", "dense"}
    assert label_kinds("inception (3a)") == ("block",)


def test_flops_of_weighted_layers_use_one_rule() -> None:
    """FLOPs = 2 x MACs + one add per output for the bias + the fused activation (docs/counting.md)."""
    c = Conventions()
    x = (3, 32, 32)
    conv = Conv(kind="conv", filters=8, kernel=5, activation="relu")
    counts = conv.apply(x, c)
    out = prod(counts.output)  # 8 x 28 x 28
    assert counts.macs == 28 * 28 * 8 * 5 * 5 * 3
    assert counts.flops == 2 * counts.macs + out + c.activation_flops["relu"] * out
    no_bias = conv.apply(x, Conventions(bias=False))
    assert no_bias.flops == 2 * counts.macs + c.activation_flops["relu"] * out


def test_the_shipped_schema_file_is_the_library_schema() -> None:
    shipped = json.loads((ROOT / "cnncalc" / "schema" / "spec.schema.json").read_text(encoding="utf-8"))
    assert shipped == spec_schema()
