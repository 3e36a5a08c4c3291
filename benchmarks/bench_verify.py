"""Speed and memory of `cnncalc verify`, measured in one run (a script, never a timed test).

    python benchmarks/bench_verify.py [--runs 3] [--networks vgg16 resnet50] [--both-ways] [--threads N]
                                      [--cpu-clock] [--json]

Measures, each in a fresh child process so that one measurement's memory and threads do
not leak into the next:

1. this machine's NumPy float32 matrix-multiply peak (GFLOP/s, best of square products);
2. `verify` of each network at its native input, batch 1: the first (cold) run in a new
   process, wall time and forward pass, then the best forward of `--runs` warm runs;
   achieved GFLOP/s (2 x MACs / forward seconds) as a share of the peak (goal: >= 60%
   for vgg16);
3. where PyTorch is installed, the same network built from the same spec (the graph,
   walked with torch.nn.functional and random weights of the same shapes) and run on
   the CPU with the same thread count: the ratio of verify's forward to PyTorch's
   (goal: <= 1.5x);
4. the peak RSS of the verify process against params + peak activations + the workspace
   bound (goal: <= 1.5x).

With --both-ways, each network's verify runs twice, the second time with CNNCALC_NO_BLAS=1
(plain NumPy products instead of the in-place OpenBLAS accumulate; see cnncalc.numeric.blas),
and the table shows both rows side by side.

With --threads N, every child runs on N threads (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS
set, and PyTorch's set_num_threads(N)): --threads 1 compares the two implementations' work
without their threading, a figure much less noisy on a shared machine. --cpu-clock (with
--threads 1) times everything in the children by the CPU time of their one thread
(time.thread_time, user and system) instead of the wall clock: other processes on a busy
machine then slow a measurement only through the caches and memory they share, not by taking
the CPU away (the wall-clock ratio of a single-threaded run on a machine at load 9 was off by
a factor of 2 to 3).

OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) are set on some machines because older
OpenBLAS builds misbehave there; they slow a current NumPy. When set, the children run
without them (say --keep-coretype to keep them) and the report names the BLAS kernel
each child ran (threadpoolctl, when installed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from math import prod
from typing import Any

Act = Callable[[Any, bool], Any]
"""An activation: a tensor and whether it may overwrite it."""

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
NO_BLAS_ENV = "CNNCALC_NO_BLAS"  # cnncalc.numeric.blas.NO_BLAS_ENV, without importing NumPy here
CPU_CLOCK_ENV = "BENCH_VERIFY_CPU_CLOCK"  # set by --cpu-clock for the children


# --- children ---------------------------------------------------------------------------------------


def blas_info() -> dict[str, object]:
    """Which BLAS NumPy runs, with how many threads, and its kernel (threadpoolctl's 'architecture')."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"kernel": "unknown (install threadpoolctl)", "threads": os.cpu_count()}
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return {
                "library": f"{pool.get('internal_api')} {pool.get('version')}",
                "kernel": pool.get("architecture", "unknown"),
                "threads": pool.get("num_threads"),
            }
    return {"kernel": "no BLAS found", "threads": os.cpu_count()}


def child_peak() -> dict[str, object]:
    import numpy as np

    rng = np.random.default_rng(0)
    best = 0.0
    for n in (1024, 2048, 3072, 4096):
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        out = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=out)
        for _ in range(3):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return {"peak_gflops": best, "blas": blas_info()}


