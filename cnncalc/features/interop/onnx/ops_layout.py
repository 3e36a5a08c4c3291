"""Operators that move values between axes: Transpose to channels last, Slice and Split of the
channels, ShuffleNet's channel shuffle (Reshape, Transpose, Reshape), Concat, Flatten and Reshape.

A tensor transposed to channels last (ConvNeXt's blocks) is followed until the Transpose back;
a layer norm over its channels, written out below opset 17, is read back as one layer here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cnncalc.features.interop.onnx.constants import Constants

if TYPE_CHECKING:
    from onnx import NodeProto


class Layout(Constants):
    """Transposes, channel slices and shuffles, concatenation and reshapes."""

    def op_Transpose(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """To channels last (ConvNeXt's permute before its LayerNorm and Linear): followed, and
        ended by the Transpose back; any other permutation is refused."""
        dims = self.shape(node.input[0])
        rank = len(dims) if dims is not None else 0
        if rank < 3 or self.attrs(node).integers("perm") != [0, *range(2, rank), 1]:
            raise self.unsupported(node, "a Transpose other than to channels last (or in a channel shuffle)")
        self.writer.alias(node.output[0], node.input[0])
        self.channels_last.add(node.output[0])

    def decomposed_layer_norm(self, node: NodeProto) -> bool:
        """A layer norm over the channels of a channels-last tensor as exporters write it below
        opset 17: mean = ReduceMean(x); d = x - mean; var = ReduceMean(d ^ 2); d / Sqrt(var + eps),
        then, if affine, * weight + bias (C values each). One `layer_norm` layer."""
        x, axes = node.input[0], self.attrs(node).integers("axes")
        dims = self.shape(x) or []
        rank = len(dims)
        if rank < 3 or axes is None or [a % rank for a in axes] != [rank - 1] or self.has_input(node, 1):
            return False
        sub = self.reader(node.output[0], "Sub")
        if sub is None or list(sub.input) != [x, node.output[0]]:
            return False
        readers = self.readers.get(sub.output[0], [])
        square = next((n for n in readers if n.op_type == "Pow" and n.input[0] == sub.output[0]), None)
        var = self.reader(square.output[0], "ReduceMean") if square is not None else None
        plus = self.reader(var.output[0], "Add") if var is not None else None
        root = self.reader(plus.output[0], "Sqrt") if plus is not None else None
        div = self.reader(root.output[0], "Div") if root is not None else None
        if square is None or var is None or plus is None or root is None or div is None or len(readers) != 2:
            return False
        if list(div.input) != [sub.output[0], root.output[0]] or self.attrs(var).integers("axes") != axes:
            return False
        epsilon = self.scalar_value(next((t for t in plus.input if t != var.output[0]), ""))
        if self.scalar_value(square.input[1]) != 2 or epsilon is None or not 0 < epsilon < 1:
            return False
        parts, end = [sub, square, var, plus, root, div], div.output[0]
        layer: dict[str, Any] = {"kind": "layer_norm"}
        times = self.reader(end, "Mul")
        shift = self.reader(times.output[0], "Add") if times is not None else None
        channels = dims[-1]
        affine = times is not None and shift is not None and self.per_channel(times, end, channels)
        if affine and times is not None and shift is not None and self.per_channel(shift, times.output[0], channels):
            parts, end = [*parts, times, shift], shift.output[0]
        if end == div.output[0]:
            layer["affine"] = False
        if abs(epsilon - 1e-5) > 1e-12:
            layer["epsilon"] = epsilon
        self.done.update(t for n in parts for t in n.output)
        self.add(node, layer, [x], output=end)
        self.channels_last.add(end)
        return True

    def per_channel(self, node: NodeProto, data: str, channels: Any) -> bool:
        """Whether `node` combines `data` with a stored vector of `channels` values."""
        other = [t for t in node.input if t != data]
        if len(other) != 1 or len(node.input) != 2 or other[0] not in self.initializers:
            return False
        return self.const_dims.get(other[0]) == [channels]

    def channel_range(self, node: NodeProto) -> int:
        """The channels of the node's data input, a known size."""
        dims = self.shape(node.input[0])
        if dims is None or len(dims) < 2 or not isinstance(dims[1], int) or dims[1] < 1:
            raise self.unsupported(node, "an input whose channels are not of a known size")
        return dims[1]

    def op_Slice(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """A slice of the channels (ShuffleNet's x.chunk(2, dim=1)), with step 1."""
        channels = self.channel_range(node)
        rank = len(self.shape(node.input[0]) or [])
        attrs = self.attrs(node)
        if self.opset < 10:
            starts, ends = attrs.integers("starts"), attrs.integers("ends")
            axes: list[int] | None = attrs.integers("axes") or list(range(len(starts)))
            steps: list[int] | None = [1] * len(starts)
        else:
            starts, ends = self.ints(node.input[1]) or [], self.ints(node.input[2]) or []
            axes = self.ints(node.input[3]) if self.has_input(node, 3) else list(range(len(starts)))
            steps = self.ints(node.input[4]) if self.has_input(node, 4) else [1] * len(starts)
        if axes is None or steps is None or not (len(starts) == len(ends) == len(axes) == len(steps) == 1):
            raise self.unsupported(node, "a slice whose starts, ends, axes and steps are not constants of one axis")
        if not -rank <= axes[0] < rank or axes[0] % rank != 1 or steps[0] != 1:
            raise self.unsupported(node, "a slice of other axes than the channels, or with a step")
        start, stop = (min(max(v + channels if v < 0 else v, 0), channels) for v in (starts[0], ends[0]))
        if start >= stop:
            raise self.unsupported(node, "an empty slice of the channels")
        self.add(node, {"kind": "channel_slice", "start": start, "stop": stop})

    def op_Split(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        """A split of the channels into parts: one channel_slice per output."""
        channels = self.channel_range(node)
        rank = len(self.shape(node.input[0]) or [])
        attrs = self.attrs(node)
        axis = attrs.integer("axis", 0)
        if not -rank <= axis < rank or axis % rank != 1:
            raise self.unsupported(node, "a split of other axes than the channels")
        sizes: list[int] | None = attrs.integers("split") or None
        if sizes is None and self.has_input(node, 1):
            sizes = self.ints(node.input[1])
            if sizes is None:
                raise self.unsupported(node, "split sizes that are not constants")
        parts = len(node.output)
        if sizes is None:
            if channels % parts:
                raise self.unsupported(node, f"a split of {channels} channels in {parts} unequal parts")
            sizes = [channels // parts] * parts
        if len(sizes) != parts or sum(sizes) != channels or any(s < 1 for s in sizes):
            raise self.unsupported(node, "split sizes that do not divide the channels")
        start = 0
        for size, output in zip(sizes, node.output, strict=True):
            if output:
                self.add(node, {"kind": "channel_slice", "start": start, "stop": start + size}, output=output)
            start += size

    def reshaped(self, node: NodeProto, elements: int) -> list[int] | None:
        """A Reshape's output dims after the batch, all known: inferred, or read from its target
        (one -1 taking what is left of the `elements` per sample)."""
        dims = self.shape(node.output[0])
        if (dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:])) and self.has_input(node, 1):
            target = self.ints(node.input[1])
            if target is not None and target[1:].count(-1) == 1:
                rest = math.prod(d for d in target[1:] if d != -1)
                if rest > 0 and elements % rest == 0:
                    target = [d if d != -1 else elements // rest for d in target]
            dims = list(target) if target is not None else None
        if dims is None or not all(isinstance(d, int) and d > 0 for d in dims[1:]):
            return None
        return [int(d) for d in dims[1:]]

    def channel_shuffle(self, node: NodeProto) -> bool:
        """ShuffleNet's channel shuffle: Reshape to (N, g, C/g, ...), Transpose the two, Reshape
        back: one `channel_shuffle` layer, written at the last Reshape (whose target the exporter
        computes after the Transpose). Returns whether `node` is one of the three."""
        source = node.input[0]
        if source in self.shuffles:  # the Reshape back: the shuffle's output
            original, groups, stage = self.shuffles[source]
            sizes = [int(d) for d in (self.shape(original) or [])[1:] if isinstance(d, int)]
            if stage != 2 or self.reshaped(node, math.prod(sizes)) != sizes:
                raise self.unsupported(node, "a reshape after a channel shuffle's Transpose to another shape")
            self.add(node, {"kind": "channel_shuffle", "groups": groups}, [original])
            return True
        source_dims = self.shape(source)
        swap = self.reader(node.output[0], "Transpose")
        back = self.reader(swap.output[0], "Reshape") if swap is not None else None
        if source_dims is None or swap is None or back is None:
            return False
        dims = [1, *(d for d in source_dims[1:] if isinstance(d, int) and d > 0)]  # the batch may be symbolic
        if len(dims) != len(source_dims):
            return False
        rank = len(dims)
        grid = self.reshaped(node, math.prod(int(d) for d in dims[1:]))
        if grid is None or len(grid) != rank or grid[0] * grid[1] != dims[1] or grid[2:] != dims[2:]:
            return False
        if self.attrs(swap).integers("perm") != [0, 2, 1, *range(3, rank + 1)]:
            return False
        self.writer.alias(node.output[0], source)
        self.writer.alias(swap.output[0], source)
        self.shuffles[node.output[0]] = (source, grid[0], 1)
        self.shuffles[swap.output[0]] = (source, grid[0], 2)
        self.done.update(swap.output)
        return True

    def op_Concat(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        tensors = [t for t in node.input if t]
        consts = [t for t in tensors if t not in self.writer.tensors]
        if consts:
            raise self.unsupported(node, f"a constant among the tensors concatenated, {self.origin(consts[0])}")
        if len(tensors) == 1:  # a concat of one tensor (DenseNet's first layer of a block) is the tensor
            self.writer.alias(node.output[0], tensors[0])
            return
        dims = self.shape(tensors[0])
        axis = self.attrs(node).integer("axis", 1)
        if axis < 0 and dims is not None:
            axis += len(dims)
        if axis != 1:
            raise self.unsupported(node, f"concatenation along axis {axis} (cnncalc concatenates channels, axis 1)")
        self.add(node, {"kind": "concat"}, tensors)

    def _to_vector(self, node: NodeProto) -> None:
        if self.flat(node.input[0]):
            self.writer.alias(node.output[0], node.input[0])
        else:
            self.add(node, {"kind": "flatten"})

    def op_Flatten(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        axis = self.attrs(node).integer("axis", 1)
        if axis != 1:
            raise self.unsupported(node, f"Flatten at axis {axis} (only axis 1 keeps the batch)")
        self._to_vector(node)

    def op_Reshape(self, node: NodeProto) -> None:  # noqa: N802 (named as the ONNX operator)
        if self.channel_shuffle(node):
            return
        out = self.shape(node.output[0])
        target = self.values(node.input[1]) if self.has_input(node, 1) else None
        if (out is not None and len(out) == 2) or (target is not None and len(target) == 2):
            self._to_vector(node)
            return
        raise self.unsupported(node, "a reshape to anything but a batch of vectors")
