"""The ONNX operators the importer reads, and the cnncalc kinds they become.

One place for the lists other parts read without running an import: the activations read
one to one, every operator named in the refusal's hint and the docs, and the importer's
capability table (ONNX_KINDS, listed in cnncalc.features.capabilities), which a test holds
against every registered kind and against the kinds the importer's modules write.
"""

from __future__ import annotations

from cnncalc.layers.capabilities import Capabilities

ACTIVATIONS: dict[str, str] = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Elu": "elu",
    "Selu": "selu",
    "Gelu": "gelu",
    "Softplus": "softplus",
    "HardSigmoid": "hard_sigmoid",
    "HardSwish": "hard_swish",
    "Swish": "swish",
}

#: every operator the importer reads, for the docs and for the error message
SUPPORTED_OPS: tuple[str, ...] = (
    "Conv",
    "ConvTranspose",
    "Gemm",
    "MatMul",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    *ACTIVATIONS,
    "Clip",
    "Softmax",
    "BatchNormalization",
    "LRN",
    "Dropout",
    "Add",
    "Sum",
    "Mul",
    "Sub, Div, Pow (with a constant)",
    "RandomUniformLike, RandomUniform, RandomNormalLike, RandomNormal, Bernoulli (a mask that scales the data)",
    "Erf (in GELU's Div-Erf-Add-Mul-Mul)",
    "ReduceMean, ReduceMax (over the spatial axes)",
    "LayerNormalization",
    "Transpose (to channels last and back; in a channel shuffle)",
    "Slice, Split (of the channels)",
    "Concat",
    "Flatten",
    "Reshape",
    "Resize",
    "Upsample",
    "Identity",
    "Pad (constant: folded into a Conv or pooling that reads it; of zeros elsewhere)",
)

#: the ONNX importer's capability table: each cnncalc kind an import can produce -> the operators
#: it is read from; the kinds it never produces, with the reason
ONNX_KINDS: Capabilities[tuple[str, ...]] = Capabilities(
    feature="the ONNX import",
    lacks="operator",
    handlers={
        "conv": ("Conv",),
        "conv_transpose": ("ConvTranspose",),
        "dense": ("Gemm", "MatMul"),
        "max_pool": ("MaxPool",),
        "avg_pool": ("AveragePool",),
        "global_avg_pool": ("GlobalAveragePool", "ReduceMean"),
        "global_max_pool": ("GlobalMaxPool", "ReduceMax"),
        **{kind: (op,) for op, kind in ACTIVATIONS.items() if kind != "relu"},
        "gelu": ("Gelu", "Erf"),
        "relu": ("Relu", "Clip"),
        "relu6": ("Clip",),
        "softmax": ("Softmax",),
        "batch_norm": ("BatchNormalization",),
        "lrn": ("LRN",),
        "dropout": ("Dropout",),
        "add": ("Add", "Sum"),
        "multiply": ("Mul",),
        "concat": ("Concat",),
        "flatten": ("Flatten", "Reshape"),
        "upsample": ("Resize", "Upsample"),
        "layer_norm": ("LayerNormalization",),
        "scale": ("Mul", "Add", "Sub", "Div", "Pow"),
        "channel_shuffle": ("Reshape", "Transpose"),
        "channel_slice": ("Slice", "Split"),
        "pad": ("Pad",),
    },
    unsupported={
        "depthwise_conv": "ONNX has one Conv operator: a depthwise convolution imports as conv with groups",
        "separable_conv": "ONNX writes a separable convolution as two Conv nodes: it imports as two conv layers",
        "locally_connected": "ONNX has no locally connected operator",
        "sum_pool": "the importer does not read LpPool",
        "l2_pool": "the importer does not read LpPool",
        "unflatten": "an ONNX pool keeps its 1x1 axes: no Reshape back to a map is needed",
        "crop": "the importer does not read Slice on the spatial axes",
        "normalize": "ONNX has no Normalization operator: exporters write the standardisation as Sub and Div",
    },
)
