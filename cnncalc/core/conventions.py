"""How cnncalc counts: the one object every analysis is given.

Peers disagree on the same network by several percent because each counts a little
differently and none says how. Every choice lives here, is switchable where it is a
matter of taste, and is printed as the footer of every report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cnncalc.units import DTYPE_BYTES

Units = Literal["si", "binary"]

__all__ = ["ACTIVATION_FLOPS", "DTYPE_BYTES", "Conventions", "Units"]


#: FLOPs per output element of each activation function. A transcendental
#: (exp, tanh, erf) counts as one FLOP, as in the usual FLOP tables.
ACTIVATION_FLOPS: dict[str, int] = {
    "relu": 1,  # max(x, 0)
    "relu6": 2,  # min(max(x, 0), 6)
    "leaky_relu": 2,  # multiply, max
    "elu": 3,  # exp, subtract, multiply (negative side)
    "selu": 4,  # elu + scale
    "gelu": 5,  # tanh approximation: cube, mul-add, tanh, add, multiply
    "sigmoid": 3,  # exp, add, divide
    "tanh": 1,  # one transcendental
    "softmax": 3,  # exp, add to the sum, divide
    "swish": 4,  # sigmoid, multiply
    "hard_swish": 4,  # add, clip, multiply, divide
    "hard_sigmoid": 3,  # add, clip, divide
    "softplus": 3,  # exp, add, log
    "linear": 0,
}


@dataclass(frozen=True)
class Conventions:
    """The counting rules of one analysis.

    bias: count biases (False reproduces slides that count weights only).
    bn_running_stats: count batch norm's running mean and variance as
        non-trainable params, as Keras does; PyTorch's `parameters()` does not.
    inplace_activations: activation functions and dropout overwrite their input,
        as inference engines fuse them, so they allocate no activation memory.
    units: SI (K = 1000) or binary (Ki = 1024) prefixes in human output.
    """

    bias: bool = True
    bn_running_stats: bool = False
    inplace_activations: bool = True
    units: Units = "si"
    activation_flops: dict[str, int] = field(default_factory=lambda: dict(ACTIVATION_FLOPS))

    def footer(self) -> str:
        bias = "biases counted" if self.bias else "biases NOT counted (--no-bias)"
        bn = "BN running stats counted as non-trainable" if self.bn_running_stats else "BN running stats not params"
        memory = "in place" if self.inplace_activations else "copied"
        return (
            f"Counted as: params = weights + {bias}; {bn}. MACs = multiply-accumulates of conv/dense "
            "(bias adds excluded) x batch. FLOPs = 2 x MACs + bias adds + element-wise work (docs/counting.md). "
            f"Memory = elements x dtype bytes x batch; activations {memory}; "
            f"units {'SI (K=1000)' if self.units == 'si' else 'binary (Ki=1024)'}."
        )
