"""The symbolic walk: a Spec and the counting Conventions in, a Report out.

Pure: no I/O, no NumPy, no rich. Each layer's own rule (cnncalc.layers) computes its
shape and costs; this module only chains them, names the layers, multiplies by the
batch and sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from cnncalc.conventions import DTYPE_BYTES, Conventions
from cnncalc.errors import Diagnostic, LayerRuleError, ShapeError, SpecError
from cnncalc.layers import LayerBase
from cnncalc.report import LayerRow, Report, Totals
from cnncalc.spec.model import Layout, Spec, from_channels_first


def layer_names(spec: Spec) -> list[str]:
    """Each layer's name: its own, or its kind's stem and a running number (conv1, conv2...)."""
    counters: dict[str, int] = {}
    names: list[str] = []
    for layer in spec.layers:
        counters[layer.stem] = counters.get(layer.stem, 0) + 1
        names.append(layer.name or f"{layer.stem}{counters[layer.stem]}")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise SpecError.single(
                f"layer name '{name}' is used twice (layers #{seen[name] + 1} and #{i + 1})",
                spec.locate(("layers", i, "name")),
                hint="names label rows and must be unique",
            )
        seen[name] = i
    return names


def analyze(spec: Spec, conventions: Conventions | None = None, layout: Layout | None = None) -> Report:
    """Walk the layers of `spec` and count every row and the totals."""
    c = conventions or Conventions()
    dtype_bytes = DTYPE_BYTES[spec.dtype]
    names = layer_names(spec)
    x = spec.input.channels_first()
    per_element = dtype_bytes * spec.batch
    rows = [_input_row(x, per_element)]
    warnings: list[str] = []
    for i, (layer, name) in enumerate(zip(spec.layers, names, strict=True)):
        try:
            counts = layer.apply(x, c)
        except LayerRuleError as e:
            raise ShapeError(
                [
                    Diagnostic(
                        f"layer '{name}' ({layer.kind}) on input {_shape_text(spec, x, layout)}: {e.message}",
                        spec.locate(("layers", i, e.field) if e.field else ("layers", i)),
                        e.hint,
                    )
                ]
            ) from None
        warnings += [f"layer '{name}': {w}" for w in counts.warnings]
        elements = 0 if counts.inplace else prod(counts.output)
        rows.append(
            LayerRow(
                index=i + 1,
                name=name,
                kind=layer.kind,
                summary=layer.describe(),
                input_shape=x,
                output_shape=counts.output,
                activation_elements=elements,
                activation_bytes=elements * per_element,
                weights=counts.weights,
                biases=counts.biases,
                trainable_params=counts.weights + counts.biases,
                non_trainable_params=counts.non_trainable,
                macs=counts.macs * spec.batch,
                flops=counts.flops * spec.batch,
                inplace=counts.inplace,
            )
        )
        x = counts.output
    return Report(
        name=spec.name,
        input_shape=spec.input.channels_first(),
        layout=layout or spec.input.layout,
        dtype=spec.dtype,
        dtype_bytes=dtype_bytes,
        batch=spec.batch,
        rows=tuple(rows),
        totals=_totals(rows, dtype_bytes),
        warnings=tuple(warnings),
        conventions=c,
    )


def _input_row(x: tuple[int, ...], per_element: int) -> LayerRow:
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
    )


def _shape_text(spec: Spec, x: tuple[int, ...], layout: Layout | None) -> str:
    return "x".join(map(str, from_channels_first(x, layout or spec.input.layout)))


def _totals(rows: Sequence[LayerRow], dtype_bytes: int) -> Totals:
    trainable = sum(r.trainable_params for r in rows)
    non_trainable = sum(r.non_trainable_params for r in rows)
    activation_bytes = sum(r.activation_bytes for r in rows)
    param_bytes = (trainable + non_trainable) * dtype_bytes
    chain = [[i - 1] if i else [] for i in range(len(rows))]
    return Totals(
        params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs=sum(r.macs for r in rows),
        flops=sum(r.flops for r in rows),
        activation_elements=sum(r.activation_elements for r in rows),
        activation_bytes=activation_bytes,
        peak_activation_bytes=peak_live_bytes([r.activation_bytes for r in rows], chain, [r.inplace for r in rows]),
        param_bytes=param_bytes,
        training_bytes=training_bytes(activation_bytes, param_bytes),
    )


def training_bytes(activation_bytes: int, param_bytes: int) -> int:
    """Training estimate: every activation kept for backward plus its gradient (2x),
    and weights, gradients and Adam's two moment buffers (4x params)."""
    return 2 * activation_bytes + 4 * param_bytes


def peak_live_bytes(sizes: Sequence[int], inputs: Sequence[Sequence[int]], inplace: Sequence[bool]) -> int:
    """Largest sum of live tensors during one inference pass, in execution order.

    Node i allocates sizes[i] (nothing when it works in place on its input's tensor),
    and a tensor is freed once its last reader has run; the final output stays live.

    >>> peak_live_bytes([10, 40, 20], [[], [0], [1]], [False, False, False])
    60
    >>> peak_live_bytes([10, 40, 0, 20], [[], [0], [1], [2]], [False, False, True, False])
    60
    """
    owner = list(range(len(sizes)))  # tensor each node's output lives in
    for i, reads in enumerate(inputs):
        if inplace[i] and reads:
            owner[i] = owner[reads[0]]
    last_use = {t: t for t in range(len(sizes))}
    for i, reads in enumerate(inputs):
        for r in reads:
            last_use[owner[r]] = max(last_use[owner[r]], i)
    last_use[owner[-1]] = len(sizes)  # the network's output is kept
    frees: dict[int, list[int]] = {}
    for t in set(owner):
        frees.setdefault(last_use[t], []).append(t)
    live = peak = 0
    for i in range(len(sizes)):
        if owner[i] == i:
            live += sizes[i]
        peak = max(peak, live)
        live -= sum(sizes[t] for t in frees.get(i, ()))
    return peak


__all__ = ["LayerBase", "analyze", "layer_names", "peak_live_bytes", "training_bytes"]