def child_verify(name: str, runs: int) -> dict[str, object]:
    """One cold verify (what a user waits for in a new process), then `runs` warm ones."""
    start = time.perf_counter()
    from cnncalc import load_spec
    from cnncalc.features.verify.run import verify
    from cnncalc.numeric.blas import MacCounter
    from cnncalc.numeric.workspace import DEFAULT_WORKSPACE

    gemm = [0.0]  # seconds inside the matrix products of the current run
    product = MacCounter.matmul

    def timed(self: Any, a: Any, b: Any, out: Any = None) -> Any:
        begin = time.perf_counter()
        result = product(self, a, b, out)
        gemm[0] += time.perf_counter() - begin
        return result

    accumulate = MacCounter.matmul_add

    def timed_add(self: Any, a: Any, b: Any, c: Any) -> None:
        begin = time.perf_counter()
        accumulate(self, a, b, c)
        gemm[0] += time.perf_counter() - begin

    MacCounter.matmul = timed  # type: ignore[method-assign]
    MacCounter.matmul_add = timed_add  # type: ignore[method-assign]
    spec = load_spec(name)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    begin = time.perf_counter()
    result = verify(spec)
    cold = time.perf_counter() - begin
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert result.ok, result.mismatches()
    imports = begin - start
    forwards = [(result.execution.forward_seconds, gemm[0])]
    walls = []
    for _ in range(runs):
        gemm[0] = 0.0
        begin = time.perf_counter()
        warm = verify(spec)
        walls.append(time.perf_counter() - begin)
        forwards.append((warm.execution.forward_seconds, gemm[0]))
    best = min(forwards)
    totals = result.report.totals
    return {
        "name": name,
        "macs": totals.macs,
        "params": totals.params,
        "param_bytes": totals.param_bytes,
        "peak_activation_bytes": totals.peak_activation_bytes,
        "workspace": DEFAULT_WORKSPACE,
        "predicted_bytes": result.predicted_bytes,
        "cold_seconds": cold,
        "cold_forward_seconds": result.execution.forward_seconds,
        "cold_init_seconds": result.execution.init_seconds,
        "import_seconds": imports,
        "warm_seconds": min(walls) if walls else cold,
        "forward_seconds": best[0],
        "gemm_seconds": best[1],
        "rss_before": rss_before,
        "peak_rss": rss,
        "blas": blas_info(),
    }


def child_torch(name: str, runs: int, threads: int) -> dict[str, object]:
    import torch

    torch.set_num_threads(threads)
    from cnncalc import load_spec

    forward, x = build_torch(load_spec(name))
    with torch.inference_mode():
        forward(x)
        times = []
        for _ in range(max(runs, 3)):
            begin = time.perf_counter()
            forward(x)
            times.append(time.perf_counter() - begin)
    return {"name": name, "forward_seconds": min(times), "threads": torch.get_num_threads(), "torch": torch.__version__}


