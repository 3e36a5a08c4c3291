"""The ONNX import's entry points: a model file, or a model in memory, in; spec data out.

A file is bounded (check_model_file) and parsed without its external data; the whole graph is
then screened (screen.py) before shape inference runs, on a copy without the large weights, and
the walk (walk.py) writes the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.common import InteropError, check_model_file, require
from cnncalc.features.interop.onnx.constants import MAX_FOLD_ELEMENTS
from cnncalc.features.interop.onnx.screen import element_count, is_external, screen, text
from cnncalc.features.interop.onnx.walk import Importer

if TYPE_CHECKING:
    from onnx import ModelProto


def onnx_to_spec_data(
    path: Path, notes: list[str] | None = None, calls: dict[str, str] | None = None
) -> dict[str, Any]:
    """The spec of the ONNX model at `path`, as plain data for `validate_spec`.

    External data is resolved, for its checks only, inside the model's own folder. What the
    import leaves out (nodes that feed no output) is appended to `notes`, if given.
    """
    onnx = require("onnx", "ONNX import", "onnx")
    check_model_file(path, "an ONNX model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises its own DecodeError, or others on garbage
        raise InteropError.single(
            f"{path}: not a readable ONNX model ({type(e).__name__})", hint="export it with torch.onnx.export"
        ) from None
    return model_to_spec_data(model, path.stem, folder=path.parent, notes=notes, calls=calls)


def model_to_spec_data(
    model: ModelProto,
    default_name: str = "",
    folder: Path | None = None,
    notes: list[str] | None = None,
    calls: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The spec of an in-memory ONNX model (what `onnx_to_spec_data` reads from a file).

    `folder` is where the model's external data would lie; without it, external locations are
    checked only for their form (relative, no `..`). How the PyTorch model called each layer
    (module, function, operator; read from the node names its exporter wrote) goes to `calls`,
    if given, for the peer presets.
    """
    require("onnx", "ONNX import", "onnx")
    from onnx import shape_inference

    screen(model, folder)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    try:  # on a copy without the weights: inference needs their dims, not a second copy of their bytes
        inferred = shape_inference.infer_shapes(_for_inference(model)).graph
    except Exception:  # a model shape inference cannot follow still imports; shapes come from cnncalc
        inferred = None
    importer = Importer(model.graph, inferred, default_name, _describe(model), opset)
    data = importer.run()
    if importer.notes:
        data["description"] += "; " + "; ".join(importer.notes)
        if notes is not None:
            notes.extend(importer.notes)
    if calls is not None:
        calls.update(importer.calls)
    return data


def _describe(model: ModelProto) -> str:
    opsets = ", ".join(f"{text(o.domain) or 'ai.onnx'} {o.version}" for o in model.opset_import[:8])
    producer = f"{text(model.producer_name)[:80]} {text(model.producer_version)[:40]}".strip()
    return f"imported from ONNX (opset {opsets}" + (f"; produced by {producer})" if producer else ")")


def _for_inference(model: ModelProto) -> ModelProto:
    """The model as shape inference needs it: large or external initializers turned into typed
    graph inputs, so that inference neither copies the weights nor looks for external files."""
    from onnx import ModelProto, helper

    light = ModelProto()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    graph = light.graph
    graph.node.extend(model.graph.node)
    graph.input.extend(model.graph.input)
    graph.output.extend(model.graph.output)
    graph.value_info.extend(model.graph.value_info)
    inputs = {i.name for i in model.graph.input}
    for tensor in model.graph.initializer:
        if not is_external(tensor) and element_count(tensor.dims) <= MAX_FOLD_ELEMENTS:
            graph.initializer.append(tensor)
        elif tensor.name not in inputs:
            graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    return light
