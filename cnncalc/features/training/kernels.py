"""The temporaries of PyTorch's CPU kernels during a training step, layer by layer.

Each rule gives, for one layer, the bytes a kernel holds for a moment beyond the tensors it
returns: in the forward pass beyond its output, in the backward pass beyond the gradients it
returns. They were read off `torch.profiler` timelines of PyTorch 2.13 (CPU, float32, one and
two intra-op threads) and are written as PyTorch runs them:

- a convolution goes to oneDNN (`mkldnn_convolution`) unless PyTorch's own rule sends it to
  the native kernel (`use_mkldnn` in ATen's Convolution.cpp: a 1x1, stride 1, undilated kernel
  on a batch under 16 with one thread, or a plain kernel of at most 3x3 on one small image);
  with more than one thread the first exception lapses, and 1x1 kernels go to oneDNN too;
- oneDNN computes in blocked layouts whose channels are padded to a multiple of 16 (the AVX-512
  block; 8 on AVX2 machines, where these figures are a slight overestimate): it reorders the
  input and the weight into them, writes a blocked output and copies it into PyTorch's; its
  backward reorders the output's gradient, the weight (both channel counts padded) and writes
  a blocked input gradient, then reorders the gradient and the input again for the weight's
  gradient, which it also writes blocked before copying; its 1x1 kernel reorders and pads
  every input, few channels included;
- with more than one thread, oneDNN's weight-gradient kernel may split the batch among the
  threads, each summing into a private copy of the (blocked) weight and bias gradients, added
  up at the end; the copies and the kernel's bookkeeping are one scratch buffer per call
  (`weight_scratch`: an upper bound, the batch split over every thread);
- the native kernel unfolds the input into columns (im2col), channels x kernel taps x output
  positions for the whole batch, unless the kernel is 1x1 with stride 1 and no padding; its
  backward unfolds again after allocating the gradients;
- batch norm's backward holds one input-sized temporary; nearest upsampling copies its input
  and holds a second output-sized buffer; Adam and AdamW divide a square root per parameter
  tensor (two temporaries the size of the largest tensor); SGD, with or without momentum,
  updates in place.

Pure arithmetic, as the rest of the training model.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

#: oneDNN's channel block on AVX-512: blocked layouts pad channels to a multiple of it
BLOCK = 16
#: channel counts up to which oneDNN reads the input in PyTorch's own layout (no reorder)
PLAIN_INPUT_CHANNELS = 8
#: PyTorch sends a small single image to the native kernel below this many input elements
NATIVE_MAX_ELEMENTS = 20480
#: batch from which PyTorch uses oneDNN even for a 1x1 kernel on one thread
MKLDNN_BATCH = 16
#: the fixed part of oneDNN's weight-gradient scratch when the batch is split among threads
#: (barriers, the alignment of each buffer): the largest measured, at two threads
SCRATCH_OVERHEAD = 8_640
#: the bias gradient's reducer, booked when there are fewer output-channel blocks than threads
#: (they share a block's sum): measured at two threads with one block of 16 output channels
BIAS_REDUCER = 12_352


def padded(channels: int) -> int:
    """Channels as a blocked layout holds them."""
    return -(-channels // BLOCK) * BLOCK


@dataclass(frozen=True)
class ConvGeometry:
    """One convolution call as the kernel sees it (channels first, batch apart)."""

    batch: int
    c_in: int
    c_out: int
    groups: int
    x_spatial: tuple[int, ...]
    y_spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    unpadded: bool  # no padding
    bias: bool
    transposed: bool
    dtype: int  # bytes per element


@dataclass(frozen=True)
class Temporaries:
    """Bytes held beyond a layer's results: in its forward pass and in its backward pass."""

    forward: int
    backward: int
    what: str  # the kernel and its buffers, for the explanation


def uses_mkldnn(g: ConvGeometry, threads: int = 1) -> bool:
    """PyTorch's choice between oneDNN and its native kernel for a float32 CPU convolution."""
    if g.transposed:
        return True
    one_by_one = all(k == 1 for k in g.kernel)
    strided = any(s != 1 for s in g.stride)
    dilated = any(d != 1 for d in g.dilation)
    first = strided or dilated or g.batch >= MKLDNN_BATCH or not one_by_one or threads > 1
    large_kernel = len(g.kernel) >= 2 and all(k > 3 for k in g.kernel[-2:])
    elements = g.batch * g.c_in * prod(g.x_spatial)
    second = g.groups > 1 or large_kernel or g.batch > 1 or elements > NATIVE_MAX_ELEMENTS
    return first and second


