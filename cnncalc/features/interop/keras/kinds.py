"""The Keras layers the importer reads, the cnncalc kinds they become, and which kinds have weights.

One place for the tables other parts read without running an import: Keras's activation names,
its operation layers, the layer table docs/interop.md shows (`keras_layers_markdown`, checked
by a test), the importer's capability table (KERAS_KINDS, listed in
cnncalc.features.capabilities), and which written kinds learn weights (the layers a frozen
Keras layer or model writes `trainable: false` on, and sharing the weights of a layer called twice).
"""

from __future__ import annotations

from typing import Any

from cnncalc.layers.capabilities import Capabilities

#: Keras activation names -> cnncalc kinds (None: the identity)
ACTIVATIONS: dict[str, str | None] = {
    "linear": None,
    "relu": "relu",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "swish": "swish",
    "silu": "swish",
    "hard_swish": "hard_swish",
    "hard_silu": "hard_swish",
    "hard_sigmoid": "hard_sigmoid",
    "softplus": "softplus",
}

#: classes of a model used as a layer: its layers are imported in its place
MODEL_CLASSES = ("Model", "Functional", "Sequential")

#: Keras 3's operation layers (and the merge layers of the same name) -> the cnncalc operation;
#: called on a tensor and a number (`x + 3.0`) they are a `scale`, on tensors an `add` or `multiply`
OPERATIONS: dict[str, str] = {
    "Add": "add",
    "Subtract": "subtract",
    "Multiply": "multiply",
    "Divide": "divide",
    "TrueDivide": "divide",
    "TFOpLambda": "",
}

#: Keras 2's TFOpLambda functions -> the operation (its number comes in the call's `y`)
TF_OPERATIONS: dict[str, str] = {
    "__operators__.add": "add",
    "math.add": "add",
    "math.subtract": "subtract",
    "math.multiply": "multiply",
    "math.truediv": "divide",
    "math.divide": "divide",
}

#: every Keras layer the importer reads -> what it becomes: the table of docs/interop.md
#: (`keras_layers_markdown()`; a test checks the page against it) and the hint of a refusal
KERAS_LAYERS: dict[str, str] = {
    "InputLayer": "the `input:`",
    "Conv1D/2D/3D": "`conv` (`activation:` fused as Keras writes it; `groups`)",
    "DepthwiseConv2D": "`depthwise_conv` (`depth_multiplier` as `multiplier`)",
    "SeparableConv2D": "`separable_conv`",
    "Conv1DTranspose/2DTranspose/3DTranspose": "`conv_transpose` (Keras's output size, also for a kernel "
    "smaller than the stride)",
    "MaxPooling1D/2D/3D": "`max_pool`",
    "AveragePooling1D/2D/3D": "`avg_pool`",
    "GlobalAveragePooling1D/2D/3D": "`global_avg_pool` (`keepdims` kept)",
    "GlobalMaxPooling1D/2D/3D": "`global_max_pool` (`keepdims` kept)",
    "Dense": "`dense` on a vector; on a feature map Keras applies it at each position: a 1x1 `conv`",
    "Flatten": "`flatten`",
    "Reshape": "to a vector: `flatten`; a vector to 1x1xC: `unflatten`; a reshape that moves values "
    "between axes is refused",
    "BatchNormalization": "`batch_norm` over the channels; `center` and `scale` each learned or not "
    "(Inception's `scale=False`: beta only)",
    "LayerNormalization": "`layer_norm` over the channels",
    "Normalization": "`normalize`: no weights with its mean and variance given; left to `adapt()`, "
    "`stored: true` (mean, variance and a count: 2C + 1 non-trainable)",
    "Rescaling": "`scale` (multiply), and a `scale` (add) for an offset other than 0",
    "LayerScale": "`scale` learned per channel (ConvNeXt's layer scale)",
    "CustomScaleLayer": "`scale` then `add` (Inception-ResNet's scaled residual)",
    "Activation": "the activation (`linear`: nothing)",
    "ReLU": "`relu`, `relu6` (max_value 6) or `leaky_relu`",
    "LeakyReLU": "`leaky_relu`",
    "ELU": "`elu`",
    "Softmax": "`softmax`",
    "Dropout": "`dropout`",
    "SpatialDropout1D/2D/3D": "`dropout`",
    "Add": "`add` of tensors (a 1x1xC one broadcasts over a map); with a number (Keras 3's `x + 3.0`): `scale`",
    "Multiply": "`multiply` of tensors (a squeeze-and-excitation gate broadcasts); with a number: `scale`",
    "Subtract, Divide": "Keras 3's operations with a number (`x / 6.0`): `scale`",
    "TFOpLambda": "Keras 2's `x + 3.0`, `x * y`: add, subtract, multiply or divide, with a number a `scale`",
    "Concatenate": "`concat` (along the channels)",
    "ZeroPadding1D/2D/3D": "folded into the next conv's or pool's padding; `pad` where it cannot be (read by "
    "another layer, before padding='same', more than a pool may take)",
    "Cropping1D/2D/3D": "`crop`; after a ZeroPadding, what remains of the padding (a padding then a crop that "
    "shifts the map, as NASNet's: `pad` then `crop`)",
    "UpSampling1D/2D/3D": "`upsample`",
    "Sequential, Functional": "a model called as a layer: its layers, in its place (a second call shares "
    "their weights)",
}


