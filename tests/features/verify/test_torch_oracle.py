"""Random small networks, valid and invalid, against PyTorch: cnncalc accepts exactly what it accepts.

A seeded generator draws chains of convolutions, transposed convolutions, max and average
pools and LRN with random kernels, strides, paddings, dilations, ceil modes, output paddings,
groups and input ranks (the rank-naming kinds conv1d/conv2d/conv3d/conv_transpose2d included,
on inputs of their rank or another). Many of them break a rule. For each network:

- PyTorch builds and runs it (a batch of 7, so that a tensor one rank short is never read as
  an unbatched sample of the right channel count); the first module that raises is the layer
  it refuses. One difference is deliberate: a transposed convolution whose output has a
  zero-length axis is refused by PyTorch for one sample but returns an empty tensor for a batch,
  and cnncalc refuses it (an output of size 0 is an error, README's counting conventions), so
  an empty output counts as refused;
- cnncalc analyzes the same spec; the layer its error names is the one it refuses;
- the two must refuse the same layer, or both accept; where both accept, every layer's output
  shape, parameter count (sum of numel) and MACs agree. MACs are taken from PyTorch's own
  tensors, independently of cnncalc's formulas: each output element of a convolution uses one
  filter (weight[0].numel() multiply-adds), each input element of a transposed convolution
  scatters one weight[0] (c_out/g x kernel values).

8,000 networks per run (at least 3,000 are asked for), well under a minute of CPU. The seed is
fixed so CI is repeatable; CNNCALC_ORACLE_SEED draws another sample. Skipped where PyTorch is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import random
import warnings
from dataclasses import dataclass, field
from math import prod
from typing import Any

import pytest

from cnncalc import analyze
from cnncalc.errors import CnncalcError
from cnncalc.spec import SourceMap, validate_spec

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="PyTorch not installed (CI installs the CPU build)"
)

NETWORKS = 8_000
BATCH = 7  # above every channel count drawn: see the module docstring
SEED = int(os.environ.get("CNNCALC_ORACLE_SEED", "20261129"))


@dataclass
class Layer:
    """One drawn layer: the spec entry, and how to build it in PyTorch."""

    spec: dict[str, Any]
    module: str  # torch.nn class name
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    out_channels: int = 0


@dataclass
class Network:
    shape: tuple[int, ...]  # channels first
    layers: list[Layer]

    def spec(self) -> dict[str, Any]:
        return {
            "name": "oracle",
            "input": {"shape": list(self.shape), "layout": "chw"},
            "layers": [{"name": f"L{i}", **layer.spec} for i, layer in enumerate(self.layers)],
        }


def _per_axis(rng: random.Random, rank: int, low: int, high: int, lists: bool) -> int | list[int]:
    """One int, or (when the rank allows) one value per axis."""
    if lists and rank > 1 and rng.random() < 0.3:
        return [rng.randint(low, high) for _ in range(rank)]
    return rng.randint(low, high)


def _conv(rng: random.Random, rank: int, channels: int) -> Layer:
    named = rng.random() < 0.3 or rank == 0
    conv_rank = rng.choice([1, 2, 3]) if named and (rng.random() < 0.4 or rank == 0) else rank
    lists = conv_rank == rank  # per-axis lists only where both sides read them alike
    groups = rng.choice([g for g in (1, 2) if channels % g == 0])
    filters = groups * rng.randint(1, 2)
    spec: dict[str, Any] = {
        "kind": f"conv{conv_rank}d" if named else "conv",
        "filters": filters,
        "kernel": _per_axis(rng, rank, 1, 5, lists),
        "stride": _per_axis(rng, rank, 1, 3, lists),
        "padding": _per_axis(rng, rank, 0, 3, lists),
        "dilation": _per_axis(rng, rank, 1, 3, lists),
        "groups": groups,
        "bias": rng.random() < 0.7,
    }
    if spec["stride"] == 1 and rng.random() < 0.2:  # PyTorch has 'same' at stride 1 only, as TensorFlow pads
        spec["padding"] = rng.choice(["same", "valid"])
    kwargs = {k: _tuple(spec[k]) for k in ("stride", "padding", "dilation")}
    kwargs.update(groups=groups, bias=spec["bias"])
    return Layer(spec, f"Conv{conv_rank}d", (channels, filters, _tuple(spec["kernel"])), kwargs, filters)


def _transposed(rng: random.Random, rank: int, channels: int) -> Layer:
    named = rng.random() < 0.25
    t_rank = 2 if named else rank
    lists = t_rank == rank
    groups = rng.choice([g for g in (1, 2) if channels % g == 0])
    filters = groups * rng.randint(1, 2)
    spec: dict[str, Any] = {
        "kind": "conv_transpose2d" if named else "conv_transpose",
        "filters": filters,
        "kernel": _per_axis(rng, rank, 1, 4, lists),
        "stride": _per_axis(rng, rank, 1, 3, lists),
        "padding": _per_axis(rng, rank, 0, 3, lists),
        "dilation": _per_axis(rng, rank, 1, 2, lists),
        "output_padding": _per_axis(rng, rank, 0, 3, lists),
        "groups": groups,
        "bias": rng.random() < 0.7,
    }
    kwargs = {k: _tuple(spec[k]) for k in ("stride", "padding", "dilation", "output_padding")}
    kwargs.update(groups=groups, bias=spec["bias"])
    return Layer(spec, f"ConvTranspose{t_rank}d", (channels, filters, _tuple(spec["kernel"])), kwargs, filters)


def _pool(rng: random.Random, rank: int, channels: int) -> Layer:
    kind = rng.choice(["max_pool", "avg_pool"])
    kernel = rng.randint(1, 5)
    spec: dict[str, Any] = {"kind": kind, "kernel": kernel, "padding": rng.randint(0, kernel // 2 + 1)}
    kwargs: dict[str, Any] = {"padding": spec["padding"]}
    if rng.random() < 0.7:
        spec["stride"] = kwargs["stride"] = rng.randint(1, 4)
    if rng.random() < 0.5:
        spec["ceil_mode"] = kwargs["ceil_mode"] = True
    if kind == "max_pool" and rng.random() < 0.3:  # PyTorch's average pools have no dilation
        spec["dilation"] = kwargs["dilation"] = rng.randint(1, 3)
    module = f"{'Max' if kind == 'max_pool' else 'Avg'}Pool{rank}d"
    return Layer(spec, module, (kernel,), kwargs, channels)


def _lrn(rng: random.Random, rank: int, channels: int) -> Layer:
    size = rng.randint(1, 5)
    return Layer({"kind": "lrn", "size": size}, "LocalResponseNorm", (size,), {}, channels)


def _tuple(value: int | str | list[int]) -> int | str | tuple[int, ...]:
    return tuple(value) if isinstance(value, list) else value


def draw(rng: random.Random) -> Network:
    rank = rng.choices([0, 1, 2, 3], weights=[1, 4, 6, 3])[0]
    top = {1: 16, 2: 12, 3: 7}.get(rank, 0)
    channels = rng.randint(1, 4)
    shape = (channels, *(rng.randint(1, top) for _ in range(rank)))
    makers = [_conv, _transposed, _pool, _pool, _lrn] if rank else [_conv, _lrn]
    layers: list[Layer] = []
    for _ in range(rng.randint(1, 3)):
        layer = rng.choice(makers)(rng, rank, channels)
        layers.append(layer)
        channels = layer.out_channels
    return Network(shape, layers)


@dataclass
class Outcome:
    refused_at: int | None  # index of the layer refused, None when the whole network runs
    shapes: list[tuple[int, ...]]
    params: list[int]
    macs: list[int]


def run_torch(torch: Any, net: Network) -> Outcome:
    x = torch.zeros(BATCH, *net.shape)
    shapes: list[tuple[int, ...]] = []
    params: list[int] = []
    macs: list[int] = []
    for i, layer in enumerate(net.layers):
        try:
            module = getattr(torch.nn, layer.module)(*layer.args, **layer.kwargs)
            with warnings.catch_warnings():  # 'same' with an even kernel: a note on speed, not validity
                warnings.simplefilter("ignore", UserWarning)
                y = module(x)
        except (RuntimeError, ValueError):
            return Outcome(i, shapes, params, macs)
        if y.numel() == 0:  # a transposed conv may return an empty tensor; cnncalc refuses a size 0
            return Outcome(i, shapes, params, macs)
        weight = getattr(module, "weight", None)
        if layer.module.startswith("Conv"):
            assert weight is not None  # every conv module (transposed too) has one
            # a transposed conv applies the kernel once per input value, a conv once per output value
            per = x if layer.module.startswith("ConvTranspose") else y
            macs.append(per[0].numel() * weight[0].numel())
        else:
            macs.append(0)
        shapes.append(tuple(y.shape[1:]))
        params.append(sum(p.numel() for p in module.parameters()))
        x = y
    return Outcome(None, shapes, params, macs)


def run_cnncalc(net: Network) -> tuple[Outcome, str]:
    try:
        report = analyze(validate_spec(net.spec(), SourceMap("<oracle>")))
    except CnncalcError as e:
        message = str(e)
        refused = next((i for i in range(len(net.layers)) if f"layer 'L{i}'" in message), -1)
        return Outcome(refused, [], [], []), message
    rows = report.rows[1:]
    return Outcome(None, [r.output_shape for r in rows], [r.params for r in rows], [r.macs for r in rows]), ""


def test_cnncalc_accepts_exactly_what_pytorch_accepts() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = random.Random(SEED)
    disagreements: list[str] = []
    accepted = refused = 0
    for n in range(NETWORKS):
        net = draw(rng)
        want = run_torch(torch, net)
        got, message = run_cnncalc(net)
        if want.refused_at is None:
            accepted += 1
        else:
            refused += 1
        same = got.refused_at == want.refused_at and (
            want.refused_at is not None or (got.shapes, got.params, got.macs) == (want.shapes, want.params, want.macs)
        )
        if not same:
            disagreements.append(f"#{n} {net.spec()}\n  torch {want}\n  cnncalc {got} {message[:200]}")
    # the sample must hold plenty of both, or it tests little
    assert accepted >= NETWORKS // 5 and refused >= NETWORKS // 5, (accepted, refused)
    assert not disagreements, f"{len(disagreements)} of {NETWORKS} differ:\n" + "\n".join(disagreements[:5])


def test_the_generator_covers_every_rule() -> None:
    """Each rule of validity is drawn, broken and kept, in the sample the oracle runs."""
    rng = random.Random(SEED)
    seen: set[str] = set()
    for _ in range(NETWORKS):
        net = draw(rng)
        for layer in net.layers:
            s, kind = layer.spec, layer.spec["kind"]
            if kind in ("conv1d", "conv2d", "conv3d", "conv_transpose2d"):
                wanted = int(kind[-2])
                seen.add("named rank kept" if wanted == len(net.shape) - 1 else "named rank broken")
            if kind.endswith("pool"):
                seen.add("pool pad broken" if s["padding"] > s["kernel"] // 2 else "pool pad kept")
                if s.get("ceil_mode"):
                    seen.add("ceil mode")
            if kind.startswith("conv_transpose"):
                op, st, d = (_first(s[k]) for k in ("output_padding", "stride", "dilation"))
                seen.add("output padding broken" if op >= st and op >= d else "output padding kept")
            if kind == "lrn":
                seen.add("lrn on a vector" if len(net.shape) == 1 else "lrn on a map")
    assert seen >= {
        "named rank kept",
        "named rank broken",
        "pool pad broken",
        "pool pad kept",
        "ceil mode",
        "output padding broken",
        "output padding kept",
        "lrn on a vector",
        "lrn on a map",
    }


def _first(value: int | list[int]) -> int:
    return value if isinstance(value, int) else value[0]


def test_mac_rule_of_the_oracle_on_a_worked_case() -> None:
    """The oracle's MACs from torch's tensors, on the lecture's conv: 28*28*8 outputs x 5*5*3."""
    torch = pytest.importorskip("torch")
    net = Network((3, 32, 32), [Layer({"kind": "conv", "filters": 8, "kernel": 5}, "Conv2d", (3, 8, 5), {}, 8)])
    outcome = run_torch(torch, net)
    assert outcome.macs == [28 * 28 * 8 * 5 * 5 * 3]
    assert outcome.params == [(5 * 5 * 3 + 1) * 8]
    assert prod(outcome.shapes[0]) == 28 * 28 * 8
