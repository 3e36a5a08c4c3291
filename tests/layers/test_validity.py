"""What is a valid layer: cnncalc accepts what PyTorch accepts, and refuses the rest naming the rule.

Each case states PyTorch's rule in the comment beside it (from its error message and its
shape functions: pooling_output_shape, pool2d/pool3d_shape_check, the transposed-conv shape
check, local_response_norm, ConvNd's input rank). Where torch is installed, the same case is
run through torch too, so the rule written here is checked against the framework itself.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from cnncalc import ShapeError, analyze, load_spec_text
from cnncalc.core.geometry import fit_axis

HAS_TORCH = importlib.util.find_spec("torch") is not None

Shape = tuple[int, ...]


def ours(shape: Shape, layer: str) -> Shape:
    """Output shape (channels first, per sample) of one layer on a channels-first input."""
    text = f"input: {{shape: {list(shape)}, layout: chw}}\nlayers:\n  - {layer}\n"
    return analyze(load_spec_text(text)).rows[1].output_shape


def torch_shape(shape: Shape, make: Callable[[Any], Any]) -> Shape | None:
    """PyTorch's output shape per sample, or None when it refuses the layer.

    A batch of two: PyTorch reads a tensor one rank short of a batch as one unbatched sample
    ((N, C, L) as (C, H, W) for Conv2d), and with N = 2 against C = 1 that reading fails, as
    the layer of that rank would on the batch cnncalc describes.
    """
    import torch

    try:
        module = make(torch.nn)
        with torch.no_grad():
            return tuple(module(torch.zeros(2, *shape)).shape[1:])
    except (RuntimeError, ValueError):
        return None


# (input CHW, cnncalc layer, torch module, expected output or the words of the refusal)
Case = tuple[Shape, str, Callable[[Any], Any] | None, Shape | str]

CASES: dict[str, Case] = {
    # --- ceil mode: size = ceil((n + 2p - d(k-1) - 1)/s) + 1, minus 1 when the last window would
    # start past the input and left padding; applied before the size is checked, so a window
    # overhanging the padded input by less than a stride still gives one position
    "ceil overhang by 1 < stride 3": (
        (1, 3, 3),
        "{kind: max_pool, kernel: 4, stride: 3, ceil_mode: true}",
        lambda nn: nn.MaxPool2d(4, 3, ceil_mode=True),
        (1, 1, 1),
    ),
    "ceil overhang with padding": (
        (1, 2, 2),
        "{kind: max_pool, kernel: 5, stride: 2, padding: 1, ceil_mode: true}",
        lambda nn: nn.MaxPool2d(5, 2, padding=1, ceil_mode=True),
        (1, 1, 1),
    ),
    "ceil overhang, average": (
        (2, 3, 3),
        "{kind: avg_pool, kernel: 4, stride: 3, ceil_mode: true}",
        lambda nn: nn.AvgPool2d(4, 3, ceil_mode=True),
        (2, 1, 1),
    ),
    "ceil overhang by the stride is still nothing": (
        (1, 2),
        "{kind: max_pool, kernel: 4, stride: 2, ceil_mode: true}",
        lambda nn: nn.MaxPool1d(4, 2, ceil_mode=True),
        "output size 0",
    ),
    "floor mode refuses the overhang": (
        (1, 3, 3),
        "{kind: max_pool, kernel: 4, stride: 3}",
        lambda nn: nn.MaxPool2d(4, 3),
        "larger than the input",
    ),
    # --- pool padding: "pad should be at most half of kernel size" (pad <= k // 2, the kernel
    # itself, not its dilated span, for max pooling with dilation)
    "pool padding above half the kernel": (
        (1, 9, 9),
        "{kind: max_pool, kernel: 3, stride: 1, padding: 2}",
        lambda nn: nn.MaxPool2d(3, 1, padding=2),
        "at most half the kernel",
    ),
    "pool padding above half the kernel, dilated": (
        (1, 9, 9),
        "{kind: max_pool, kernel: 3, stride: 1, padding: 2, dilation: 2}",
        lambda nn: nn.MaxPool2d(3, 1, padding=2, dilation=2),
        "at most half the kernel",
    ),
    "pool padding of half an even kernel": (
        (1, 9, 9),
        "{kind: avg_pool, kernel: 4, stride: 1, padding: 2}",
        lambda nn: nn.AvgPool2d(4, 1, padding=2),
        (1, 10, 10),
    ),
    "pool padding above half the kernel, 1-D average": (
        (1, 9),
        "{kind: avg_pool, kernel: 3, padding: 2}",
        lambda nn: nn.AvgPool1d(3, padding=2),
        "at most half the kernel",
    ),
    "pool padding above half the kernel, 3-D": (
        (1, 9, 9, 9),
        "{kind: max_pool, kernel: 3, padding: 2}",
        lambda nn: nn.MaxPool3d(3, padding=2),
        "at most half the kernel",
    ),
    # padding that differs before and after: ONNX Runtime's rule, each side below the kernel
    # (PyTorch pads symmetrically; see ASYMMETRIC below, checked against onnxruntime)
    "asymmetric pool padding above half the kernel": (
        (1, 9, 9),
        "{kind: max_pool, kernel: 3, padding: [[0, 2], [0, 0]]}",
        None,
        (1, 3, 3),
    ),
    "asymmetric pool padding as large as the kernel": (
        (1, 9, 9),
        "{kind: max_pool, kernel: 3, padding: [[0, 3], [0, 0]]}",
        None,
        "not smaller than the kernel",
    ),
    # --- transposed conv: "output padding must be smaller than either stride or dilation"
    "output padding equal to the stride": (
        (1, 9, 9),
        "{kind: conv_transpose, filters: 1, kernel: 3, stride: 2, output_padding: 2}",
        lambda nn: nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2),
        "smaller than the stride",
    ),
    "output padding with stride 1": (
        (1, 9),
        "{kind: conv_transpose, filters: 1, kernel: 3, output_padding: 1}",
        lambda nn: nn.ConvTranspose1d(1, 1, 3, output_padding=1),
        "smaller than the stride",
    ),
    "output padding below the dilation": (
        (1, 9, 9),
        "{kind: conv_transpose, filters: 1, kernel: 3, dilation: 2, output_padding: 1}",
        lambda nn: nn.ConvTranspose2d(1, 1, 3, dilation=2, output_padding=1),
        (1, 14, 14),  # (9-1)*1 + 2*(3-1) + 1 + 1
    ),
    "output padding on one axis of three": (
        (1, 5, 5, 5),
        "{kind: conv_transpose, filters: 1, kernel: 3, stride: [2, 2, 1], output_padding: [1, 1, 1]}",
        lambda nn: nn.ConvTranspose3d(1, 1, 3, stride=(2, 2, 1), output_padding=1),
        "smaller than the stride",
    ),
    # --- deliberate: an output with a zero-length axis is refused (README: an output <= 0 is an
    # error); PyTorch's transposed conv returns an empty tensor there (checked below)
    "transposed conv with an empty output": (
        (1, 2, 6),
        "{kind: conv_transpose, filters: 2, kernel: 1, stride: 3, padding: 2}",
        None,
        "output size 0",
    ),
    # --- LRN: "Expected 3D or higher dimensionality input": a map, never a flat vector
    "lrn on a flat vector": ((16,), "{kind: lrn, size: 5}", lambda nn: nn.LocalResponseNorm(5), "flat vector"),
    "lrn on a 1-D map": ((16, 7), "{kind: lrn, size: 5}", lambda nn: nn.LocalResponseNorm(5), (16, 7)),
    # --- conv1d / conv3d / conv_transpose2d name the rank of their input
    "conv1d on a 2-D map": (
        (1, 9, 9),
        "{kind: conv1d, filters: 2, kernel: 3}",
        lambda nn: nn.Conv1d(1, 2, 3),
        "conv1d needs an input with 1 spatial axis",
    ),
    "conv1d on a 1-D map": ((1, 9), "{kind: conv1d, filters: 2, kernel: 3}", lambda nn: nn.Conv1d(1, 2, 3), (2, 7)),
    "conv3d on a 2-D map": (
        (1, 9, 9),
        "{kind: Conv3D, filters: 2, kernel: 3}",
        lambda nn: nn.Conv3d(1, 2, 3),
        "conv3d needs an input with 3 spatial axes",
    ),
    "conv2d on a 3-D map": (
        (1, 5, 9, 9),
        "{kind: conv2d, filters: 2, kernel: 3}",
        lambda nn: nn.Conv2d(1, 2, 3),
        "conv2d needs an input with 2 spatial axes",
    ),
    "conv_transpose2d on a 1-D map": (
        (1, 9),
        "{kind: conv_transpose2d, filters: 2, kernel: 3}",
        lambda nn: nn.ConvTranspose2d(1, 2, 3),
        "conv_transpose2d needs an input with 2 spatial axes",
    ),
    "conv follows any rank": (
        (1, 5, 9, 9),
        "{kind: conv, filters: 2, kernel: 3}",
        lambda nn: nn.Conv3d(1, 2, 3),
        (2, 3, 7, 7),
    ),
    # --- avg_pool3d: "input image smaller than kernel size", padding or not, ceil mode or not
    "3-D average pooling of an input smaller than the kernel": (
        (1, 2, 2, 2),
        "{kind: avg_pool, kernel: 3, stride: 3, padding: 1}",
        lambda nn: nn.AvgPool3d(3, 3, padding=1),
        "at least as large as the kernel",
    ),
    "3-D average pooling, ceil mode": (
        (1, 3, 3, 3),
        "{kind: avg_pool, kernel: 4, stride: 3, ceil_mode: true}",
        lambda nn: nn.AvgPool3d(4, 3, ceil_mode=True),
        "at least as large as the kernel",
    ),
    # --- lp_pool3d is avg_pool3d of the powers: the same refusal for sum (p = 1) and L2 (p = 2)
    "3-D sum pooling of an input smaller than the kernel": (
        (1, 2, 4, 4),
        "{kind: sum_pool, kernel: 3, stride: 1}",
        lambda nn: nn.LPPool3d(1, 3, 1),
        "3-D sum pooling .* at least as large as the kernel",
    ),
    "3-D L2 pooling of an input smaller than the kernel": (
        (1, 4, 4, 2),
        "{kind: l2_pool, kernel: 3, stride: 1}",
        lambda nn: nn.LPPool3d(2, 3, 1),
        "3-D L2 pooling .* at least as large as the kernel",
    ),
    "3-D sum pooling of an input as large as the kernel": (
        (1, 3, 4, 4),
        "{kind: sum_pool, kernel: 3, stride: 1}",
        lambda nn: nn.LPPool3d(1, 3, 1),
        (1, 1, 2, 2),
    ),
    "3-D max pooling may pad past a small input": (
        (1, 2, 2, 2),
        "{kind: max_pool, kernel: 3, stride: 3, padding: 1}",
        lambda nn: nn.MaxPool3d(3, 3, padding=1),
        (1, 1, 1, 1),
    ),
    "2-D average pooling may pad past a small input": (
        (1, 2, 2),
        "{kind: avg_pool, kernel: 3, stride: 3, padding: 1}",
        lambda nn: nn.AvgPool2d(3, 3, padding=1),
        (1, 1, 1),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_validity_rule(name: str) -> None:
    shape, layer, _, expected = CASES[name]
    if isinstance(expected, str):
        with pytest.raises(ShapeError, match=expected) as refused:
            ours(shape, layer)
        assert refused.value.diagnostics[0].hint, "a refusal comes with a hint"
    else:
        assert ours(shape, layer) == expected


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (CI installs the CPU build)")
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[2] is not None])
def test_validity_rule_is_pytorchs(name: str) -> None:
    shape, _, make, expected = CASES[name]
    assert make is not None
    got = torch_shape(shape, make)
    assert got == (None if isinstance(expected, str) else expected)


@pytest.mark.parametrize(
    ("n", "k", "s", "p"),
    [(n, k, s, p) for n in range(1, 8) for k in range(1, 7) for s in range(1, 5) for p in range(0, k // 2 + 1)],
)
def test_ceil_mode_size_is_pytorchs_formula(n: int, k: int, s: int, p: int) -> None:
    """PyTorch's pooling_output_shape, written out: the refusal is a size below 1, nothing else."""
    size = (n + 2 * p - (k - 1) - 1 + (s - 1)) // s + 1
    if (size - 1) * s >= n + p:
        size -= 1
    assert fit_axis(n, k, s, (p, p), 1, ceil_mode=True).size == size


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (CI installs the CPU build)")
def test_pytorch_never_gives_a_real_output_where_cnncalc_refuses_size_0() -> None:
    """PyTorch refuses a transposed conv with a zero-length output for one sample, and returns an
    empty tensor for a batch (another code path): no value is computed either way."""
    import torch

    layer = torch.nn.ConvTranspose2d(1, 2, 1, stride=3, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        layer(torch.zeros(1, 1, 2, 6))
    out = layer(torch.zeros(2, 1, 2, 6))
    assert tuple(out.shape) == (2, 2, 0, 12)  # rows (2-1)*3 - 2*2 + 0 + 1 = 0; columns (6-1)*3 - 4 + 1 = 12


# --- padding that differs before and after has no PyTorch form: it comes from ONNX files, and
# follows ONNX Runtime's rule (pool_attributes.h: each pad smaller than the kernel), which
# allows more than PyTorch's half kernel; symmetric padding keeps PyTorch's rule
# (input CHW, kernel, (before, after) per axis, expected output or the words of the refusal)
ASYMMETRIC: dict[str, tuple[Shape, int, list[list[int]], Shape | str]] = {
    "one side, the kernel less one": ((1, 6, 6), 3, [[0, 2], [0, 2]], (1, 6, 6)),
    "before only": ((1, 6, 6), 3, [[2, 0], [0, 0]], (1, 6, 4)),
    "unequal on one axis": ((1, 6, 6), 3, [[1, 2], [1, 1]], (1, 7, 6)),
    "as large as the kernel": ((1, 6, 6), 3, [[0, 3], [0, 0]], "not smaller than the kernel"),
}


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
@pytest.mark.parametrize("name", list(ASYMMETRIC))
def test_asymmetric_pool_padding_follows_onnx_runtime(name: str, kind: str) -> None:
    shape, k, pads, expected = ASYMMETRIC[name]
    layer = f"{{kind: {kind}, kernel: {k}, stride: 1, padding: {pads}}}"
    if isinstance(expected, str):
        with pytest.raises(ShapeError, match=expected) as refused:
            ours(shape, layer)
        assert refused.value.diagnostics[0].hint
    else:
        assert ours(shape, layer) == expected


def test_symmetric_pool_padding_keeps_pytorchs_half_kernel() -> None:
    with pytest.raises(ShapeError, match="more than half the kernel"):
        ours((1, 6, 6), "{kind: max_pool, kernel: 3, stride: 1, padding: [[2, 2], [0, 0]]}")


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("name", list(ASYMMETRIC))
def test_asymmetric_pool_padding_rule_is_onnx_runtimes(name: str, op: str) -> None:
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    import numpy as np
    from onnx import TensorProto, helper

    shape, k, pads, expected = ASYMMETRIC[name]
    onnx_pads = [p[0] for p in pads] + [p[1] for p in pads]
    node = helper.make_node(op, ["x"], ["y"], kernel_shape=[k, k], pads=onnx_pads)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 4
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        got: Shape | None = tuple(session.run(None, {"x": np.ones((1, *shape), np.float32)})[0].shape[1:])
    except Exception:  # onnxruntime refuses the model when it is built
        got = None
    assert got == (None if isinstance(expected, str) else expected)
    assert onnx is not None
