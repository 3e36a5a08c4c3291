"""Pooling: max / average / sum / L2 over windows, and global pooling.

No parameters to learn. FLOPs per output element, for a window of K taps:
max K-1 comparisons; sum K-1 adds; average K (K-1 adds, 1 divide);
L2 ("square sum") 2K (K squares, K-1 adds, 1 square root).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import ClassVar, Literal

from pydantic import Field

from cnncalc.core.conventions import Conventions
from cnncalc.errors import LayerRuleError
from cnncalc.layers.base import (
    AXIS_NAMES,
    Counts,
    DslWord,
    LayerBase,
    NonNegative,
    PerDim,
    Shape,
    Step,
    check_declared,
    per_dim,
    spatial_rank,
)
from cnncalc.layers.steps import elementwise_flops_step, fmt_dims, kernel_terms, no_params_steps, position_terms
from cnncalc.layers.window import PaddingSpec, fmt_padding, resolve_padding, slide, slide_steps

PoolKind = Literal["max_pool", "avg_pool", "sum_pool", "l2_pool"]
GlobalPoolKind = Literal["global_avg_pool", "global_max_pool"]


_POOL_OPTIONS = ("s", "p", "d", "ceil")


def window_flops(kind: str, taps: int) -> int:
    """FLOPs to reduce one window of `taps` values (see the module docstring)."""
    if kind in ("max_pool", "sum_pool", "global_max_pool"):
        return taps - 1
    if kind in ("avg_pool", "global_avg_pool"):
        return taps
    return 2 * taps  # l2_pool


def _side_fits(pair: tuple[int, int], kernel: int, asymmetric: bool) -> bool:
    """One axis of a pool's padding as the frameworks allow it: symmetric at most half the kernel
    (PyTorch), asymmetric each side smaller than the kernel (ONNX Runtime)."""
    return max(pair) < kernel if asymmetric else max(pair) <= kernel // 2


def pool_padding_fits(pads: Sequence[tuple[int, int]], kernel: Sequence[int]) -> bool:
    """Whether a pool may take this (before, after) padding per axis as its own: an importer asks
    before it writes a zero padding into the pool that follows it, and writes a `pad` layer when not."""
    asymmetric = any(before != after for before, after in pads)
    return all(_side_fits(pair, k, asymmetric) for pair, k in zip(pads, kernel, strict=True))


class Pool(LayerBase):
    """Max, average, sum or L2 pooling with PyTorch's padding and ceil_mode rules."""

    kind: PoolKind = Field(description="The pooling (also maxpool, avgpool, average_pool, sumpool, l2pool).")
    kernel: PerDim = Field(default=2, description="Window size: one int, or one per spatial axis.")
    stride: PerDim | None = Field(default=None, description="Step between windows; defaults to the kernel size.")
    padding: PaddingSpec = Field(default=0, description="Padding per side, as for conv.")
    dilation: PerDim = Field(default=1, description="Spacing between window taps (max pooling in PyTorch).")
    ceil_mode: bool = Field(
        default=False, description="Round the output size up, as PyTorch's ceil_mode (last window may overhang)."
    )
    in_channels: NonNegative | None = Field(default=None, description="Expected input channels; checked.")
    stem = "pool"
    aliases: ClassVar[dict[str, str]] = {
        "maxpool": "max_pool",
        "avgpool": "avg_pool",
        "average_pool": "avg_pool",
        "sumpool": "sum_pool",
        "l2pool": "l2_pool",
        "square_sum_pool": "l2_pool",
    }
    dsl_words = (
        DslWord("maxpool", "max_pool", "maxpool[<k>][/<stride>]", "pool", _POOL_OPTIONS, example="maxpool[3[/2]]"),
        DslWord("avgpool", "avg_pool", "avgpool[<k>][/<stride>]", "pool", _POOL_OPTIONS, example="avgpool"),
        DslWord("averagepool", "avg_pool", "avgpool[<k>][/<stride>]", "pool", _POOL_OPTIONS),
        DslWord("sumpool", "sum_pool", "sumpool[<k>][/<stride>]", "pool", _POOL_OPTIONS, example="sumpool"),
        DslWord("l2pool", "l2_pool", "l2pool[<k>][/<stride>]", "pool", _POOL_OPTIONS, example="l2pool"),
    )
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {
        **dict.fromkeys(("pool", "pooling"), ("max_pool", "avg_pool", "sum_pool", "l2_pool")),
        **dict.fromkeys(("maxpool", "maxpooling"), ("max_pool",)),
        **dict.fromkeys(("avgpool", "averagepool", "avgpooling"), ("avg_pool",)),
    }
    family = "pool"
    sheet_mistakes = frozenset({"ceil_not_floor", "wrong_padding", "off_by_one", "stride_4"})

    def apply(self, x: Shape, c: Conventions) -> Counts:
        stride = self.kernel if self.stride is None else self.stride
        self._check_window(x)
        geo = slide(x, self.kind, self.kernel, stride, self.padding, self.dilation, self.ceil_mode)
        check_declared(self.in_channels, x[0], "in_channels", "channels")
        out = (x[0], *geo.out)
        return Counts(
            output=out,
            flops=prod(out) * window_flops(self.kind, prod(geo.kernel)),
            warnings=geo.warnings,
            window=geo.window,
        )

    def _check_window(self, x: Shape) -> None:
        """The pooling rules of the frameworks that run it, beyond a positive output size.

        Symmetric padding at most half the kernel per side (PyTorch's rule: a window must hold
        more than padding; it compares with the kernel, not the dilated span). Padding that
        differs before and after on some axis has no PyTorch form; it comes from ONNX files,
        and follows ONNX Runtime's rule: each pad smaller than the kernel. For 3-D average, sum
        and L2 pooling an input at least as large as the kernel, padding or not (avg_pool3d's own
        rule, which lp_pool3d calls).
        """
        ndim = spatial_rank(x, self.kind)
        k = per_dim(self.kernel, ndim, "kernel")
        names = AXIS_NAMES[ndim]
        if self.padding not in ("same", "valid"):
            pads = resolve_padding(self.padding, x[1:], k, k, (1,) * ndim)
            asymmetric = any(before != after for before, after in pads)
            for name, kk, pair in zip(names, k, pads, strict=True):
                if _side_fits(pair, kk, asymmetric):
                    continue
                if asymmetric:
                    raise LayerRuleError(
                        f"padding {max(pair)} along {name} is not smaller than the kernel ({kk}): "
                        "asymmetric pool padding must be smaller than the kernel on each side",
                        field="padding",
                        hint=f"use padding at most {kk - 1} per side (ONNX Runtime refuses more)",
                    )
                raise LayerRuleError(
                    f"padding {max(pair)} along {name} is more than half the kernel ({kk}): "
                    "pool padding must be at most half the kernel size",
                    field="padding",
                    hint=f"use padding at most {kk // 2} (PyTorch refuses more)",
                )
        small = ndim == 3 and any(n < kk for n, kk in zip(x[1:], k, strict=True))
        if small and self.kind in ("avg_pool", "sum_pool", "l2_pool"):
            what = {"avg_pool": "average", "sum_pool": "sum", "l2_pool": "L2"}[self.kind]
            raise LayerRuleError(
                f"3-D {what} pooling of a {fmt_dims(x[1:])} input with a {fmt_dims(k)} kernel: "
                "the input must be at least as large as the kernel on every axis, padding or not",
                field="kernel",
                hint=f"use a smaller kernel, or pool earlier (PyTorch's {'avg' if what == 'average' else 'lp'}"
                "_pool3d refuses it)",
            )

    def describe(self) -> str:
        stride = self.kernel if self.stride is None else self.stride
        k = fmt_dims(self.kernel if isinstance(self.kernel, list) else [self.kernel])
        s = fmt_dims(stride if isinstance(stride, list) else [stride])
        text = f"f={k}, s={s}"
        if self.padding != 0:
            text += f", p={fmt_padding(self.padding)}"
        if self.ceil_mode:
            text += ", ceil"
        return text

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        stride = self.kernel if self.stride is None else self.stride
        self.apply(x, c)  # the rule's own checks first
        geo = slide(x, self.kind, self.kernel, stride, self.padding, self.dilation, self.ceil_mode)
        what = {"max_pool": "the largest value", "avg_pool": "the average", "sum_pool": "the sum"}
        reads = what.get(self.kind, "the root of the sum of squares")
        return (
            *slide_steps(x, geo),
            Step("output C", "output", "c_in", str(x[0]), x[0], note="pooling works on each channel alone", axis=0),
            *no_params_steps(
                f"no parameters to learn: pooling only takes {reads} of each window",
                "no multiply-accumulates (the window's comparisons or adds are counted as FLOPs)",
            ),
            self._flops_step(x, c),
        )

    def _flops_step(self, x: Shape, c: Conventions) -> Step:
        """The work per window (see window_flops) times the output values."""
        counts = self.apply(x, c)
        kernel = per_dim(self.kernel, len(x) - 1, "kernel")
        taps = prod(kernel)
        k_sym, k_num = kernel_terms(kernel)
        per, how = {
            "max_pool": ((f"{k_sym} - 1", f"{k_num} - 1"), "the largest of K values takes K - 1 comparisons"),
            "sum_pool": ((f"{k_sym} - 1", f"{k_num} - 1"), "a sum of K values takes K - 1 adds"),
            "avg_pool": ((k_sym, k_num), "K - 1 adds and a divide per window"),
            "l2_pool": ((f"2*{k_sym}", f"2*{k_num}"), "K squares, K - 1 adds and a square root per window"),
        }[self.kind]
        step = (*per, window_flops(self.kind, taps))
        return elementwise_flops_step(step, counts.output, counts.flops, f"K = {taps} taps: {how}")


