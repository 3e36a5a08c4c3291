"""The symbolic walk: a Spec and the counting Conventions in, a Report out.

Pure: no I/O, no NumPy, no rich. The graph (cnncalc.core.graph) says which layer reads
which; each layer's own rule (cnncalc.layers) computes its shape and costs; this
module feeds them in execution order, multiplies by the batch and sums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from math import prod
from operator import add, sub
from typing import Any

from cnncalc.core.conventions import DTYPE_BYTES, Conventions
from cnncalc.core.gcpause import paused_gc
from cnncalc.core.graph import Graph, Node, build_graph
from cnncalc.core.receptive import ReceptiveField, beyond_limit, input_field, next_field
from cnncalc.core.report import LayerRow, Report, Totals
from cnncalc.errors import Diagnostic, InputRankError, LayerRuleError, ShapeError
from cnncalc.layers import Counts, LayerBase, MergeBase, Origin, Shape
from cnncalc.spec.model import Layout, Spec, from_channels_first


def analyze(spec: Spec, conventions: Conventions | None = None, layout: Layout | None = None) -> Report:
    """Build the graph of `spec`, then count every layer and the totals."""
    with paused_gc():
        return _analyze(spec, conventions, layout)


def _analyze(spec: Spec, conventions: Conventions | None, layout: Layout | None) -> Report:
    c = conventions or Conventions()
    dtype_bytes = DTYPE_BYTES[spec.dtype]
    graph = build_graph(spec)
    readers = graph.reader_counts()
    x = spec.input.channels_first()
    per_element = dtype_bytes * spec.batch
    shapes: list[Shape] = [x]
    fields = [input_field(len(x) - 1)]
    rows = [_input_row(x, per_element, fields[0])]
    warnings: list[str] = []
    memo: dict[tuple[int, tuple[Shape, ...]], tuple[Counts, str]] = {}
    names = [node.name for node in graph.nodes]
    batch = spec.batch
    row = _row_of
    # two numbers are one spatial axis and channels: until a window layer says which it means
    unsure_rank = len(x) == 2
    for node in graph.nodes[1:]:
        layer = node.layer
        assert layer is not None
        reads = node.inputs
        inputs = [shapes[i] for i in reads]
        if unsure_rank and "kernel" in type(layer).model_fields and len(inputs) == 1 and len(inputs[0]) == 2:
            _check_input_rank(spec, node, layer)
            unsure_rank = False
        try:
            counts, summary = _counted(layer, inputs, c, memo, reads, names)
            shared = _check_shared(node, graph, rows, counts) if node.shares is not None else None
            frozen = _check_frozen(len(rows), graph, counts)
        except LayerRuleError as e:
            raise ShapeError(
                [
                    Diagnostic(
                        f"layer '{node.name}' ({layer.kind}) on input "
                        f"{', '.join(_shape_text(spec, s, layout) for s in inputs)}: {e.message}",
                        spec.locate((*node.source, e.field) if e.field else node.source),
                        e.hint,
                    )
                ]
            ) from None
        if counts.warnings:
            warnings += [f"layer '{node.name}': {w}" for w in counts.warnings]
        # in place only when nothing else reads the input (a residual shortcut keeps it alive)
        inplace = bool(counts.inplace) and len(reads) == 1 and readers[reads[0]] == 1
        elements = 0 if inplace else prod(counts.output)
        window = counts.window
        if window is None and len(reads) == 1 and not counts.ends_receptive_field:
            field = fields[reads[0]]  # positions kept: the same field (next_field's first case)
        else:
            field = next_field([fields[i] for i in reads], window, counts.ends_receptive_field)
            if field is not None and window is not None and beyond_limit(field):
                field = None
                warnings.append(f"layer '{node.name}': receptive field wider than 10^60 pixels: no longer tracked")
        weights, biases = (0, 0) if shared else (counts.weights, counts.biases)
        # a frozen layer's weights and biases are params still, counted as non-trainable (as Keras does)
        learned = 0 if frozen else weights + biases
        rows.append(
            row(
                (
                    len(rows),
                    node.name,
                    layer.kind,
                    summary,
                    inputs[0],
                    counts.output,
                    elements,
                    elements * per_element,
                    weights,
                    biases,
                    learned,
                    0 if shared else counts.non_trainable + weights + biases - learned,
                    counts.macs * batch,
                    counts.flops * batch,
                    inplace,
                    node.block,
                    (names[reads[0]],) if len(reads) == 1 else tuple([names[i] for i in reads]),
                    shared,
                    field,
                )
            )
        )
        shapes.append(counts.output)
        fields.append(field)
    inputs_of = [node.inputs for node in graph.nodes]
    return Report(
        name=spec.name,
        input_shape=x,
        layout=layout or spec.input.layout,
        dtype=spec.dtype,
        dtype_bytes=dtype_bytes,
        batch=spec.batch,
        rows=tuple(rows),
        totals=_totals(rows, inputs_of, dtype_bytes),
        warnings=tuple(warnings),
        conventions=c,
    )


#: a LayerRow from its fields in order, without the keyword handling of LayerRow(...): a long
#: network makes one per layer (LayerRow._make, which checks the length too, costs twice as much)
_row_of: Callable[[tuple[Any, ...]], LayerRow] = partial(tuple.__new__, LayerRow)


def _counted(
    layer: LayerBase,
    inputs: Sequence[Shape],
    c: Conventions,
    memo: dict[tuple[int, tuple[Shape, ...]], tuple[Counts, str]],
    reads: Sequence[int] = (),
    names: Sequence[str] = (),
) -> tuple[Counts, str]:
    """The counts and summary of a layer on its inputs, computed once per layer object and inputs.

    Deep networks repeat the same layer on the same shape many times (a block repeated,
    a generated chain), and equal items of a spec are one validated object
    (cnncalc.spec.model.validate_item); a rule is a pure function of both, so they share the
    result. The layer is keyed by identity: it stays alive for the whole analysis.
    """
    key = (id(layer), tuple(inputs))
    found = memo.get(key)
    if found is None:
        found = memo[key] = (_apply(layer, inputs, c, reads, names), layer.describe())
    return found


def _apply(
    layer: LayerBase, inputs: Sequence[Shape], c: Conventions, reads: Sequence[int] = (), names: Sequence[str] = ()
) -> Counts:
    if isinstance(layer, MergeBase):
        # the result depends on the shapes alone; where the inputs come from only shapes an error's hint
        return layer.merge(inputs, c, [Origin(i, names[i]) for i in reads] if names else ())
    if len(inputs) != 1:
        raise LayerRuleError(
            f"{layer.kind} reads one input, got {len(inputs)}", field="from", hint="merge them first: add or concat"
        )
    return layer.apply(inputs[0], c)


def _window_rank(layer: LayerBase) -> int | None:
    """The number of spatial axes a window layer's own fields name, None where they name none."""
    ranked = layer._ranked  # conv1d, conv2d, conv3d, conv_transpose2d
    if ranked is not None:
        return ranked[1]
    for field in ("kernel", "stride", "dilation", "padding", "output_padding"):
        value = getattr(layer, field, None)
        if isinstance(value, (list, tuple)) and value:
            return len(value)
    return None


