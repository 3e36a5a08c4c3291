"""Where `verify`'s convolutions spend their time, shape by shape, against PyTorch's (a script, never a timed test).

    python benchmarks/bench_conv_shapes.py [--network resnet50] [--threads N] [--cpu-clock] [--runs 15] [--json]

For every distinct convolution of the network (input channels and size, filters, kernel,
stride, padding), measured in one child process on the same threads:

- `ours`: `cnncalc.numeric.conv.conv` on a random input, with its weights in the layout the
  executor stores them in (tap-major where the stride-1 path reads them so);
- `products`: the part of `ours` spent inside its matrix products (BLAS), timed around every
  product the kernel runs; the rest is its copies and fills;
- `torch`: `torch.nn.functional.conv2d` on the same input and weights (where PyTorch is installed).

Each figure is the best of `--runs` calls after one warm-up call, so weights and inputs sit in
the caches as far as they fit (a forward pass reads each layer's weights from memory once:
these figures are the kernels' own speed, not a forward's). Rows are weighted by how often the
network repeats the shape; the totals say how much of a forward's convolution time each side
would take and how far BLAS alone is from PyTorch's whole convolution.

--threads N sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and torch.set_num_threads(N) in the child;
--cpu-clock (with --threads 1) times by the thread's CPU time, which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from math import prod
from typing import Any

CPU_CLOCK_ENV = "BENCH_CONV_CPU_CLOCK"

Geometry = tuple[int, int, int, int, int, int, int, int, int]
"""channels, height, width, filters, kernel height, kernel width, stride, padding, groups"""


def geometries(network: str) -> Counter[Geometry]:
    """The network's 2-D convolutions with symmetric padding and one stride, and how often each occurs."""
    from cnncalc import load_spec
    from cnncalc.core.graph import build_graph
    from cnncalc.core.walk import analyze
    from cnncalc.layers.conv import Conv
    from cnncalc.numeric.params import axes, paddings

    spec = load_spec(network)
    graph = build_graph(spec)
    rows = analyze(spec, layout="chw").rows
    found: Counter[Geometry] = Counter()
    for node, row in zip(graph.nodes[1:], rows[1:], strict=True):
        layer = node.layer
        if not isinstance(layer, Conv):
            continue
        shape = row.input_shape
        if len(shape) != 3:
            continue
        kernel, stride = axes(layer.kernel, 2), axes(layer.stride, 2)
        pads = paddings(layer.padding, shape[1:], kernel, stride, axes(layer.dilation, 2))
        flat = {p for pair in pads for p in pair}
        if len(flat) != 1 or len(set(stride)) != 1 or set(axes(layer.dilation, 2)) != {1}:
            continue  # the rows compare like with like: F.conv2d's own symmetric padding
        c, h, w = shape
        found[(c, h, w, layer.filters, kernel[0], kernel[1], stride[0], flat.pop(), layer.groups)] += 1
    return found


def best(call: Callable[[], Any], runs: int, clock: Callable[[], float], inside: list[float]) -> tuple[float, float]:
    """The best time of `runs` calls after a warm-up, and the best time spent in products (`inside`) by a call."""
    call()
    times, products = [], []
    for _ in range(runs):
        inside[0] = 0.0
        start = clock()
        call()
        times.append(clock() - start)
        products.append(inside[0])
    return min(times), min(products)


