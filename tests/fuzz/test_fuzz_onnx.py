"""Fuzzing the ONNX importer: whatever a model file holds, only cnncalc's own error comes out.

Two small models written with onnx.helper (a conv chain and a residual block) are mutated two
ways: as bytes (flips and truncations of the serialized protobuf), and as a graph (attribute
types changed, attributes removed, dims made huge, negative or zero, inputs renamed to unknown
names, operators swapped). An exception other than CnncalcError is a bug: a user would see
"internal error" and exit 3. CNNCALC_DEBUG is set, so the importer's last-resort conversion of
a stray exception into an error does not hide one from this test.

The number of examples is bounded (CNNCALC_FUZZ_EXAMPLES, 150 by default); in CI the examples
are derandomized (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from onnx import AttributeProto, TensorProto, helper, numpy_helper  # noqa: E402

from cnncalc.core.walk import analyze  # noqa: E402
from cnncalc.errors import CnncalcError  # noqa: E402
from cnncalc.features.interop.onnx.read import model_to_spec_data, onnx_to_spec_data  # noqa: E402
from cnncalc.spec.loader import validate_spec  # noqa: E402
from cnncalc.spec.model import SourceMap  # noqa: E402

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPS = ["Conv", "Relu", "MaxPool", "Add", "Concat", "Gemm", "Reshape", "Clip", "Resize", "Pad", "LRN", "If"]
OPS += ["ConstantOfShape", "Range", "Expand", "Shape", "Gather", "Identity", "Softmax", "Flatten", "Loop", "Foo"]
NAMES = ["x", "y", "w", "c1", "ghost", "", "shape", "r1"]
HUGE = [0, 1, -1, -(2**40), 2**31, 2**40, 2**62, 10**6]


def _weight(name: str, dims: list[int]) -> Any:
    import numpy as np

    return numpy_helper.from_array(np.ones(dims, dtype=np.float32), name)


def conv_chain() -> Any:
    """conv, relu, pool, reshape to a vector (through Shape arithmetic), dense."""
    import numpy as np

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Reshape", ["p1", "shape"], ["v"], name="flat"),
        helper.make_node("Gemm", ["v", "fc", "fcb"], ["y"], name="fc", transB=1),
    ]
    inits = [_weight("w1", [4, 3, 3, 3]), _weight("b1", [4]), _weight("fc", [10, 64]), _weight("fcb", [10])]
    inits.append(numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape"))
    return _model(nodes, inits, [1, 3, 8, 8])


def residual() -> Any:
    """conv, bn, relu and a skip connection added back, then Clip as ReLU6 and a Resize."""
    import numpy as np

    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["n1"], name="bn1"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("Add", ["r1", "x"], ["a"], name="add"),
        helper.make_node("Clip", ["a", "lo", "hi"], ["k"], name="relu6"),
        helper.make_node("Resize", ["k", "", "scales"], ["y"], name="up", mode="nearest"),
    ]
    inits = [_weight("w1", [4, 4, 3, 3]), *(_weight(n, [4]) for n in "sbmv")]
    inits += [numpy_helper.from_array(np.array(v, dtype=np.float32), n) for n, v in (("lo", 0.0), ("hi", 6.0))]
    inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales"))
    return _model(nodes, inits, [1, 4, 8, 8])


def _model(nodes: list[Any], inits: list[Any], shape: list[int]) -> Any:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "net", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


MODELS = [conv_chain(), residual()]
SERIALIZED = [m.SerializeToString() for m in MODELS]


@pytest.fixture(autouse=True, scope="module")
def debug() -> Iterator[None]:
    """Let stray exceptions through the importer's backstop, so that this test sees them."""
    previous = os.environ.get("CNNCALC_DEBUG")
    os.environ["CNNCALC_DEBUG"] = "1"
    yield
    if previous is None:
        del os.environ["CNNCALC_DEBUG"]
    else:
        os.environ["CNNCALC_DEBUG"] = previous


def only_our_errors_model(model: Any) -> None:
    """Import (and count) an in-memory model; a CnncalcError is a fine answer, anything else a bug."""
    with contextlib.suppress(CnncalcError):
        analyze(validate_spec(model_to_spec_data(model, "net"), SourceMap("net.onnx")))


def only_our_errors_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.onnx"
        path.write_bytes(data)
        with contextlib.suppress(CnncalcError):
            analyze(validate_spec(onnx_to_spec_data(path), SourceMap(str(path))))