def _check_input_rank(spec: Spec, node: Node, layer: LayerBase) -> None:
    """Refuse an input of two numbers read by a window layer that does not say it is 1-D.

    `input: 28x28` is one spatial axis of 28 positions with 28 channels; a 2-D conv on it is
    an image that lost its channel axis (LeNet on MNIST counted 846 params instead of 156).
    One channel (`1000x1`) is a signal, and so is an input whose `layout:` is written out (it
    says which number is the channels); a layer that names one axis (conv1d, `kernel: [5]`)
    keeps the reading of length x channels; one that names more is refused by its own rule.
    """
    x = spec.input.channels_first()
    rank = _window_rank(layer)
    if x[0] == 1 or spec.states_layout() or (rank is not None and rank != 2):
        return
    dims = "x".join(str(d) for d in spec.input.shape)
    image = f"1x{dims}" if spec.input.layout == "chw" else f"{dims}x1"
    where = spec.locate(("input",))
    kernel = getattr(layer, "kernel", 2)
    if where is not None and where.source == "<dsl>":
        one_axis = f"padding as one axis's before/after pair (p=0/0), or write the layout: {dims} hwc"
    elif layer.kind == "conv":
        one_axis = f"kind: conv1d or kernel: [{kernel}] (or write the input's layout: hwc)"
    else:
        one_axis = f"kernel: [{kernel}] (or write the input's layout: hwc)"
    raise InputRankError(
        [
            Diagnostic(
                f"input {dims} has no channel axis: write {image} for a grayscale image",
                where,
                f"two numbers are a 1-D signal of {x[1]} steps x {x[0]} channels, which '{node.name}' "
                f"({layer.kind}) would slide along; if that is meant, give '{node.name}' {one_axis}",
            )
        ]
    )


def _check_frozen(i: int, graph: Graph, counts: Counts) -> bool:
    """Whether the layer's weights are frozen (`trainable: false`); a layer that shares the
    weights of another follows that layer, its owner.

    A layer without weights has nothing to freeze, and a layer that shares the weights of a
    trainable one cannot freeze them alone (they are one set of tensors): both are refused.
    """
    node = graph.nodes[i]
    layer = node.layer
    assert layer is not None
    if layer.trainable:
        return not graph.trainable(i)
    if counts.weights + counts.biases == 0:
        raise LayerRuleError(
            f"trainable: false, but a {layer.kind} layer has no weights to freeze",
            field="trainable",
            hint="remove `trainable: false` here; only layers with weights (conv, dense, batch norm, ...) take it",
        )
    if not graph.trainable(i):
        return True
    owner = graph.nodes[node.shares] if node.shares is not None else None
    if owner is not None:
        raise LayerRuleError(
            f"trainable: false, but it shares the weights of '{owner.name}', which is trainable",
            field="trainable",
            hint=f"freeze '{owner.name}' instead: a layer that shares weights follows their owner",
        )
    return True