def weight_scratch(blocked_gradients: int, batch: int, threads: int, bias_blocks: int = 0) -> int:
    """The scratch buffer of oneDNN's weight-gradient kernel at `threads` intra-op threads, for
    weight and bias gradients of `blocked_gradients` bytes in its blocked layout, and a bias
    of `bias_blocks` blocks of output channels (0: no bias).

    With one thread there is none. With more, the kernel may split the batch among the
    threads (never more threads than images): each but the first sums into its own copy of
    the blocked gradients, and the call books a fixed part on top, and a reducer for the bias
    when its blocks are fewer than the threads. oneDNN chooses the split by a cost model;
    this is its largest case, measured at two threads (where oneDNN splits the channels
    instead, it holds less), and inferred beyond.
    """
    split = min(threads, batch)
    if split <= 1:
        return 0
    reducer = BIAS_REDUCER if 0 < bias_blocks < threads else 0
    return (split - 1) * blocked_gradients + SCRATCH_OVERHEAD + reducer


def conv_temporaries(g: ConvGeometry, input_grad: bool, threads: int = 1) -> Temporaries:
    """What a convolution's forward and backward hold beyond its output, and beyond the gradients
    (input, weight, bias) its backward returns, at `threads` intra-op threads. `input_grad`:
    whether its input needs a gradient."""
    b = g.dtype
    sx, sy, taps = prod(g.x_spatial), prod(g.y_spatial), prod(g.kernel)
    x, y = g.batch * g.c_in * sx * b, g.batch * g.c_out * sy * b
    c_in_g = g.c_in // g.groups
    weight = g.c_out * c_in_g * taps * b
    grads = (x if input_grad else 0) + weight + (g.c_out * b if g.bias else 0)
    if not uses_mkldnn(g, threads):
        columns = 0
        if not (all(k == 1 for k in g.kernel) and all(s == 1 for s in g.stride) and g.unpadded):
            columns = g.batch * g.c_in * taps * sy * b
        what = f"native kernel, im2col columns {columns:,} B" if columns else "native kernel, no columns (1x1)"
        return Temporaries(columns, columns, what)
    # oneDNN: blocked layouts, channels padded to the block
    px = g.batch * padded(g.c_in) * sx * b
    py = g.batch * padded(g.c_out) * sy * b
    one_by_one = all(k == 1 for k in g.kernel)
    blocked_in = g.c_in > PLAIN_INPUT_CHANNELS or one_by_one  # the 1x1 kernel reorders any input
    src = px if blocked_in else 0  # the input reordered into the block
    wide_in = padded(c_in_g) if g.groups == 1 and blocked_in else c_in_g
    w_forward = padded(g.c_out) * wide_in * taps * b
    w_data = padded(g.c_out) * (padded(c_in_g) if g.groups == 1 else c_in_g) * taps * b
    bias = padded(g.c_out) * b if g.bias else 0
    # the blocked output is copied out; a transposed conv holds a second output-sized copy
    forward = max(src + w_forward + py + bias, py + y + (y if g.transposed else 0)) - y
    gx = x if input_grad else 0
    bias_blocks = g.groups * padded(g.c_out // g.groups) // BLOCK if g.bias else 0
    scratch = weight_scratch(w_forward + bias, g.batch, threads, bias_blocks)
    phases = [
        gx + py + src + w_forward + bias + scratch,  # weight gradient: gradient and input reordered again
        gx + weight + w_forward + bias + (g.c_out * b if g.bias else 0),  # blocked weight gradient copied out
    ]
    if input_grad:
        phases.append(py + w_data + px)  # input gradient, blocked, before its copy
    backward = max(0, max(phases) - grads)
    what = (
        f"oneDNN conv, channels padded to {BLOCK}: blocked output or gradient {py:,} B, "
        f"reordered input {src:,} B, weight {w_forward:,} B"
        + (f", weight-gradient scratch at {threads} threads {scratch:,} B" if scratch else "")
    )
    return Temporaries(max(0, forward), backward, what)


def optimizer_temporaries(optimizer: str, largest_tensor: int) -> int:
    """Bytes the optimizer's step holds beyond its state: Adam(W) divides sqrt(v) per tensor."""
    return 2 * largest_tensor if optimizer in ("adam", "adamw") else 0


__all__ = [
    "BLOCK",
    "ConvGeometry",
    "Temporaries",
    "conv_temporaries",
    "optimizer_temporaries",
    "padded",
    "uses_mkldnn",
    "weight_scratch",
]
