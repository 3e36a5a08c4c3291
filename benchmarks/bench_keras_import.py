"""Importing Keras Functional configs of 100, 1,000 and 10,000 layers side by side, in one process.

    python benchmarks/bench_keras_import.py [--runs 3] [--sizes 100 1000 10000]

The Keras importer must be linear in the number of layers: a 10,000-layer Functional
config may cost at most 2x the per-layer time of a 100-layer one. Scheduling the calls of a
Functional model once scanned the whole list of waiting calls per layer, and a 15,000-layer
config took minutes; this benchmark keeps that from coming back.

The config is written by hand in the Keras 3 `to_json()` format (Keras is not needed): a
chain of Conv2D and ReLU on an 8x8x4 input, with an Add merging the chain with a tensor
from four layers back every tenth layer, so that the graph is not a plain chain. Printed
per size are the best of `--runs` times for two stages, each per layer and as a ratio to
the smallest size: `import` (the config as spec data, keras_config_to_spec_data) and
`load` (the .json file read, imported and validated, load_model_spec).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from cnncalc.features.interop import load_model_spec
from cnncalc.features.interop.keras.model import keras_config_to_spec_data


def tensor(name: str) -> dict[str, Any]:
    """A Keras 3 reference to the first output of the first call of layer `name`."""
    return {"class_name": "__keras_tensor__", "config": {"shape": [None], "keras_history": [name, 0, 0]}}


def functional(n: int) -> dict[str, Any]:
    """A Keras 3 Functional config of `n` layers after the input (Conv2D, ReLU and some Add)."""
    layers: list[dict[str, Any]] = [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_shape": [None, 8, 8, 4]}}
    ]
    names = ["x"]
    for i in range(n):
        name = f"l{i}"
        args: list[Any]
        config: dict[str, Any]
        if i % 10 == 9:
            cls, config, args = "Add", {}, [[tensor(names[-1]), tensor(names[-4])]]
        elif i % 2 == 0:
            cls = "Conv2D"
            config = {"filters": 4, "kernel_size": [3, 3], "padding": "same", "strides": [1, 1]}
            args = [tensor(names[-1])]
        else:
            cls, config, args = "ReLU", {}, [tensor(names[-1])]
        config["name"] = name
        layers.append({"class_name": cls, "name": name, "config": config, "inbound_nodes": [{"args": args}]})
        names.append(name)
    return {
        "class_name": "Functional",
        "config": {
            "name": f"chain{n}",
            "layers": layers,
            "input_layers": [["x", 0, 0]],
            "output_layers": [[names[-1], 0, 0]],
        },
    }


def best(runs: int, work: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    args = parser.parse_args()
    configs = {n: functional(n) for n in args.sizes}
    with tempfile.TemporaryDirectory() as tmp:
        files = {n: Path(tmp) / f"chain{n}.json" for n in args.sizes}
        for n, path in files.items():
            path.write_text(json.dumps(configs[n]), encoding="utf-8")
        warm = Path(tmp) / "warm.json"  # the first load imports the spec model: not timed
        warm.write_text(json.dumps(functional(10)), encoding="utf-8")
        load_model_spec(warm)
        stages = {
            "import": {n: best(args.runs, lambda n=n: keras_config_to_spec_data(configs[n])) for n in args.sizes},
            "load": {n: best(args.runs, lambda n=n: load_model_spec(files[n])) for n in args.sizes},
        }
    smallest = min(args.sizes)
    print(f"{'stage':8} {'layers':>7} {'total s':>9} {'us/layer':>9} {'ratio':>6}")
    for stage, times in stages.items():
        base = times[smallest] / smallest
        for n in args.sizes:
            per_layer = times[n] / n
            print(f"{stage:8} {n:>7,} {times[n]:>9.3f} {per_layer * 1e6:>9.1f} {per_layer / base:>6.2f}")


if __name__ == "__main__":
    main()