class GlobalPool(LayerBase):
    """Average or max over all spatial positions: (C, *spatial) -> (C,)."""

    kind: GlobalPoolKind = Field(description="Global pooling over all positions (also gap, gmp).")
    keepdims: bool = Field(default=False, description="Keep the spatial axes as size 1, as PyTorch's AdaptivePool(1).")
    stem = "gpool"
    aliases: ClassVar[dict[str, str]] = {"gap": "global_avg_pool", "gmp": "global_max_pool"}
    dsl_words = (
        DslWord("gap", "global_avg_pool", "gap", options=("keepdims",), example="gap"),
        DslWord("globalavgpool", "global_avg_pool", "globalavgpool", options=("keepdims",)),
        DslWord("globalaveragepool", "global_avg_pool", "globalavgpool", options=("keepdims",)),
        DslWord("gmp", "global_max_pool", "gmp", options=("keepdims",), example="gmp"),
        DslWord("globalmaxpool", "global_max_pool", "globalmaxpool", options=("keepdims",)),
    )
    sheet_words: ClassVar[dict[str, tuple[str, ...]]] = {
        **dict.fromkeys(("pool", "pooling"), ("global_avg_pool", "global_max_pool")),
        **dict.fromkeys(("maxpool", "maxpooling"), ("global_max_pool",)),
        **dict.fromkeys(("avgpool", "averagepool", "avgpooling"), ("global_avg_pool",)),
    }
    family = "pool"

    def apply(self, x: Shape, c: Conventions) -> Counts:
        ndim = spatial_rank(x, self.kind)
        out = (x[0], *(1,) * ndim) if self.keepdims else (x[0],)
        return Counts(output=out, flops=x[0] * window_flops(self.kind, prod(x[1:])), ends_receptive_field=True)

    def explain(self, x: Shape, c: Conventions) -> tuple[Step, ...]:
        counts = self.apply(x, c)
        how = "average" if self.kind == "global_avg_pool" else "maximum"
        sym, num = position_terms(x[1:])
        steps = [
            Step(
                "output C", "output", "c_in", str(x[0]), x[0], note=f"one {how} per channel over {sym} = {num}", axis=0
            )
        ]
        steps += [Step(f"output {n}", "output", "1", "1", 1, axis=i + 1) for i, n in enumerate(AXIS_NAMES[len(x) - 1])]
        if self.kind == "global_avg_pool":
            flops = (f"c*({sym})", f"{x[0]}*({num})", f"S = {num} positions: S - 1 adds and a divide per channel")
        else:
            flops = (f"c*({sym} - 1)", f"{x[0]}*({num} - 1)", f"the largest of S = {num} values: S - 1 comparisons")
        return (
            *steps[: len(counts.output)],
            *no_params_steps(f"no parameters to learn: a global {how}"),
            Step("FLOPs", "flops", flops[0], flops[1], counts.flops, note=flops[2]),
        )