def build_torch(spec: Any) -> tuple[Callable[[Any], Any], Any]:
    """The spec's network as a torch function: the graph walked with torch.nn.functional.

    Weights are random tensors of the shapes verify allocates; activations overwrite their
    input where nothing else reads it, as verify does.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812

    from cnncalc.core.graph import build_graph
    from cnncalc.layers.conv import Conv, DepthwiseConv
    from cnncalc.layers.dense import Dense
    from cnncalc.layers.elementwise import Activation, BatchNorm, Dropout, Flatten, LocalResponseNorm
    from cnncalc.layers.merge import Add, Concat, Multiply
    from cnncalc.layers.pool import GlobalPool, Pool
    from cnncalc.numeric.params import axes, paddings

    graph = build_graph(spec)
    readers = graph.reader_counts()
    x0 = torch.randn(spec.batch, *spec.input.channels_first())
    shapes: list[tuple[int, ...]] = [tuple(x0.shape)]
    steps: list[Callable[[list[Any]], Any]] = []
    params: dict[int, dict[str, Any]] = {}
    activations: dict[str, Act] = {
        "relu": lambda t, inplace: F.relu(t, inplace=inplace),
        "relu6": lambda t, inplace: F.relu6(t, inplace=inplace),
        "sigmoid": lambda t, inplace: torch.sigmoid_(t) if inplace else torch.sigmoid(t),
        "tanh": lambda t, inplace: torch.tanh_(t) if inplace else torch.tanh(t),
        "softmax": lambda t, inplace: F.softmax(t, dim=1),
        "linear": lambda t, inplace: t,
    }

    def sym(pads: Sequence[tuple[int, int]]) -> tuple[list[int], tuple[int, ...]]:
        """Symmetric padding for the op itself, or explicit F.pad amounts (last axis first)."""
        if all(a == b for a, b in pads):
            return [], tuple(a for a, _ in pads)
        return [v for pair in reversed(pads) for v in pair], (0,) * len(pads)

    for i, node in enumerate(graph.nodes[1:], start=1):
        layer = node.layer
        owner = i if node.shares is None else node.shares
        shape = shapes[node.inputs[0]]
        nd = len(shape) - 2
        inplace = len(node.inputs) == 1 and readers[node.inputs[0]] == 1
        p = params.setdefault(owner, {})
        if isinstance(layer, Conv | DepthwiseConv):
            c = shape[1]
            groups = layer.groups if isinstance(layer, Conv) else c
            filters = layer.filters if isinstance(layer, Conv) else c * layer.multiplier
            kernel, stride, dilation = axes(layer.kernel, nd), axes(layer.stride, nd), axes(layer.dilation, nd)
            extra, pad = sym(paddings(layer.padding, shape[2:], kernel, stride, dilation))
            if not p:
                p["w"] = torch.randn(filters, c // groups, *kernel) * (2 / (c // groups * prod(kernel))) ** 0.5
                p["b"] = torch.zeros(filters) if layer.bias else None
            conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
            act = activations[layer.activation or "linear"]

            def step(xs: list[Any], p: dict[str, Any] = p, **kw: Any) -> Any:
                t = F.pad(xs[0], kw["extra"]) if kw["extra"] else xs[0]
                y = kw["conv"](t, p["w"], p["b"], kw["stride"], kw["pad"], kw["dilation"], kw["groups"])
                return kw["act"](y, True)

            steps.append(
                partial(step, extra=extra, conv=conv, stride=stride, pad=pad, dilation=dilation, groups=groups, act=act)
            )
        elif isinstance(layer, Dense):
            features = prod(shape[1:])
            if not p:
                p["w"] = torch.randn(layer.units, features) * (2 / features) ** 0.5
                p["b"] = torch.zeros(layer.units) if layer.bias else None
            act = activations[layer.activation or "linear"]

            def dense(xs: list[Any], p: dict[str, Any] = p, act: Act = act) -> Any:
                return act(F.linear(xs[0].flatten(1), p["w"], p["b"]), True)

            steps.append(dense)
        elif isinstance(layer, BatchNorm):
            c = shape[1]
            if not p:
                p.update(m=torch.zeros(c), v=torch.ones(c), g=torch.ones(c), b=torch.zeros(c))
            eps = layer.epsilon

            def batch_norm(xs: list[Any], p: dict[str, Any] = p, eps: float = eps) -> Any:
                return F.batch_norm(xs[0], p["m"], p["v"], p["g"], p["b"], False, 0.0, eps)

            steps.append(batch_norm)
        elif isinstance(layer, Activation):
            fn = activations[layer.kind]

            def activation(xs: list[Any], fn: Act = fn, inplace: bool = inplace) -> Any:
                return fn(xs[0], inplace)

            steps.append(activation)
        elif isinstance(layer, Pool) and layer.kind in ("max_pool", "avg_pool"):
            kernel = axes(layer.kernel, nd)
            stride = axes(layer.kernel if layer.stride is None else layer.stride, nd)
            extra, pad = sym(paddings(layer.padding, shape[2:], kernel, stride, axes(layer.dilation, nd)))
            if extra:
                raise NotImplementedError("asymmetric pooling padding")
            if layer.kind == "max_pool":

                def max_pool(
                    xs: list[Any],
                    pool: Callable[..., Any] = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1],
                    k: tuple[int, ...] = kernel,
                    s: tuple[int, ...] = stride,
                    q: tuple[int, ...] = pad,
                    c: bool = layer.ceil_mode,
                ) -> Any:
                    return pool(xs[0], k, s, q, ceil_mode=c)

                steps.append(max_pool)
            else:

                def avg_pool(
                    xs: list[Any],
                    pool: Callable[..., Any] = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[nd - 1],
                    k: tuple[int, ...] = kernel,
                    s: tuple[int, ...] = stride,
                    q: tuple[int, ...] = pad,
                    c: bool = layer.ceil_mode,
                ) -> Any:
                    return pool(xs[0], k, s, q, c)

                steps.append(avg_pool)
        elif isinstance(layer, GlobalPool):
            dims = tuple(range(2, 2 + nd))
            if layer.kind == "global_avg_pool":

                def global_avg(xs: list[Any], d: tuple[int, ...] = dims, k: bool = layer.keepdims) -> Any:
                    return xs[0].mean(dim=d, keepdim=k)

                steps.append(global_avg)
            else:

                def global_max(xs: list[Any], d: tuple[int, ...] = dims, k: bool = layer.keepdims) -> Any:
                    return xs[0].amax(dim=d, keepdim=k)

                steps.append(global_max)
        elif isinstance(layer, Dropout):
            steps.append(lambda xs: xs[0])
        elif isinstance(layer, Flatten):
            steps.append(lambda xs: xs[0].flatten(1))
        elif isinstance(layer, LocalResponseNorm):

            def lrn(xs: list[Any], n: LocalResponseNorm = layer) -> Any:
                return F.local_response_norm(xs[0], n.size, n.alpha, n.beta, n.k)

            steps.append(lrn)
        elif isinstance(layer, Add):
            steps.append(lambda xs: sum(xs[1:], xs[0]))
        elif isinstance(layer, Multiply):
            steps.append(lambda xs: torch.stack(xs).prod(0))
        elif isinstance(layer, Concat):
            steps.append(lambda xs: torch.cat(xs, 1))
        else:
            raise NotImplementedError(f"the benchmark's torch builder has no {layer.kind if layer else '?'}")
        with torch.inference_mode():
            probe = steps[-1]([torch.zeros(shapes[j]) for j in node.inputs])
        shapes.append(tuple(probe.shape))

    inputs = [node.inputs for node in graph.nodes]

    def forward(x: Any) -> Any:
        values = {0: x}
        left = list(readers)
        for i, step in enumerate(steps, start=1):
            values[i] = step([values[j] for j in inputs[i]])
            for j in inputs[i]:
                left[j] -= 1
                if left[j] == 0:
                    del values[j]
        return values[len(steps)]

    return forward, x0


# --- parent -------------------------------------------------------------------------------------------


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the cold one (best counts)")
    parser.add_argument("--networks", nargs="+", default=["vgg16", "resnet50"])
    parser.add_argument("--keep-coretype", action="store_true", help="keep OPENBLAS_CORETYPE for the children")
    parser.add_argument("--both-ways", action="store_true", help="also run verify with CNNCALC_NO_BLAS=1")
    parser.add_argument("--threads", type=int, help="run every child on this many threads (default: BLAS's own)")
    parser.add_argument("--cpu-clock", action="store_true", help="with --threads 1: time by the thread's CPU time")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if os.environ.get(CPU_CLOCK_ENV):
            time.perf_counter = time.thread_time  # every timer of the child, cnncalc's executor included
        what, *rest = args.child
        if what == "peak":
            out = child_peak()
        elif what == "verify":
            out = child_verify(rest[0], int(rest[1]))
        else:
            out = child_torch(rest[0], int(rest[1]), int(rest[2]))
        print(json.dumps(out))
        return

    env = dict(os.environ)
    unset = [] if args.keep_coretype else [k for k in BLAS_ENV if k in env]
    for key in unset:
        del env[key]
    if args.threads is not None:
        env.update(OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    if args.cpu_clock:
        if args.threads != 1:
            parser.error("--cpu-clock needs --threads 1 (the CPU time of one thread is the run's only with one)")
        env[CPU_CLOCK_ENV] = "1"
    peak = child(["peak"], env)
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    threads = args.threads or int(peak["blas"].get("threads") or os.cpu_count() or 1)
    rows = []
    torch_runs: dict[str, dict[str, Any]] = {}
    runs = [(name, env, name) for name in args.networks]
    if args.both_ways:
        on = {key: value for key, value in env.items() if key != NO_BLAS_ENV}
        off = {**on, NO_BLAS_ENV: "1"}
        runs = [run for name in args.networks for run in ((name, on, name), (name, off, f"{name}/no-blas"))]
    for name, run_env, label in runs:
        v = {**child(["verify", name, str(args.runs)], run_env), "name": label}
        if have_torch and name not in torch_runs:
            torch_runs[name] = child(["torch", name, str(args.runs), str(threads)], env)
        t = torch_runs.get(name)
        gflops = 2 * v["macs"] / v["forward_seconds"] / 1e9
        bound = v["param_bytes"] + v["peak_activation_bytes"] + v["workspace"]
        rows.append(
            {
                **v,
                "gflops": gflops,
                "gemm_gflops": 2 * v["macs"] / v["gemm_seconds"] / 1e9,
                "share_of_peak": gflops / peak["peak_gflops"],
                "torch_forward_seconds": t["forward_seconds"] if t else None,
                "torch_ratio": v["forward_seconds"] / t["forward_seconds"] if t else None,
                "torch": t["torch"] if t else None,
                "memory_bound": bound,
                "rss_ratio": v["peak_rss"] / bound,
            }
        )
    report = {
        "cpus": os.cpu_count(),
        "threads": threads,
        "clock": "CPU time of the thread" if args.cpu_clock else "wall",
        "unset": unset,
        "peak_gflops": peak["peak_gflops"],
        "blas": peak["blas"],
        "networks": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print_report(report)


def print_report(r: dict[str, Any]) -> None:
    blas = r["blas"]
    print(
        f"machine: {r['cpus']} CPUs; NumPy BLAS {blas.get('library', '?')}, kernel {blas['kernel']}, "
        f"{r['threads']} threads"
        + (f"; unset for the run: {', '.join(r['unset'])}" if r["unset"] else "")
        + f"; clock: {r['clock']}"
    )
    print(f"NumPy float32 matmul peak: {r['peak_gflops']:.1f} GFLOP/s")
    print()
    header = (
        f"{'network':16} {'GMACs':>6} {'cold s':>7} {'warm s':>7} {'fwd s':>7} {'GFLOP/s':>8} {'of peak':>8} "
        f"{'GEMMs':>6} {'torch s':>8} {'x torch':>8} {'RSS MB':>7} {'bound MB':>9} {'RSS/bnd':>8}"
    )
    print(header)
    for n in r["networks"]:
        torch_s = f"{n['torch_forward_seconds']:.3f}" if n["torch_forward_seconds"] else "-"
        ratio = f"{n['torch_ratio']:.2f}" if n["torch_ratio"] else "-"
        print(
            f"{n['name']:16} {n['macs'] / 1e9:6.2f} {n['cold_seconds']:7.2f} {n['warm_seconds']:7.2f} "
            f"{n['forward_seconds']:7.3f} {n['gflops']:8.1f} {n['share_of_peak']:8.0%} "
            f"{n['gemm_gflops'] / r['peak_gflops']:6.0%} {torch_s:>8} {ratio:>8} "
            f"{n['peak_rss'] / 1e6:7.0f} {n['memory_bound'] / 1e6:9.0f} {n['rss_ratio']:8.2f}"
        )
    print()
    print(
        "cold s: verify (analysis, weights, forward, checks) in a new process, imports excluded;\n"
        "warm s: best later run; fwd s: best forward pass; GFLOP/s = 2 x MACs / fwd s;\n"
        "GEMMs: the matrix products alone, as a share of the peak;\n"
        "torch s: PyTorch CPU forward of the same graph, same threads;\n"
        "bound = params + peak activations + workspace bound (bytes), against the verify process's peak RSS."
    )


if __name__ == "__main__":
    main()