def child(network: str, runs: int) -> list[dict[str, Any]]:
    import numpy as np

    from cnncalc.numeric.blas import MacCounter
    from cnncalc.numeric.conv import conv, prefers_tap_major, tap_major_weights
    from cnncalc.numeric.workspace import Workspace

    clock = time.thread_time if os.environ.get(CPU_CLOCK_ENV) else time.perf_counter
    torch: Any = None
    try:
        torch = importlib.import_module("torch")
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", str(torch.get_num_threads()))))
    except ImportError:
        pass
    inside = [0.0]
    product, accumulate = MacCounter.matmul, MacCounter.matmul_add

    def timed(self: Any, a: Any, b: Any, out: Any = None) -> Any:
        start = clock()
        result = product(self, a, b, out)
        inside[0] += clock() - start
        return result

    def timed_add(self: Any, a: Any, b: Any, c: Any) -> None:
        start = clock()
        accumulate(self, a, b, c)
        inside[0] += clock() - start

    MacCounter.matmul = timed  # type: ignore[method-assign]
    MacCounter.matmul_add = timed_add  # type: ignore[method-assign]
    rng = np.random.default_rng(0)
    ws = Workspace()
    rows = []
    for (c, h, w, f, kh, kw, s, p, g), count in geometries(network).items():
        x = rng.standard_normal((1, c, h, w), dtype=np.float32)
        weight = rng.standard_normal((f, c // g, kh, kw), dtype=np.float32)
        bias = rng.standard_normal(f, dtype=np.float32)
        stored = weight
        if prefers_tap_major((kh, kw), (s, s), g, c):
            stored = tap_major_weights(weight.shape, np.ascontiguousarray(np.moveaxis(weight, 2, 0)).reshape(-1))
        ours = partial(conv, x, stored, bias, (s, s), ((p, p), (p, p)), (1, 1), g, MacCounter(), ws)

        ours_s, products_s = best(ours, runs, clock, inside)
        torch_s = None
        if torch is not None:
            xt, wt, bt = torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias)
            with torch.inference_mode():
                call = partial(torch.nn.functional.conv2d, xt, wt, bt, s, p, 1, g)
                torch_s = best(call, runs, clock, [0.0])[0]
        rows.append(
            {
                "geometry": f"{c}x{h}x{w} -> {f}, {kh}x{kw}/{s}" + (f" g{g}" if g > 1 else ""),
                "count": count,
                "macs": f * (c // g) * kh * kw * prod(ours().shape[2:]),
                "ours": ours_s,
                "products": products_s,
                "torch": torch_s,
            }
        )
    return rows


def table(rows: list[dict[str, Any]], threads: int, clock: str) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v * 1e3:.3f}"

    def ratio(a: float, b: float | None) -> str:
        return "-" if not b else f"{a / b:.2f}"

    lines = [f"threads: {threads}; clock: {clock}; best of each; ms per call", ""]
    head = ("ours", 8), ("products", 9), ("torch", 8), ("ours/t", 7), ("prod/t", 7)
    lines.append(f"{'convolution':32s} {'x':>3s} " + " ".join(f"{name:>{width}s}" for name, width in head))
    for r in rows:
        lines.append(
            f"{r['geometry']:32s} {r['count']:3d} {ms(r['ours']):>8s} {ms(r['products']):>9s} {ms(r['torch']):>8s}"
            f" {ratio(r['ours'], r['torch']):>7s} {ratio(r['products'], r['torch']):>7s}"
        )
    total = {k: sum(r[k] * r["count"] for r in rows) for k in ("ours", "products")}
    have = all(r["torch"] is not None for r in rows)
    t = sum(r["torch"] * r["count"] for r in rows) if have else None
    macs = sum(r["macs"] * r["count"] for r in rows)
    lines.append(
        f"{'total (x count)':32s} {'':3s} {ms(total['ours']):>8s} {ms(total['products']):>9s} {ms(t):>8s}"
        f" {ratio(total['ours'], t):>7s} {ratio(total['products'], t):>7s}"
    )
    lines.append("")
    rates = {"ours": total["ours"], "products": total["products"], **({} if t is None else {"torch": t})}
    lines.append("GFLOP/s (2 x MACs / time): " + ", ".join(f"{k} {2 * macs / v / 1e9:.1f}" for k, v in rates.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", default="resnet50")
    parser.add_argument("--threads", type=int, help="OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / torch threads")
    parser.add_argument("--cpu-clock", action="store_true", help="with --threads 1: time by the thread's CPU time")
    parser.add_argument("--runs", type=int, default=15, help="calls per measurement after a warm-up (best counts)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.network, args.runs)))
        return
    env = dict(os.environ)
    if args.threads is not None:
        env.update(OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    if args.cpu_clock:
        if args.threads != 1:
            parser.error("--cpu-clock needs --threads 1")
        env[CPU_CLOCK_ENV] = "1"
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--network", args.network, "--runs", str(args.runs)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the measuring child failed:\n{done.stderr}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    threads = args.threads or os.cpu_count() or 1
    print(table(rows, threads, "thread CPU time" if args.cpu_clock else "wall"))


if __name__ == "__main__":
    main()
