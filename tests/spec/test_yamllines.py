"""The two ways cnncalc reads YAML agree: the reader of the layout programs write
(cnncalc.spec.yamllines) gives the parser's data and types on every text it accepts, accepts
no text the parser refuses, and finds positions (from the parser) only when asked."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from cnncalc.spec.model import SourceMap
from cnncalc.spec.yamllines import read_lines
from cnncalc.spec.yamlread import _Reader

ROOT = Path(__file__).resolve().parents[2]


def parsed(text: str) -> tuple[Any, SourceMap] | None:
    """What the event reader makes of `text`, or None when it refuses it."""
    reader = _Reader("t.yaml", "spec", None)
    try:
        return reader.run(text), reader.map
    except Exception:  # any refusal: a SpecError or one of yaml's own
        return None


def typed(value: Any) -> Any:
    """`value` with the type of every scalar in it: 8, 8.0 and True must not pass for each other."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def positions(found: dict[Any, Any]) -> dict[Any, tuple[int, int]]:
    return {path: (at.line, at.column) for path, at in found.items()}


def agree(text: str) -> bool:
    """True when the line reader took `text` (and agreed with the parser); False when it left it."""
    simple = read_lines(text, "t.yaml")
    if simple is None:
        return False
    reference = parsed(text)
    assert reference is not None, f"the line reader accepted a text the parser refuses:\n{text}"
    data, smap = simple
    assert not smap.values, "positions are written down only when asked for"
    smap.filled()
    assert typed(data) == typed(reference[0]), text
    assert positions(smap.values) == positions(reference[1].values), text
    assert positions(smap.keys) == positions(reference[1].keys), text
    return True


def chain(n: int) -> str:
    lines = [f"name: chain{n}", "input: 32x32x8", "layers:"]
    for i in range(n):
        lines.append("  - {kind: conv, filters: 8, kernel: 3, padding: same}" if i % 2 == 0 else "  - {kind: relu}")
    return "\n".join(lines) + "\n"


def test_a_generated_chain_is_read_line_by_line() -> None:
    assert agree(chain(50))
    assert agree("input: [32, 32, 8]\nbatch: 4\ndtype: float16\nlayers:\n- {kind: conv, filters: 8, kernel: [3, 1]}\n")
    assert agree("layers:\n  - {}\n  - {kind: flatten}\n\n  - {  kind:   dense ,units: 10 }   \ninput: 10\n")
    assert agree("input: 8\nlayers:\n  - {kind: dense, units: 0x10, bias: false, rate: .5, x: 1e3, y: -2, z: 010}\n")


def test_repeated_items_are_read_once_but_never_shared() -> None:
    """An item written again is one cache lookup, yet each is its own dict (and list), as the parser gives."""
    items = "  - {kind: relu, rate: 1}\n  - {kind: conv, kernel: [3, 3]}\n  - {kind: c, k: []}\n"
    text = "input: 8\nlayers:\n" + items * 2
    assert agree(text)
    read = read_lines(text, "x")
    assert read is not None
    layers = read[0]["layers"]
    assert layers[0] == layers[3] and layers[0] is not layers[3]
    assert layers[1]["kernel"] is not layers[4]["kernel"] and layers[2]["k"] is not layers[5]["k"]
    layers[0]["rate"] = 2
    assert layers[3]["rate"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "# a comment\ninput: 8\nlayers:\n  - {kind: relu}\n",
        "input: 8 # a comment\nlayers:\n  - {kind: relu}\n",
        "input: '8'\nlayers:\n  - {kind: relu}\n",
        "input: 8\nlayers:\n  - kind: relu\n    name: r\n",
        "input: 8\nlayers:\n  - {kind: relu}\n  - {kind: relu, kind: tanh}\n",
        "input: 8\ninput: 9\nlayers:\n  - {kind: relu}\n",
        "---\ninput: 8\nlayers:\n  - {kind: relu}\n",
        "input: 8\nlayers:\n  - {kind: relu,}\n",
        "input: 8\nlayers:\n  - {kind: relu}\n   - {kind: relu}\n",
        "input: 8\nlayers:\n",
        "input: 8\nlayers: &a\n  - {kind: relu}\nmore: *a\n",
        "input: 8\nlayers:\n  - {kind: dense, units: " + "9" * 60 + "}\n",
        "input:8\nlayers:\n  - {kind: relu}\n",
        "input: 8\r\nlayers:\r\n  - {kind: relu}\r\n",
        "input: 8\nlayers:\n\t- {kind: relu}\n",
        "input: 8\nlayers:\n  - {kind: {a: 1}}\n",
        "",
        "\n\n",
    ],
)
def test_any_other_text_is_left_to_the_parser(text: str) -> None:
    assert not agree(text)


