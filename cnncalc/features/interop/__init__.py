"""Real models in and out: ONNX and Keras import, PyTorch export, and matching a spec to a model.

Every library used here (onnx, torch) is an optional extra, imported inside the functions
that need it, so that the other commands start as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.common import InteropError

if TYPE_CHECKING:
    from cnncalc.spec.model import Spec

#: file suffixes read as models rather than as YAML specs
MODEL_SUFFIXES: tuple[str, ...] = (".onnx", ".keras", ".json")


def is_model_file(path: str | Path) -> bool:
    """True for a file this package imports, so a spec loader can dispatch here.

    .onnx and .keras by their suffix; a .json file only when it holds a Keras model config
    (`class_name` and `config` at the top), since a spec may be written in JSON too.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".onnx", ".keras"):
        return True
    if suffix != ".json":
        return False
    from cnncalc.features.interop.keras.archive import looks_like_keras_json

    return looks_like_keras_json(path)


def model_spec_data(path: Path, notes: list[str] | None = None, calls: dict[str, str] | None = None) -> dict[str, Any]:
    """The spec of a model file as plain data, whichever format its suffix names.

    What an importer leaves out on purpose (an ONNX node that feeds no output) is appended to
    `notes`, if given, for the command to print; the spec's description says it too. How the
    model calls each layer (an ONNX file from PyTorch says it in its node names) goes to `calls`.
    """
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from cnncalc.features.interop.onnx.read import onnx_to_spec_data

        return onnx_to_spec_data(path, notes, calls)
    if suffix in (".keras", ".json"):
        from cnncalc.features.interop.keras.model import keras_to_spec_data

        return keras_to_spec_data(path)
    raise InteropError.single(
        f"{path}: not a model file cnncalc imports",
        hint="give an ONNX model (.onnx), a Keras model (.keras) or a model.to_json() file (.json)",
    )


def load_model_spec(path: str | Path, notes: list[str] | None = None) -> Spec:
    """An ONNX or Keras model file as a validated Spec; what the import left out goes to `notes`."""
    from cnncalc.spec.loader import validate_spec
    from cnncalc.spec.model import SourceMap

    path = Path(path)
    calls: dict[str, str] = {}
    spec = validate_spec(model_spec_data(path, notes, calls), SourceMap(str(path)))
    return spec.with_calls(calls) if calls else spec


def load_spec(ref: str, notes: list[str] | None = None) -> Spec:
    """A spec file or bundled network name, or a model file (.onnx, .keras, a Keras .json)
    imported as a spec: what every command that takes a spec reads.

    The importers are loaded only for those suffixes, so a YAML spec starts as fast as before.
    cnncalc.spec's own load_spec reads specs only: the spec language knows no model format.
    What an importer leaves out on purpose is appended to `notes`, for the command to say.
    """
    from cnncalc.spec.loader import load_spec as load_spec_file

    if Path(ref).suffix.lower() in MODEL_SUFFIXES and is_model_file(ref):
        return load_model_spec(ref, notes)
    return load_spec_file(ref)


__all__ = ["MODEL_SUFFIXES", "InteropError", "is_model_file", "load_model_spec", "load_spec", "model_spec_data"]
