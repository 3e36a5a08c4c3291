"""The capability tables: every registered kind is covered by each, or declared unsupported
with a reason, and docs/architecture.md lists exactly the tables the code has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.errors import CnncalcError
from cnncalc.features.capabilities import TABLES, Table, tables_markdown
from cnncalc.features.interop.keras.kinds import ACTIVATIONS as KERAS_ACTIVATIONS
from cnncalc.features.interop.onnx.kinds import ACTIVATIONS as ONNX_ACTIVATIONS
from cnncalc.layers import Counts, LayerBase, Shape, layer_classes, register_kind, unregister_kind
from cnncalc.layers.capabilities import Capabilities, UncoveredKindError
from cnncalc.layers.conv import Conv
from cnncalc.layers.pool import Pool

ROOT = Path(__file__).resolve().parents[2]


def gaps(tables: tuple[Table, ...], classes: tuple[type[LayerBase], ...]) -> list[str]:
    """What each table lacks: one line per kind it neither covers, nor declares unsupported with
    a reason, nor leaves to a fallback."""
    found = []
    for t in tables:
        for cls in classes:
            for kind in cls.kinds():
                status = t.table.status(cls, kind)
                if status is None or status in ("unsupported: ", "fallback: "):
                    found.append(
                        f"kind '{kind}' ({cls.__name__}) is missing from {t.module}.{t.name} ({t.feature}): "
                        "give it a handler there, or declare it unsupported with a reason"
                    )
    return found


def test_every_registered_kind_is_in_every_table() -> None:
    assert gaps(TABLES, layer_classes()) == []


def test_every_unsupported_entry_has_a_reason_and_names_a_registered_kind() -> None:
    kinds = {kind: cls for cls in layer_classes() for kind in cls.kinds()}
    for t in TABLES:
        for key, reason in t.table.unsupported.items():
            assert reason.strip(), f"{t.module}.{t.name}: {key} is unsupported without a reason"
            assert key in kinds or key in layer_classes(), f"{t.module}.{t.name}: {key} is no registered kind"
        for key in t.table.handlers:
            assert key in kinds or key in layer_classes(), f"{t.module}.{t.name}: {key} is no registered kind"


class Shuffle(LayerBase):
    kind: Literal["shuffle_for_tables"] = Field(description="a kind no table lists")

    def apply(self, x: Shape, c: Conventions) -> Counts:
        return Counts(output=x)


@pytest.fixture
def new_kind() -> Iterator[type[Shuffle]]:
    register_kind(Shuffle)
    try:
        yield Shuffle
    finally:
        unregister_kind(Shuffle)


def test_a_kind_added_without_touching_the_tables_is_named_with_the_tables_to_fill(new_kind: type[Shuffle]) -> None:
    found = gaps(TABLES, layer_classes())
    strict = [t for t in TABLES if not t.table.fallback]
    assert len(found) == len(strict) >= 5
    for t, line in zip(strict, found, strict=True):
        assert f"kind 'shuffle_for_tables' (Shuffle) is missing from {t.module}.{t.name}" in line


def test_docs_list_exactly_the_tables_of_the_code() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("## How to add a layer kind", 1)[1].split("\n## ", 1)[0]
    listed = "\n".join(line.strip() for line in section.splitlines() if line.strip().startswith("|")) + "\n"
    assert listed == tables_markdown(), (
        "docs/architecture.md (How to add a layer kind) is stale: paste cnncalc.features.capabilities.tables_markdown()"
    )
    named = set(re.findall(r"\| `(cnncalc\.[\w.]+)` \| `(\w+)` \|", section))
    assert named == {(t.module, t.name) for t in TABLES}


@pytest.mark.parametrize(
    ("module", "table", "activations"),
    [
        ("onnx", "ONNX_KINDS", set(ONNX_ACTIVATIONS.values())),
        ("keras", "KERAS_KINDS", {k for k in KERAS_ACTIVATIONS.values() if k is not None}),
    ],
)
def test_an_importer_produces_only_the_kinds_its_table_lists(module: str, table: str, activations: set[str]) -> None:
    package = ROOT / "cnncalc" / "features" / "interop" / module
    source = "\n".join(path.read_text(encoding="utf-8") for path in sorted(package.glob("*.py")))
    code = (
        source.split(f"{table}: Capabilities", 1)[0] + source.split(f"{table}: Capabilities", 1)[1].split("\n)\n", 1)[1]
    )
    kinds = {kind for cls in layer_classes() for kind in cls.kinds()}
    # every registered kind named in a quoted literal (not a key: "scale": is a field) on a line
    # that speaks of a kind
    quoted = r'"(\w+)"(?!\s*:)'
    written = {w for line in code.splitlines() if "kind" in line for w in re.findall(quoted, line) if w in kinds}
    produced = next(t for t in TABLES if t.name == table).table.handlers
    assert written, "the scan found no kind the importer writes"
    assert written | activations <= set(produced), sorted((written | activations) - set(produced))


def test_a_table_looks_up_the_kind_then_the_exact_class() -> None:
    table: Capabilities[str] = Capabilities(
        feature="a feature",
        lacks="rule",
        handlers={Conv: "conv", Pool: "pool"},
        unsupported={"l2_pool": "no L2 pooling here"},
    )
    assert table.handler(Conv(kind="conv", filters=1, kernel=1), "x cannot run", "c1") == "conv"
    assert table.handler(Pool(kind="max_pool", kernel=2), "x cannot run", "p1") == "pool"
    with pytest.raises(UncoveredKindError) as refused:
        table.handler(Pool(kind="l2_pool", kernel=2), "x cannot run", "p2")
    assert "x cannot run layer 'p2' of kind 'l2_pool': a feature has no rule for it" in str(refused.value)
    assert "hint: no L2 pooling here" in str(refused.value)
    assert isinstance(refused.value, CnncalcError) and refused.value.exit_code == 2

    class MyConv(Conv):  # a subclass is a new kind to the table, not a Conv
        pass

    assert table.get(MyConv(kind="conv", filters=1, kernel=1)) is None
    assert table.status(Pool, "l2_pool") == "unsupported: no L2 pooling here"
    assert table.status(Pool, "avg_pool") == "covered"