def _check_shared(node: Node, graph: Graph, rows: Sequence[LayerRow], counts: Counts) -> str | None:
    """The name of the layer whose weights `node` reuses, once they are known to fit."""
    if node.shares is None or counts.weights + counts.biases + counts.non_trainable == 0:
        return None  # nothing to share: pooling, activations
    owner = graph.nodes[node.shares]
    mine, theirs = node.layer, owner.layer
    assert mine is not None
    row = rows[node.shares]
    ignore = {"name", "id", "from_", "shares", "when", "trainable"}
    if (
        theirs is None
        or mine.model_dump(exclude=ignore) != theirs.model_dump(exclude=ignore)
        or (row.weights, row.biases) != (counts.weights, counts.biases)
    ):
        raise LayerRuleError(
            f"shares the weights of '{owner.name}', but their weights differ "
            f"({counts.weights + counts.biases:,} vs {row.weights + row.biases:,} params)",
            field="shares",
            hint="shared layers need the same kind, hyper-parameters and input channels",
        )
    return owner.name


def _input_row(x: Shape, per_element: int, field: ReceptiveField | None) -> LayerRow:
    return LayerRow(
        index=0,
        name="input",
        kind="input",
        summary="",
        input_shape=x,
        output_shape=x,
        activation_elements=prod(x),
        activation_bytes=prod(x) * per_element,
        weights=0,
        biases=0,
        trainable_params=0,
        non_trainable_params=0,
        macs=0,
        flops=0,
        inplace=False,
        block=(),
        inputs=(),
        shared_with=None,
        receptive_field=field,
    )


def _shape_text(spec: Spec, x: tuple[int, ...], layout: Layout | None) -> str:
    return "x".join(map(str, from_channels_first(x, layout or spec.input.layout)))


def _totals(rows: Sequence[LayerRow], inputs: Sequence[Sequence[int]], dtype_bytes: int) -> Totals:
    column = dict(zip(LayerRow._fields, zip(*rows, strict=True), strict=True))  # each field's values
    trainable = sum(column["trainable_params"])
    non_trainable = sum(column["non_trainable_params"])
    activation_bytes = sum(column["activation_bytes"])
    param_bytes = (trainable + non_trainable) * dtype_bytes
    frozen = sum(map(sub, map(add, column["weights"], column["biases"]), column["trainable_params"]))
    return Totals(
        params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs=sum(column["macs"]),
        flops=sum(column["flops"]),
        activation_elements=sum(column["activation_elements"]),
        activation_bytes=activation_bytes,
        peak_activation_bytes=peak_live_bytes(column["activation_bytes"], inputs, column["inplace"]),
        param_bytes=param_bytes,
        training_bytes=training_bytes(activation_bytes, param_bytes, frozen * dtype_bytes),
    )


def training_bytes(activation_bytes: int, param_bytes: int, frozen_bytes: int = 0) -> int:
    """Training estimate: every activation kept for backward plus its gradient (2x),
    and weights, gradients and Adam's two moment buffers (4x params); frozen weights
    (`frozen_bytes` of the params, `trainable: false`) have no gradient and no moments (1x)."""
    return 2 * activation_bytes + 4 * param_bytes - 3 * frozen_bytes


def peak_live_bytes(sizes: Sequence[int], inputs: Sequence[Sequence[int]], inplace: Sequence[bool]) -> int:
    """Largest sum of live tensors during one inference pass, in execution order.

    Node i allocates sizes[i] (nothing when it works in place on its input's tensor),
    and a tensor is freed once its last reader has run; the final output stays live.

    >>> peak_live_bytes([10, 40, 20], [[], [0], [1]], [False, False, False])
    60
    >>> peak_live_bytes([10, 40, 0, 20], [[], [0], [1], [2]], [False, False, True, False])
    60
    """
    n = len(sizes)
    owner = list(range(n))  # tensor each node's output lives in
    last_use = list(range(n))  # by tensor: the last node that reads it
    for i, reads in enumerate(inputs):
        if inplace[i] and reads:
            owner[i] = owner[reads[0]]
        for r in reads:
            t = owner[r]
            if last_use[t] < i:
                last_use[t] = i
    last_use[owner[-1]] = n  # the network's output is kept
    freed = [0] * (n + 1)  # bytes freed after each node
    for t in set(owner):
        freed[last_use[t]] += sizes[t]
    live = peak = 0
    for i in range(n):
        if owner[i] == i:
            live += sizes[i]
        if live > peak:
            peak = live
        live -= freed[i]
    return peak


__all__ = ["analyze", "peak_live_bytes", "training_bytes"]