def keras_layers_markdown() -> str:
    """The Keras layers the importer reads, as docs/interop.md shows them."""
    lines = ["| Keras layer | cnncalc |", "|---|---|"]
    lines += [f"| {name} | {becomes} |" for name, becomes in KERAS_LAYERS.items()]
    return "\n".join(lines) + "\n"


#: the Keras importer's capability table: each cnncalc kind an import can produce -> the Keras
#: layers it is read from (a layer's `activation:` argument gives the activations too); the
#: kinds it never produces, with the reason
KERAS_KINDS: Capabilities[tuple[str, ...]] = Capabilities(
    feature="the Keras import",
    lacks="layer",
    handlers={
        "conv": ("Conv1D/2D/3D", "Dense"),
        "depthwise_conv": ("DepthwiseConv2D",),
        "separable_conv": ("SeparableConv2D",),
        "conv_transpose": ("Conv1DTranspose/2DTranspose/3DTranspose",),
        "max_pool": ("MaxPooling1D/2D/3D",),
        "avg_pool": ("AveragePooling1D/2D/3D",),
        "global_avg_pool": ("GlobalAveragePooling1D/2D/3D",),
        "global_max_pool": ("GlobalMaxPooling1D/2D/3D",),
        "dense": ("Dense",),
        "flatten": ("Flatten", "Reshape"),
        "unflatten": ("Reshape",),
        "batch_norm": ("BatchNormalization",),
        "layer_norm": ("LayerNormalization",),
        "normalize": ("Normalization",),
        "scale": ("Rescaling", "LayerScale", "CustomScaleLayer", "Add", "Multiply", "Subtract, Divide", "TFOpLambda"),
        **{kind: ("Activation",) for kind in ACTIVATIONS.values() if kind is not None},
        "relu": ("Activation", "ReLU"),
        "relu6": ("Activation", "ReLU"),
        "leaky_relu": ("Activation", "LeakyReLU", "ReLU"),
        "elu": ("Activation", "ELU"),
        "softmax": ("Activation", "Softmax"),
        "dropout": ("Dropout", "SpatialDropout1D/2D/3D"),
        "add": ("Add", "CustomScaleLayer", "TFOpLambda"),
        "multiply": ("Multiply", "TFOpLambda"),
        "concat": ("Concatenate",),
        "upsample": ("UpSampling1D/2D/3D",),
        "crop": ("Cropping1D/2D/3D",),
        "pad": ("ZeroPadding1D/2D/3D",),
    },
    unsupported={
        "locally_connected": "Keras 3 has no LocallyConnected layers",
        "lrn": "Keras has no local response normalization layer",
        "sum_pool": "Keras has no sum pooling layer",
        "l2_pool": "Keras has no L2 pooling layer",
        "channel_shuffle": "Keras has no channel shuffle layer",
        "channel_slice": "Keras has no channel slice layer (a Lambda that slices is not read)",
    },
)


def learns(spec: dict[str, Any]) -> bool:
    """Whether a written cnncalc layer has weights that training updates (Keras's trainable ones)."""
    kind = spec["kind"]
    if kind in ("conv", "depthwise_conv", "separable_conv", "conv_transpose", "dense"):
        return True
    if kind in ("batch_norm", "layer_norm"):
        return bool(spec.get("affine", True))
    return kind == "scale" and bool(spec.get("learned"))


#: kinds without weights: a second call of the Keras layer is simply another layer
NO_WEIGHTS = {
    *("add", "multiply", "concat", "flatten", "unflatten", "crop", "pad"),
    *("dropout", "max_pool", "avg_pool", "upsample"),
}
