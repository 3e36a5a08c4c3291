"""One Keras layer's config as the cnncalc layers it becomes, by family: convolutions, pooling,
dense, normalisation, activations, dropout, reshapes, concatenation, upsampling, and the
arithmetic layers (Keras 3's operations, Keras 2's TFOpLambda, Rescaling, CustomScaleLayer).
"""

from __future__ import annotations

import math
from typing import Any

from cnncalc.core.graph import MAX_ARGUMENT
from cnncalc.features.interop.keras.config import Fields, is_number, one_value, show
from cnncalc.features.interop.keras.kinds import ACTIVATIONS, OPERATIONS, TF_OPERATIONS
from cnncalc.features.interop.keras.padding import Paddings
from cnncalc.features.interop.keras.state import Call


class Translation(Paddings):
    """The translation of one layer's config; a layer may become none, one or several cnncalc layers."""

    def convert(self, fields: Fields, base: str, inputs: list[str], rank: int) -> tuple[dict[str, Any] | None, int]:
        """(cnncalc layer, spatial axes of its output), or (None, rank) for the identity."""
        cls, name = fields.cls, fields.name
        source = inputs[0]
        activation = self.activation(fields)
        fused = {"activation": activation} if activation else {}
        bias = {} if fields.flag("use_bias", True) else {"bias": False}
        spatial = ("Conv", "DepthwiseConv", "SeparableConv", "MaxPooling", "AveragePooling", "UpSampling")
        if base in spatial and rank == 0:
            raise self.unsupported(cls, name, "it reads a vector (no spatial axes)")
        if base == "Conv" and cls != "Conv2DTranspose":
            layer: dict[str, Any] = {"kind": "conv", "filters": fields.integer("filters")}
            layer.update(self.window(fields, source, rank, "kernel_size"))
            groups = fields.integer("groups", 1)
            if groups != 1:
                layer["groups"] = groups
            return {**layer, **bias, **fused}, rank
        if cls in ("Conv2DTranspose", "Conv1DTranspose", "Conv3DTranspose"):
            return self.transposed(fields, source, rank, bias, fused), rank
        if base == "DepthwiseConv":
            layer = {"kind": "depthwise_conv", "multiplier": fields.integer("depth_multiplier", 1)}
            layer.update(self.window(fields, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base == "SeparableConv":
            layer = {"kind": "separable_conv", "filters": fields.integer("filters")}
            layer["multiplier"] = fields.integer("depth_multiplier", 1)
            layer.update(self.window(fields, source, rank, "kernel_size"))
            return {**layer, **bias, **fused}, rank
        if base in ("MaxPooling", "AveragePooling"):
            kind = "max_pool" if base == "MaxPooling" else "avg_pool"
            return {"kind": kind, **self.window(fields, source, rank, "pool_size")}, rank
        if base in ("GlobalAveragePooling", "GlobalMaxPooling"):
            kind = "global_avg_pool" if base == "GlobalAveragePooling" else "global_max_pool"
            keep = fields.flag("keepdims", False)
            return ({"kind": kind, "keepdims": True} if keep else {"kind": kind}), rank if keep else 0
        if cls == "Dense":
            if rank != 0:  # Keras applies it at each position: a 1x1 convolution (ConvNeXt's MLP)
                return {"kind": "conv", "filters": fields.integer("units"), "kernel": 1, **bias, **fused}, rank
            return {"kind": "dense", "units": fields.integer("units"), **bias, **fused}, 0
        if cls == "Flatten":
            return ({"kind": "flatten"}, 0) if rank else (None, 0)
        if cls == "BatchNormalization":
            return self.batch_norm(fields, rank), rank
        if cls == "Activation":
            return ({"kind": activation} if activation else None), rank
        if cls in ("ReLU", "LeakyReLU", "Softmax", "ELU"):
            return self.activation_layer(fields), rank
        if cls in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
            return {"kind": "dropout", "rate": fields.number("rate", 0.5, 0.0, 1.0)}, rank
        if cls == "Normalization":
            self.check_channel_axis(fields, rank, "normalisation")
            given = fields.get("mean", None) is not None or fields.get("variance", None) is not None
            return ({"kind": "normalize"} if given else {"kind": "normalize", "stored": True}), rank
        if cls == "LayerNormalization":
            return self.layer_norm(fields, rank), rank
        if cls == "LayerScale":  # ConvNeXt's: a learned factor per channel
            return {"kind": "scale", "op": "multiply", "learned": True}, rank
        if cls == "Concatenate":
            axis = fields.whole("axis", fields.get("axis", -1), -MAX_ARGUMENT)
            if not self.is_channel_axis(axis, rank):
                raise self.unsupported(cls, name, f"concatenation along axis {axis} (cnncalc concatenates channels)")
            return {"kind": "concat"}, rank
        if base == "ZeroPadding":
            return None, rank
        if base == "UpSampling":
            layer = {"kind": "upsample", "scale": one_value(fields.integers("size", rank, 2))}
            if fields.text("interpolation", "nearest") != "nearest":
                layer["mode"] = "bilinear"
            return layer, rank
        raise self.unsupported(cls, name)

    def transposed(
        self, fields: Fields, source: str, rank: int, bias: dict[str, Any], fused: dict[str, Any]
    ) -> dict[str, Any]:
        layer: dict[str, Any] = {"kind": "conv_transpose", "filters": fields.integer("filters")}
        window = self.window(fields, source, rank, "kernel_size")
        layer.update(window)
        kernel = fields.integers("kernel_size", rank)
        strides = fields.integers("strides", rank, 1)
        given = fields.get("output_padding", None)
        if given is not None:
            output_padding = fields.per_axis("output_padding", given, rank, 0)
        elif window.get("padding") == "same":
            output_padding = [0] * rank
        else:  # Keras 'valid': output n*s + max(k - s, 0); PyTorch's rule needs the difference as output padding
            output_padding = [max(s - k, 0) for k, s in zip(kernel, strides, strict=True)]
        if any(output_padding):
            layer["output_padding"] = one_value(output_padding)
        return {**layer, **bias, **fused}

    def operation(self, item: Call, rank: int) -> tuple[list[dict[str, Any]], int]:
        """A layer that may become several cnncalc layers, or an arithmetic operation: Keras 3's
        `x + 3.0` (an operation layer called on a tensor and a number), Keras 2's TFOpLambda."""
        fields, inputs, numbers = item.fields, item.inputs, item.numbers
        cls, name = fields.cls, fields.name
        if cls == "Rescaling":
            return self.rescaling(fields), rank
        if cls == "Reshape":
            return self.reshape(fields, rank)
        if cls == "CustomScaleLayer":  # Inception-ResNet's residual: inputs[0] + inputs[1] * scale
            if len(inputs) != 2:
                raise self.unsupported(cls, name, f"a scaled sum of {len(inputs)} tensors (it takes 2)")
            value = fields.number("scale")
            return [
                {"kind": "scale", "op": "multiply", "value": value, "reads": [inputs[1]]},
                {"kind": "add", "reads": [inputs[0], None]},
            ], rank
        op = OPERATIONS[cls] if cls != "TFOpLambda" else TF_OPERATIONS.get(fields.text("function"))
        if op is None:
            raise self.unsupported(cls, name, f"function {show(fields.get('function'))}")
        if len(inputs) == 1 and len(numbers) == 1:
            return [{"kind": "scale", "op": op, "value": numbers[0]}], rank
        if len(inputs) >= 2 and not numbers and op in ("add", "multiply"):
            return [{"kind": op}], max(self.rank[t] for t in inputs)  # a gate 1x1xC broadcasts over the map
        shown = f"{len(inputs)} tensor(s) and {len(numbers)} number(s)"
        raise self.unsupported(cls, name, f"{op} of {shown} (cnncalc reads tensors, or a tensor and a number)")

    def rescaling(self, fields: Fields) -> list[dict[str, Any]]:
        """x * scale + offset: a multiply per value, and an add where the offset is not 0."""
        specs: list[dict[str, Any]] = []
        for key, op, neutral in (("scale", "multiply", 1.0), ("offset", "add", 0.0)):
            value = fields.get(key, neutral)
            values = value if isinstance(value, list) else [value]
            if not values or len(values) > MAX_ARGUMENT or not all(is_number(v) for v in values):
                raise fields.error(key, value, "a number, or one per channel")
            numbers = {float(v) for v in values}
            if not all(math.isfinite(v) for v in numbers):
                raise fields.error(key, value, "finite numbers")
            if key == "scale" or numbers != {neutral}:
                one = {"value": numbers.pop()} if len(numbers) == 1 else {}
                specs.append({"kind": "scale", "op": op, **one})
        return specs

    def reshape(self, fields: Fields, rank: int) -> tuple[list[dict[str, Any]], int]:
        """A Reshape that only adds or drops axes of size 1: to a vector (MobileNet's head), or a
        vector to a 1x1xC map (EfficientNet's squeeze-and-excitation)."""
        target = fields.get("target_shape")
        if (
            not isinstance(target, list)
            or not 1 <= len(target) <= 4
            or not all(is_number(t) and t == int(t) and (t == -1 or 1 <= t <= MAX_ARGUMENT) for t in target)
        ):
            raise fields.error("target_shape", target, "a list of 1 to 4 sizes (one of them may be -1)")
        sizes = [int(t) for t in target]
        if len(sizes) == 1:
            return ([{"kind": "flatten"}] if rank else []), 0
        channels = sizes[0] if self.channels_first else sizes[-1]
        spatial = sizes[1:] if self.channels_first else sizes[:-1]
        if any(s != 1 for s in spatial):
            raise self.unsupported(
                fields.cls, fields.name, f"reshape to {show(target)} (cnncalc reshapes to a vector or to 1x1xC)"
            )
        unflatten: dict[str, Any] = {"kind": "unflatten", "axes": len(spatial)}
        if channels != -1:
            unflatten["channels"] = channels
        return ([{"kind": "flatten"}] if rank else []) + [unflatten], len(spatial)

    def check_channel_axis(self, fields: Fields, rank: int, what: str) -> None:
        axis = fields.get("axis", -1)
        axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        if isinstance(axis, bool) or not isinstance(axis, int) or not self.is_channel_axis(axis, rank):
            why = f"{what} over axis {show(axis)} (cnncalc's is over the channels)"
            raise self.unsupported(fields.cls, fields.name, why)

    def layer_norm(self, fields: Fields, rank: int) -> dict[str, Any]:
        self.check_channel_axis(fields, rank, "layer normalisation")
        if fields.flag("rms_scaling", False):
            raise self.unsupported(fields.cls, fields.name, "rms_scaling")
        center, scale = fields.flag("center", True), fields.flag("scale", True)
        if center != scale:
            why = "center and scale differ (cnncalc's layer norm learns both or neither)"
            raise self.unsupported(fields.cls, fields.name, why)
        layer: dict[str, Any] = {"kind": "layer_norm", "epsilon": fields.number("epsilon", 1e-3, 0.0)}
        if not center:
            layer["affine"] = False
        return layer

    def batch_norm(self, fields: Fields, rank: int) -> dict[str, Any]:
        self.check_channel_axis(fields, rank, "normalisation")
        center, scale = fields.flag("center", True), fields.flag("scale", True)
        layer: dict[str, Any] = {"kind": "batch_norm", "epsilon": fields.number("epsilon", 1e-3, 0.0)}
        if not center and not scale:
            layer["affine"] = False
        elif not (center and scale):  # Inception's scale=False: beta only, gamma left to the next layer
            layer["center" if not center else "scale"] = False
        return layer

    def is_channel_axis(self, axis: int, rank: int) -> bool:
        """Whether Keras `axis` (counting the batch) is the channels of a tensor with `rank` spatial axes."""
        channel = 1 if self.channels_first or rank == 0 else rank + 1
        return axis == channel or (axis == -1 and channel == rank + 1)

    def activation(self, fields: Fields) -> str | None:
        """The cnncalc kind of the layer's `activation`: a name, or a serialised one (Keras 2 or 3)."""
        value = fields.get("activation", None)
        if value is None:
            return None
        key = value
        if isinstance(value, dict):  # {"class_name": ..., "config": {"name": ...}} or Keras 3's {"config": "relu"}
            inner = value.get("config")
            key = inner if isinstance(inner, str) else inner.get("name") if isinstance(inner, dict) else None
            key = key or value.get("class_name")
        if not isinstance(key, str):
            raise fields.error("activation", value, "an activation's name")
        if key.lower() not in ACTIVATIONS:
            raise self.unsupported(fields.cls, fields.name, f"activation '{key[:40]}'")
        return ACTIVATIONS[key.lower()]

    def activation_layer(self, fields: Fields) -> dict[str, Any]:
        cls = fields.cls
        if cls == "Softmax":
            return {"kind": "softmax"}
        if cls == "ELU":
            return {"kind": "elu"}
        if cls == "LeakyReLU":
            key = "negative_slope" if "negative_slope" in fields.config else "alpha"
            return {"kind": "leaky_relu", "negative_slope": fields.number(key, 0.3)}
        max_value = fields.get("max_value", None)
        if max_value is not None:
            max_value = fields.number("max_value")
        slope = fields.number("negative_slope", 0.0) if fields.get("negative_slope", None) is not None else 0.0
        if max_value == 6 and not slope:
            return {"kind": "relu6"}
        if max_value is None and slope:
            return {"kind": "leaky_relu", "negative_slope": slope}
        if max_value is None:
            return {"kind": "relu"}
        raise self.unsupported(cls, fields.name, f"ReLU with max_value={max_value:g}")