def test_every_shipped_yaml_file_reads_the_same_either_way() -> None:
    files = [p for folder in ("specs", "examples", "tests/data") for p in sorted((ROOT / folder).rglob("*.yaml"))]
    assert len(files) > 30
    for path in files:
        agree(path.read_text(encoding="utf-8"))


def in_layout(data: dict[str, Any]) -> str | None:
    """A bundled spec written as a program would write it, or None when a value needs more."""

    def written(value: Any) -> str | None:
        if isinstance(value, dict):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            items = [written(v) for v in value]
            return None if any(i is None or i.startswith("[") for i in items) else f"[{', '.join(items)}]"  # type: ignore[arg-type]
        text = str(value)
        if isinstance(value, str) and (not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.+\-]*", text) or text in NOT_TEXT):
            return None
        return text

    lines = []
    for key, value in data.items():
        if key == "layers":
            lines.append("layers:")
            for layer in value:
                if not isinstance(layer, dict):
                    return None
                pairs = [(k, written(v)) for k, v in layer.items()]
                if any(w is None for _, w in pairs):
                    return None
                lines.append("  - {" + ", ".join(f"{k}: {w}" for k, w in pairs) + "}")
        else:
            if key == "input" and isinstance(value, dict) and value.get("layout", "hwc") == "hwc":
                value = value["shape"]
            shown = written(value)
            if shown is not None:  # a description, say: left out, as a program might
                lines.append(f"{key}: {shown}")
    return "\n".join(lines) + "\n"


NOT_TEXT = {"true", "false", "null", "True", "False", "TRUE", "FALSE", "Null", "NULL"}


def test_bundled_networks_written_as_a_program_would_read_the_same_either_way() -> None:
    import yaml

    texts = [in_layout(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted((ROOT / "specs").glob("*.yaml"))]
    taken = [text for text in texts if text is not None]
    assert len(taken) >= 5
    for text in taken:
        assert agree(text), text


ALPHABET = [*"abk019-_.+:, []{}\n#'\"&*!|>%@`?\t", ": ", ", ", "- ", "  ", "\n  - ", "{", "}"]


def test_mutated_texts_are_read_alike_or_left_to_the_parser() -> None:
    """Seeded mutations of simple texts: whenever the line reader accepts one, the parser reads
    the same data and positions; whatever the parser refuses, the line reader leaves."""
    rng = random.Random(20261129)
    seeds = [
        chain(6),
        "input: [4, 4, 2]\nlayers:\n- {kind: conv, filters: 2, kernel: [1, 1]}\n- {kind: relu}\nname: n\n",
        "name: x\nlayers:\n  - {a: 1, b: [1, 2], c: -1.5}\n  - 3\n  - [1]\n",
    ]
    taken = 0
    for _ in range(3000):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.3 and at < len(text):
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + rng.choice(ALPHABET) + text[at:]
        taken += agree(text)
    assert taken > 300  # the mutations stay close enough to the layout to test it


def test_a_spec_in_the_layout_counts_as_the_bundled_one() -> None:
    import yaml

    from cnncalc import analyze, load_spec
    from cnncalc.spec import load_spec_text

    for name in ("vgg16", "alexnet", "lenet5"):
        text = in_layout(yaml.safe_load((ROOT / "specs" / f"{name}.yaml").read_text(encoding="utf-8")))
        assert text is not None and read_lines(text, "t.yaml") is not None
        assert analyze(load_spec_text(text)).totals == analyze(load_spec(name)).totals


def test_an_error_in_the_layout_is_located_at_its_value() -> None:
    from cnncalc.errors import SpecError
    from cnncalc.spec import load_spec_text

    text = chain(4).replace("filters: 8", "filters: -8", 2).replace("filters: -8", "filters: 8", 1)
    assert read_lines(text, "t.yaml") is not None
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, "t.yaml")
    located = caught.value.diagnostics[0].location
    assert located is not None
    # line 6 is the second conv; its filters value starts after "  - {kind: conv, filters: "
    assert (located.line, located.column) == (6, len("  - {kind: conv, filters: ") + 1)
