"""Integer arithmetic of sliding windows: output sizes, padding, dropped pixels.

Every function here works on one spatial axis and returns exact ints, so that the
layer rules can state their shapes as plain sums a student can redo by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[int, int]


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: d*(k-1) + 1.

    >>> effective_kernel(3, dilation=2)
    5
    """
    return dilation * (kernel - 1) + 1


def same_padding(n: int, kernel: int, stride: int = 1, dilation: int = 1) -> Pair:
    """TensorFlow's 'same': the output has ceil(n/s) positions, extra pixel after.

    total = max((ceil(n/s) - 1)*s + d*(k-1) + 1 - n, 0); before = total // 2.

    >>> same_padding(224, 3)
    (1, 1)
    >>> same_padding(224, 3, stride=2)
    (0, 1)
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - n, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True)
class AxisFit:
    """How one axis of a sliding window resolves: output size and what is left over."""

    size: int  # output positions, may be <= 0 when the window does not fit at all
    padded: int  # n + p_before + p_after
    dropped: int  # input pixels (of the padded axis) no window reaches, floor mode only


def fit_axis(
    n: int,
    kernel: int,
    stride: int = 1,
    padding: Pair = (0, 0),
    dilation: int = 1,
    ceil_mode: bool = False,
) -> AxisFit:
    """Output length along one axis, as PyTorch computes it.

    floor mode: floor((n + pb + pa - d*(k-1) - 1) / s) + 1
    ceil mode:  ceil(...) + 1, minus one when the last window would start past the
    input and its left padding (PyTorch's rule for pooling). Ceil mode applies before
    any check: a window that overhangs the padded input by less than a stride still
    gives one position, as in PyTorch.

    >>> fit_axis(32, 5).size
    28
    >>> fit_axis(7, 3, stride=3)
    AxisFit(size=2, padded=7, dropped=1)
    >>> fit_axis(112, 3, stride=2, ceil_mode=True).size
    56
    >>> fit_axis(6, 3, stride=2, ceil_mode=True).size
    3
    >>> fit_axis(3, 4, stride=3, ceil_mode=True).size  # overhangs by 1 < 3: one window
    1
    """
    padded = n + padding[0] + padding[1]
    span = padded - effective_kernel(kernel, dilation)
    if ceil_mode:
        size = -(-span // stride) + 1
        if (size - 1) * stride >= n + padding[0]:
            size -= 1
        return AxisFit(size=size, padded=padded, dropped=0)
    if span < 0:  # the kernel is wider than the padded input: no window fits
        return AxisFit(size=span // stride + 1, padded=padded, dropped=0)
    return AxisFit(size=span // stride + 1, padded=padded, dropped=span % stride)


def transposed_size(n: int, kernel: int, stride: int, padding: Pair, dilation: int, output_padding: int) -> int:
    """Output length of a transposed convolution (PyTorch's ConvTranspose).

    (n - 1)*s - pb - pa + d*(k-1) + output_padding + 1

    >>> transposed_size(7, 4, 2, (1, 1), 1, 0)
    14
    """
    return (n - 1) * stride - padding[0] - padding[1] + dilation * (kernel - 1) + output_padding + 1
