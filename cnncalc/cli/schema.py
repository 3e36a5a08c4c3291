"""`cnncalc schema`: the JSON Schema of a spec, for editor completion and validation."""

from __future__ import annotations

import json
from typing import Any

import typer

from cnncalc.cli.common import handles_errors


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, from the pydantic models, with what their before-validators accept.

    `Spec.model_json_schema()` describes the validated form; the loader also accepts the
    shorthands people write — `input: 224x224x3` and kind aliases (`maxpool`, `fc`, `conv2d`)
    — so they are added here, or editors would flag valid specs.
    """
    from cnncalc.layers import ALIASES, REGISTRY
    from cnncalc.spec.model import SHAPE_PATTERN, Spec

    schema = Spec.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    for name, definition in defs.items():
        kind = definition.get("properties", {}).get("kind")
        if kind is None or name not in {cls.__name__ for cls in REGISTRY.values()}:
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


@handles_errors
def schema() -> None:
    """Print the JSON Schema of the spec, for editor completion and validation.

    Example:

        cnncalc schema > spec.schema.json

    then start a spec with `# yaml-language-server: $schema=./spec.schema.json`.
    """
    typer.echo(schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    """Add `schema` to the app."""
    app.command()(schema)
