"""The JSON Schema of a spec, made from the models and the kinds registered when it is asked for.

`cnncalc schema` prints it; cnncalc/schema/spec.schema.json ships it (tests/spec/test_schema.py
keeps the two equal).
"""

from __future__ import annotations

import json
from typing import Any

from cnncalc.layers.base import ALIASES
from cnncalc.layers.registry import layer_classes
from cnncalc.spec.model import SHAPE_PATTERN, Spec


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, from the pydantic models, with what their before-validators accept.

    `Spec.model_json_schema()` describes the validated form; the loader also accepts the
    shorthands people write — `input: 224x224x3` and kind aliases (`maxpool`, `fc`, `conv2d`)
    — so they are added here, or editors would flag valid specs.
    """
    schema = Spec.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    layer_names = {cls.__name__ for cls in layer_classes()}
    for name, definition in defs.items():
        kind = definition.get("properties", {}).get("kind")
        if kind is None or name not in layer_names:
            continue
        canonical = kind.pop("enum", None) or [kind.pop("const")]
        aliases = sorted(alias for alias, target in ALIASES.items() if target in canonical)
        kind["enum"] = [*canonical, *aliases]
    shorthand = {
        "type": "string",
        "pattern": SHAPE_PATTERN,
        "description": "Shorthand for an HWC shape: 224x224x3.",
    }
    schema["properties"]["input"] = {
        **{k: v for k, v in schema["properties"]["input"].items() if k != "$ref"},
        "anyOf": [
            {"$ref": "#/$defs/InputSpec"},
            shorthand,
            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4},
            {"type": "integer", "minimum": 1},
        ],
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as `cnncalc schema` prints it and cnncalc/schema/spec.schema.json holds it."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


__all__ = ["schema_text", "spec_schema"]