def test_the_seeds_import() -> None:
    for model in MODELS:
        assert model_to_spec_data(model, "net")["layers"]


@FUZZ
@given(
    st.sampled_from(range(len(SERIALIZED))),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    st.one_of(st.none(), st.integers(min_value=0)),
)
def test_byte_flips_and_truncations(seed: int, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(SERIALIZED[seed])
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    only_our_errors_bytes(bytes(data))


ATTRIBUTE_TYPES = [
    AttributeProto.FLOAT,
    AttributeProto.INT,
    AttributeProto.STRING,
    AttributeProto.FLOATS,
    AttributeProto.INTS,
    AttributeProto.STRINGS,
    AttributeProto.TENSOR,
    AttributeProto.UNDEFINED,
]


def mutate(model: Any, kind: str, a: int, b: int, value: int) -> None:
    """One structured change to `model`, chosen by `kind`; a, b pick the node, attribute or tensor."""
    graph = model.graph
    node = graph.node[a % len(graph.node)]
    if kind == "attribute-type" and node.attribute:
        attr = node.attribute[b % len(node.attribute)]
        attr.type = ATTRIBUTE_TYPES[value % len(ATTRIBUTE_TYPES)]
        if attr.type == AttributeProto.FLOAT:
            attr.f = float(value)
        elif attr.type == AttributeProto.STRING:
            attr.s = str(value).encode()
    elif kind == "attribute-removed" and node.attribute:
        del node.attribute[b % len(node.attribute)]
    elif kind == "attribute-value" and node.attribute:
        attr = node.attribute[b % len(node.attribute)]
        if attr.type == AttributeProto.INTS and attr.ints:
            attr.ints[value % len(attr.ints)] = HUGE[b % len(HUGE)]
            if value % 3 == 0:
                attr.ints.append(value)
        elif attr.type == AttributeProto.INT:
            attr.i = HUGE[value % len(HUGE)]
    elif kind == "dims":
        tensor = graph.initializer[b % len(graph.initializer)]
        if tensor.dims:
            tensor.dims[value % len(tensor.dims)] = HUGE[a % len(HUGE)]
        else:
            tensor.dims.append(HUGE[a % len(HUGE)])
    elif kind == "input-dims":
        dims = graph.input[0].type.tensor_type.shape.dim
        dims[value % len(dims)].dim_value = HUGE[a % len(HUGE)]
    elif kind == "input-renamed" and node.input:
        node.input[b % len(node.input)] = NAMES[value % len(NAMES)]
    elif kind == "output-renamed":
        node.output[0] = NAMES[value % len(NAMES)]
    elif kind == "op-swapped":
        node.op_type = OPS[value % len(OPS)]
    elif kind == "input-dropped" and node.input:
        del node.input[b % len(node.input)]
    elif kind == "node-dropped":
        del graph.node[a % len(graph.node)]
    elif kind == "node-duplicated":
        graph.node.append(node)
    elif kind == "subgraph":
        attr = node.attribute.add()
        attr.name, attr.type = "body", AttributeProto.GRAPH
        attr.g.CopyFrom(helper.make_graph([], "g", [], []))
    elif kind == "raw-data":
        tensor = graph.initializer[b % len(graph.initializer)]
        tensor.ClearField("float_data")
        tensor.ClearField("int64_data")
        tensor.raw_data = bytes(value % 64)
    elif kind == "external":
        tensor = graph.initializer[b % len(graph.initializer)]
        tensor.data_location = TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", ["w.bin", "/etc/passwd", "../x", ""][value % 4]
    elif kind == "opset":
        model.opset_import[0].version = [1, 7, 10, 11, 13, 99, 0][value % 7]


KINDS = [
    "attribute-type",
    "attribute-removed",
    "attribute-value",
    "dims",
    "input-dims",
    "input-renamed",
    "output-renamed",
    "op-swapped",
    "input-dropped",
    "node-dropped",
    "node-duplicated",
    "subgraph",
    "raw-data",
    "external",
    "opset",
]


@FUZZ
@given(
    st.sampled_from(range(len(MODELS))),
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 50), st.integers(0, 50), st.integers(0, 10**6)),
        min_size=1,
        max_size=4,
    ),
)
def test_structured_mutations(seed: int, changes: list[tuple[str, int, int, int]]) -> None:
    model = onnx.ModelProto()
    model.CopyFrom(MODELS[seed])
    for kind, a, b, value in changes:
        if model.graph.node and model.graph.initializer:
            mutate(model, kind, a, b, value)
    only_our_errors_model(model)
