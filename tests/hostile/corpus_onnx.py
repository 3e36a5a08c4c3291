"""Hostile ONNX models: each is refused with exit 2 and a message naming what is wrong.

The models are small graphs written with onnx.helper by functions (the file stays cheap to
import, and onnx is needed only when a case is run). They attack where an ONNX file reaches:
external data outside the model's folder, control flow and subgraphs, constants folded into
something huge, declared sizes, the node count, and malformed attributes and nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases import Case

#: a value the secret file next to the case's working folder holds; no message may show it
SECRET = 4242.5


def _model(
    nodes: list[Any],
    inits: list[Any] | None = None,
    output: str = "y",
    shape: list[int] | None = None,
    opset: int = 17,
    value_info: list[Any] | None = None,
) -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape or [1, 3, 8, 8])
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "net", [x], [y], inits or [], value_info=value_info or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return bytes(model.SerializeToString())


def _weight(name: str, dims: list[int]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ones(dims, dtype=np.float32), name)


def _ints(name: str, values: list[int]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _scalar(name: str, value: float) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def _empty(name: str, dims: list[int]) -> Any:
    """A float tensor with dims and no data."""
    from onnx import TensorProto

    tensor = TensorProto()
    tensor.name, tensor.data_type = name, TensorProto.FLOAT
    tensor.dims.extend(dims)
    return tensor


def _external(name: str, dims: list[int], location: str | None) -> Any:
    """A float tensor whose data is in another file, at `location`."""
    from onnx import TensorProto

    tensor = _empty(name, dims)
    tensor.data_location = TensorProto.EXTERNAL
    if location is not None:
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", location
    return tensor


def _conv(name: str = "conv", x: str = "x", out: str = "y", **attrs: Any) -> Any:
    from onnx import helper

    attrs.setdefault("kernel_shape", [3, 3])
    return helper.make_node("Conv", [x, "w"], [out], name=name, **attrs)


def _conv_net(**attrs: Any) -> bytes:
    return _model([_conv(**attrs)], [_weight("w", [4, 3, 3, 3])])


def _ext_conv(location: str | None) -> Callable[[], bytes]:
    def build() -> bytes:
        return _model([_conv()], [_external("w", [4, 3, 3, 3], location)])

    return build


def _ext_clip(location: str) -> Callable[[], bytes]:
    """A Clip whose upper bound lies in external data (read, it would end up in a message)."""

    def build() -> bytes:
        from onnx import helper

        nodes = [_conv(out="c"), helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]
        return _model(nodes, [_weight("w", [4, 3, 3, 3]), _scalar("lo", 0.0), _external("hi", [], location)])

    return build


def _ext_resize(location: str) -> Callable[[], bytes]:
    def build() -> bytes:
        from onnx import TensorProto, helper

        nodes = [_conv(out="c"), helper.make_node("Resize", ["c", "", "scales"], ["y"], name="up")]
        scales = _external("scales", [4], location)
        scales.data_type = TensorProto.FLOAT
        return _model(nodes, [_weight("w", [4, 3, 3, 3]), scales])

    return build


def _secret() -> bytes:
    import numpy as np

    return np.array([SECRET] * 4, dtype=np.float32).tobytes()


def _ext_constant_node() -> bytes:
    from onnx import helper

    const = helper.make_node("Constant", [], ["hi"], name="bound", value=_external("hi", [], "/etc/hostname"))
    nodes = [const, _conv(out="c"), helper.make_node("Clip", ["c", "", "hi"], ["y"], name="clip")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3])])


def _branch(name: str) -> Any:
    from onnx import TensorProto, helper

    out = helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, None)
    node = helper.make_node("Conv", ["x", "w"], [f"{name}_out"], name=f"{name}_conv", kernel_shape=[3, 3])
    return helper.make_graph([node], name, [], [out])


def _if() -> bytes:
    from onnx import TensorProto, helper

    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    node = helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=_branch("a"), else_branch=_branch("b"))
    return _model([node], [_weight("w", [4, 3, 3, 3]), cond])


def _loop(trips: int) -> Callable[[], bytes]:
    def build() -> bytes:
        from onnx import TensorProto, helper

        body_in = [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("c", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v", TensorProto.FLOAT, None),
        ]
        body_out = [
            helper.make_tensor_value_info("c2", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v2", TensorProto.FLOAT, None),
        ]
        nodes = [
            helper.make_node("Identity", ["c"], ["c2"]),
            helper.make_node("Conv", ["v", "w"], ["v2"], kernel_shape=[1, 1]),
        ]
        body = helper.make_graph(nodes, "body", body_in, body_out)
        inits = [_ints("trips", [trips]), helper.make_tensor("go", TensorProto.BOOL, [], [True])]
        inits.append(_weight("w", [3, 3, 1, 1]))
        node = helper.make_node("Loop", ["trips", "go", "x"], ["y"], name="forever", body=body)
        return _model([node], inits)

    return build


def _scan() -> bytes:
    from onnx import helper

    node = helper.make_node("Scan", ["x"], ["y"], name="scan", body=_branch("s"), num_scan_inputs=1)
    return _model([node], [_weight("w", [4, 3, 3, 3])])


def _graph_attribute() -> bytes:
    from onnx import helper

    node = helper.make_node("Relu", ["x"], ["y"], name="sneaky", hidden=_branch("h"))
    return _model([node])


def _folded(op_nodes: Callable[[], tuple[list[Any], list[Any]]], dead: bool = False) -> Callable[[], bytes]:
    """A conv whose output is added to a constant the given nodes make (named 'k'); or, `dead`,
    the nodes made but used by nothing."""

    def build() -> bytes:
        from onnx import helper

        nodes, inits = op_nodes()
        if dead:
            return _model([*nodes, _conv()], [_weight("w", [4, 3, 3, 3]), *inits])
        add = helper.make_node("Add", ["c", "k"], ["y"], name="add")
        return _model([*nodes, _conv(out="c"), add], [_weight("w", [4, 3, 3, 3]), *inits])

    return build


def _huge_constant_of_shape() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("ConstantOfShape", ["shape"], ["k"], name="fill")
    return [node], [_ints("shape", [1, 4, 1_000_000, 1_000_000])]


def _small_constant_of_shape() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("ConstantOfShape", ["shape"], ["k"], name="fill")
    return [node], [_ints("shape", [1, 4, 6, 6])]


def _huge_range() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("Range", ["start", "limit", "delta"], ["k"], name="count")
    return [node], [_int_scalar("start", 0), _int_scalar("limit", 10**12), _int_scalar("delta", 1)]


def _int_scalar(name: str, value: int) -> Any:
    import numpy as np
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array(value, dtype=np.int64), name)


def _huge_expand() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("Expand", ["one", "shape"], ["k"], name="spread")
    return [node], [_scalar("one", 1.0), _ints("shape", [1, 4, 100_000, 100_000])]


def _huge_tile() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("Tile", ["small", "reps"], ["k"], name="tiles")
    return [node], [_weight("small", [1, 4, 2, 2]), _ints("reps", [1, 1, 50_000, 50_000])]


def _huge_pad() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    node = helper.make_node("Pad", ["small", "pads"], ["k"], name="padded")
    return [node], [_weight("small", [1, 4, 2, 2]), _ints("pads", [0, 0, 0, 0, 0, 0, 10**6, 10**6])]


def _random() -> tuple[list[Any], list[Any]]:
    from onnx import helper

    return [helper.make_node("RandomNormal", [], ["k"], name="noise", shape=[1, 4, 6, 6])], []


def _declared(dims: list[int]) -> bytes:

    tensor = _empty("w", dims)
    return _model([_conv()], [tensor])


def _too_many_nodes() -> bytes:
    """100,001 Relu nodes in a chain, written as protobuf directly (onnx.helper would take seconds)."""
    from onnx import helper

    head = _model([_conv(out="r0")], [_weight("w", [4, 3, 3, 3])], output="r100001")
    node = helper.make_node("Relu", ["r0"], ["r1"], name="")
    template = node.SerializeToString()
    pieces = []
    for i in range(100_001):
        body = template.replace(b"\n\x02r0", b"\n" + _varlen(f"r{i}")).replace(
            b"\x12\x02r1", b"\x12" + _varlen(f"r{i + 1}")
        )
        pieces.append(b"\n" + _varint(len(body)) + body)  # GraphProto.node is field 1
    graph_extra = b"".join(pieces)
    return head + b":" + _varint(len(graph_extra)) + graph_extra  # ModelProto.graph is field 7 (merged)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _varlen(text: str) -> bytes:
    data = text.encode()
    return _varint(len(data)) + data


def _mismatched_data() -> bytes:
    from onnx import helper

    hi = _empty("hi", [])
    hi.raw_data = b"\x00" * 4000
    nodes = [_conv(out="c"), helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3]), _scalar("lo", 0.0), hi])


def _clip(low: float, high: float) -> bytes:
    from onnx import helper

    nodes = [_conv(out="c"), helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3]), _scalar("lo", low), _scalar("hi", high)])


def _resize(scales: list[float]) -> Callable[[], bytes]:
    def build() -> bytes:
        import numpy as np
        from onnx import helper, numpy_helper

        nodes = [_conv(out="c"), helper.make_node("Resize", ["c", "", "scales"], ["y"], name="up")]
        s = numpy_helper.from_array(np.array(scales, dtype=np.float32), "scales")
        return _model(nodes, [_weight("w", [4, 3, 3, 3]), s])

    return build


def _node(
    op: str,
    inputs: list[str],
    outputs: list[str],
    weight: list[int] | None = None,
    shape: list[int] | None = None,
    **attrs: Any,
) -> Callable[[], bytes]:
    """One node between the input and the output (a weight 'w' of the given dims, if any)."""

    def build() -> bytes:
        from onnx import helper

        node = helper.make_node(op, inputs, outputs, name="n", **attrs)
        return _model([node], [_weight("w", weight)] if weight is not None else [], shape=shape)

    return build


def _attribute(name: str, kind: str, value: Any) -> Callable[[], bytes]:
    """A Conv whose attribute `name` has the wrong type: `kind` is 'float', 'string' or 'floats'."""

    def build() -> bytes:
        from onnx import AttributeProto, helper

        node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
        attr = node.attribute.add()
        attr.name = name
        if kind == "float":
            attr.type, attr.f = AttributeProto.FLOAT, value
        elif kind == "string":
            attr.type, attr.s = AttributeProto.STRING, value
        else:
            attr.type = AttributeProto.FLOATS
            attr.floats.extend(value)
        return _model([node], [_weight("w", [4, 3, 3, 3])])

    return build


def _duplicate_attribute() -> bytes:
    node = _conv()
    node.attribute.extend([node.attribute[0]])
    return _model([node], [_weight("w", [4, 3, 3, 3])])


def _no_outputs() -> bytes:
    from onnx import helper

    return _model([_conv(out="y"), helper.make_node("Relu", ["y"], [], name="nothing")], [_weight("w", [4, 3, 3, 3])])


def _bad_name() -> bytes:
    node = _conv(name="NAMEPLACEHOLDER")
    data = _model([node], [_weight("w", [4, 3, 3, 3])])
    return data.replace(b"NAMEPLACEHOLDER", b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1")


def _negative_value_info() -> bytes:
    from onnx import TensorProto, helper

    info = helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, -4, 6, 6])
    nodes = [_conv(out="c"), helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3])], value_info=[info])


def _custom(op: str, domain: str) -> bytes:
    from onnx import helper

    nodes = [_conv(out="c"), helper.make_node(op, ["c"], ["y"], name="odd", domain=domain)]
    return _model(nodes, [_weight("w", [4, 3, 3, 3])])


def _unknown_input() -> bytes:
    from onnx import helper

    nodes = [_conv(out="c"), helper.make_node("Relu", ["ghost"], ["y"], name="relu")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3])])


def _cycle() -> bytes:
    from onnx import helper

    nodes = [helper.make_node("Add", ["x", "y"], ["y"], name="loop_add")]
    return _model(nodes)


def _constant_without_value() -> bytes:
    from onnx import helper

    nodes = [helper.make_node("Constant", [], ["k"], name="empty"), _conv(out="c")]
    nodes.append(helper.make_node("Add", ["c", "k"], ["y"], name="add"))
    return _model(nodes, [_weight("w", [4, 3, 3, 3])])


def _data_as_weight() -> bytes:
    from onnx import helper

    nodes = [_conv(out="c"), helper.make_node("Conv", ["c", "c"], ["y"], name="self_conv", kernel_shape=[3, 3])]
    return _model(nodes, [_weight("w", [4, 3, 3, 3])])


def _pad_wrong_length() -> bytes:
    from onnx import helper

    nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"), _conv(x="p")]
    return _model(nodes, [_weight("w", [4, 3, 3, 3]), _ints("pads", [0, 0, 1, 1, 0, 0])])


def _pad_constant(value: float) -> Callable[[], bytes]:
    """A Pad of a constant other than 0 read by a Relu: no `pad` layer, which adds zeros."""

    def build() -> bytes:
        from onnx import helper

        inits = [_ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), _scalar("v", value)]
        nodes = [helper.make_node("Pad", ["x", "pads", "v"], ["p"], name="pad"), helper.make_node("Relu", ["p"], ["y"])]
        return _model(nodes, inits)

    return build


def _concat_constant() -> bytes:
    from onnx import helper

    nodes, inits = _small_constant_of_shape()
    nodes += [_conv(out="c"), helper.make_node("Concat", ["c", "k"], ["y"], name="cat", axis=1)]
    return _model(nodes, [_weight("w", [4, 3, 3, 3]), *inits])


def _truncated() -> bytes:
    data = _conv_net()
    return data[: len(data) // 2]


def _secret_files(build: Callable[[], bytes]) -> dict[str, Any]:
    return {"m/model.onnx": build, "secret.txt": _secret}


def onnx_case(
    case_id: str, build: Callable[[], bytes] | bytes, message: str, command: str = "summarize", **kw: Any
) -> Case:
    return Case(f"onnx-{case_id}", (command, "{d}/m.onnx"), message, {"m.onnx": build}, **kw)


ONNX: list[Case] = [
    # --- external data: resolved only inside the model's folder, never read ---
    onnx_case("ext-absolute", _ext_conv("/etc/passwd"), "initializer 'w' has its external data at an absolute path"),
    onnx_case("ext-dev-zero", _ext_conv("/dev/zero"), "'w' has its external data at an absolute path"),
    onnx_case("ext-dotdot", _ext_conv("../w.bin"), "'w' has its external data outside the model's folder"),
    onnx_case("ext-dotdot-inner", _ext_conv("a/../../w.bin"), "outside the model's folder ('..'"),
    onnx_case("ext-backslash-dotdot", _ext_conv("..\\w.bin"), "outside the model's folder ('..'"),
    onnx_case("ext-no-location", _ext_conv(None), "'w' has external data without a (utf-8) location"),
    onnx_case("ext-link-out", _ext_conv("w.bin"), "through a symbolic link", special=("link:w.bin->/etc/hostname",)),
    onnx_case("ext-link-dev", _ext_conv("w.bin"), "through a symbolic link", special=("link:w.bin->/dev/zero",)),
    onnx_case("ext-link-dir", _ext_conv("etc/hostname"), "through a symbolic link", special=("link:etc->/etc",)),
    onnx_case(
        "ext-fifo",
        _ext_conv("w.bin"),
        "'w' has its external data in something that is not a regular file",
        special=("fifo:w.bin",),
    ),
    onnx_case("ext-dir", _ext_conv("w.bin"), "not a regular file", special=("dir:w.bin",)),
    onnx_case("ext-constant-node", _ext_constant_node, "'hi' has its external data at an absolute path"),
    Case(
        "onnx-ext-cwd-clip",
        ("summarize", "{d}/m/model.onnx"),
        "a bound that is not a known scalar constant ('hi' (float, shape [])",
        _secret_files(_ext_clip("secret.txt")),
    ),
    Case(
        "onnx-ext-cwd-resize",
        ("import", "{d}/m/model.onnx"),
        "scales or sizes that are not constants of the model's rank ('scales' (float, shape [4])",
        _secret_files(_ext_resize("secret.txt")),
    ),
    # --- control flow and subgraphs ---
    onnx_case("if", _if, "node 'branch' (If): control flow (If, Loop, Scan) is not imported"),
    onnx_case("loop-2-40", _loop(2**40), "node 'forever' (Loop): control flow"),
    onnx_case("scan", _scan, "node 'scan' (Scan): control flow"),
    onnx_case("graph-attribute", _graph_attribute, "node 'sneaky' (Relu) holds a subgraph (attribute 'hidden')"),
    # --- constants folded: predicted before they are computed ---
    onnx_case(
        "constant-of-shape-huge",
        _folded(_huge_constant_of_shape),
        "node 'fill' (ConstantOfShape) computes a constant of more than 1,000,000 elements",
    ),
    onnx_case(
        "constant-of-shape-unconnected",
        _folded(_huge_constant_of_shape, dead=True),
        "note: ignored 1 node(s) whose outputs reach no graph output: 'fill' (ConstantOfShape)",
        command="import",
        exit_code=0,
    ),
    onnx_case(
        "constant-of-shape-unconnected-summarize",
        _folded(_huge_constant_of_shape, dead=True),
        "note: ignored 1 node(s) whose outputs reach no graph output: 'fill' (ConstantOfShape)",
        exit_code=0,
    ),
    onnx_case(
        "constant-of-shape-added",
        _folded(_small_constant_of_shape),
        "add with a constant operand 'k' (made by node 'fill' (ConstantOfShape))",
    ),
    onnx_case("range-huge", _folded(_huge_range), "node 'count' (Range) computes a constant of more than 1,000,000"),
    onnx_case("expand-huge", _folded(_huge_expand), "node 'spread' (Expand) computes a constant of more than"),
    onnx_case("tile-huge", _folded(_huge_tile), "node 'tiles' (Tile) computes a constant of more than"),
    onnx_case("pad-huge", _folded(_huge_pad), "node 'padded' (Pad) computes a constant of more than"),
    onnx_case(
        "random-normal",
        _folded(_random),
        "RandomNormal at node 'noise': none of its inputs is the network's data, and it makes random values",
    ),
    # --- declared sizes and counts ---
    onnx_case(
        "init-huge-dims",
        lambda: _declared([2**31, 2**31]),
        "initializer 'w' declares more than 1,099,511,627,776 elements",
    ),
    onnx_case(
        "init-overflow-dims", lambda: _declared([2**62, 2**62, 4]), "declares more than 1,099,511,627,776 elements"
    ),
    onnx_case("init-negative-dims", lambda: _declared([4, -3, 3, 3]), "initializer 'w' declares a negative dimension"),
    onnx_case("value-info-negative", _negative_value_info, "value 'c' declares a negative dimension"),
    onnx_case("too-many-nodes", _too_many_nodes, "the onnx graph has 100,002 nodes; cnncalc imports at most 100,000"),
    onnx_case("data-mismatch", _mismatched_data, "constant 'hi' (float, shape []) holds data that does not match"),
    # --- values never shown ---
    onnx_case(
        "clip-bounds", lambda: _clip(-1.5, 7.25), "a clip whose bounds are not [0, 6] (bounds: 'lo' (float, shape [])"
    ),
    onnx_case(
        "resize-fraction",
        _resize([1, 1, 1.5, 1.5]),
        "scales that are not whole factors on the spatial axes ('scales' (float, shape [4]))",
    ),
    onnx_case("resize-nan", _resize([1, 1, float("nan"), 2]), "scales that are not finite numbers"),
    onnx_case("resize-short", _resize([1, 2]), "scales or sizes that are not constants of the model's rank"),
    # --- malformed attributes ---
    onnx_case(
        "kernel-float",
        _attribute("kernel_shape", "float", 3.0),
        "node 'conv' (Conv): attribute 'kernel_shape' is not of type ints",
    ),
    onnx_case(
        "kernel-string", _attribute("kernel_shape", "string", b"3x3"), "attribute 'kernel_shape' is not of type ints"
    ),
    onnx_case("group-floats", _attribute("group", "floats", [1.0]), "attribute 'group' is not of type int"),
    onnx_case(
        "maxpool-no-kernel", _node("MaxPool", ["x"], ["y"]), "node 'n' (MaxPool): attribute 'kernel_shape' is missing"
    ),
    onnx_case("lrn-no-size", _node("LRN", ["x"], ["y"]), "node 'n' (LRN): attribute 'size' is missing"),
    onnx_case("lrn-size-zero", _node("LRN", ["x"], ["y"], size=0), "attribute 'size' is 0; it must be between 1 and"),
    onnx_case("group-zero", lambda: _conv_net(group=0), "node 'conv' (Conv): attribute 'group' is 0"),
    onnx_case("strides-zero", lambda: _conv_net(strides=[0, 1]), "attribute 'strides' has a value below 1"),
    onnx_case("strides-negative", lambda: _conv_net(strides=[-2, -2]), "attribute 'strides' has a value below 1"),
    onnx_case("dilations-zero", lambda: _conv_net(dilations=[0, 0]), "attribute 'dilations' has a value below 1"),
    onnx_case("pads-short", lambda: _conv_net(pads=[1, 1, 1]), "attribute 'pads' has 3 values; 4 expected"),
    onnx_case("pads-negative", lambda: _conv_net(pads=[-1, -1, -1, -1]), "attribute 'pads' has a value below 0"),
    onnx_case(
        "kernel-rank", lambda: _conv_net(kernel_shape=[3, 3, 3]), "attribute 'kernel_shape' has 3 values; 2 expected"
    ),
    onnx_case("kernel-zero", lambda: _conv_net(kernel_shape=[0, 0]), "attribute 'kernel_shape' has a value below 1"),
    onnx_case("auto-pad-garbage", lambda: _conv_net(auto_pad="SIDEWAYS"), "attribute 'auto_pad' is none of"),
    onnx_case("duplicate-attribute", _duplicate_attribute, "attribute 'kernel_shape' is given twice"),
    onnx_case("softmax-axis-string", _node("Softmax", ["x"], ["y"], axis="1"), "attribute 'axis' is not of type int"),
    # --- malformed nodes ---
    onnx_case("conv-no-inputs", _node("Conv", [], ["y"]), "node 'n' (Conv) has 0 input(s); Conv takes 2 to 3"),
    onnx_case("identity-no-input", _node("Identity", [], ["y"]), "node 'n' (Identity) has 0 input(s)"),
    onnx_case("node-no-outputs", _no_outputs, "node 'nothing' (Relu) has no outputs"),
    onnx_case("non-utf8-name", _bad_name, "has a name or operator that is not utf-8 text"),
    onnx_case(
        "conv-weight-rank-1",
        _node("Conv", ["x", "w"], ["y"], weight=[4]),
        "its weight 'w' has rank 1; rank at least 3 expected",
    ),
    onnx_case("conv-weight-rank-0", _node("Conv", ["x", "w"], ["y"], weight=[]), "its weight 'w' has rank 0"),
    onnx_case(
        "conv-weight-empty",
        _node("Conv", ["x", "w"], ["y"], weight=[0, 3, 3, 3]),
        "its weight 'w' has an empty dimension",
    ),
    onnx_case(
        "gemm-weight-rank-1",
        _node("Gemm", ["x", "w"], ["y"], weight=[3], shape=[1, 3]),
        "node 'n' (Gemm): its weight 'w' has rank 1; rank 2 expected",
    ),
    onnx_case(
        "gemm-input-rank-4",
        _node("Gemm", ["x", "w"], ["y"], weight=[3, 3]),
        "unsupported operator gemm at node 'n': an input of rank 4",
    ),
    onnx_case(
        "unknown-operator",
        lambda: _custom("Frobnicate", ""),
        "unsupported operator frobnicate at node 'odd': onnx opset 17 has no operator of this name",
    ),
    onnx_case("custom-domain", lambda: _custom("Relu", "com.evil"), "operator domain 'com.evil'"),
    onnx_case(
        "unknown-input",
        _unknown_input,
        "node 'relu' (Relu) reads 'ghost', which no graph input, initializer or earlier node makes",
    ),
    onnx_case("cycle", _cycle, "node 'loop_add' (Add) reads 'y', which no graph input"),
    onnx_case("constant-no-value", _constant_without_value, "node 'empty' (Constant) has 0 attributes"),
    onnx_case("data-as-weight", _data_as_weight, "its input 'c' is data, where onnx reads a setting"),
    onnx_case("pad-wrong-length", _pad_wrong_length, "6 pads for an input of rank 4"),
    onnx_case("pad-constant-one", _pad_constant(1.0), "pad at node 'pad': its constant is 1.0, not 0"),
    onnx_case("pad-constant-nan", _pad_constant(float("nan")), "its constant is nan, not 0"),
    onnx_case(
        "concat-constant",
        _concat_constant,
        "a constant among the tensors concatenated, 'k' (made by node 'fill' (ConstantOfShape))",
    ),
    # --- not a model at all ---
    onnx_case("garbage", b"\x00\xff" * 64 + b"garbage", "not a readable onnx model"),
    onnx_case("empty-file", b"", "the onnx graph has no input with a batch and a feature axis"),
    onnx_case("truncated", _truncated, "not a readable onnx model"),
    Case("onnx-fifo-model", ("summarize", "{d}/m.onnx"), "not a file", special=("fifo:m.onnx",)),
    Case("onnx-dev-zero-model", ("import", "{d}/m.onnx"), "not a file", special=("link:m.onnx->/dev/zero",)),
]
