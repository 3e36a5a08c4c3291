"""Training memory without PyTorch: a network small enough to count by hand, and the CLI.

The PyTorch reference (every bundled network, to the byte) is tests/features/training/test_training_torch.py.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.features.training.memory import Storage, _Node, lifetimes, training_memory
from cnncalc.spec.dsl import parse_dsl
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import Spec

DSL = "32x32x3 | conv5-8 p=0 act=relu | maxpool | fc-10"


def spec_of(dsl: str, batch: int = 2) -> Spec:
    data, source_map = parse_dsl(dsl)
    return validate_spec(data, source_map).model_copy(update={"batch": batch})


def test_small_network_by_hand() -> None:
    """float32, batch 2: conv keeps its input (3*32*32*4*2) and its ReLU output (8*28*28*4*2);
    max pooling keeps that same output again (counted once) and int64 indices (8*14*14*8*2);
    the dense layer keeps the pooled map (8*14*14*4*2), read through a flatten view."""
    spec = spec_of(DSL)
    memory = training_memory(spec, analyze(spec), "sgd")
    assert [r.saved_bytes for r in memory.rows] == [24_576 + 50_176, 25_088, 12_544]
    assert memory.saved_bytes == 112_384
    params = (8 * 5 * 5 * 3 + 8) + (14 * 14 * 8 * 10 + 10)
    assert (memory.weight_bytes, memory.gradient_bytes, memory.optimizer_bytes) == (4 * params, 4 * params, 0)
    # backward through the pooling: the conv's two storages, the indices, the gradients of the
    # pooling's input and output, and the dense layer's and pooling's parameter gradients done
    backward = (24_576 + 50_176 + 25_088) + (50_176 + 12_544) + 4 * (14 * 14 * 8 * 10 + 10)
    assert memory.backward_peak_bytes == 4 * params + backward
    assert memory.peak_bytes == memory.backward_peak_bytes


@pytest.mark.parametrize(
    ("optimizer", "per_param", "tensors"), [("sgd", 0, 0), ("momentum", 1, 0), ("adam", 2, 1), ("adamw", 2, 1)]
)
def test_optimizer_state(optimizer: str, per_param: int, tensors: int) -> None:
    """Momentum keeps one buffer per parameter, Adam two moments and a float32 step per tensor."""
    spec = spec_of(DSL)
    memory = training_memory(spec, analyze(spec), optimizer)
    assert memory.optimizer_bytes == per_param * memory.gradient_bytes + tensors * 4 * 4  # 4 tensors


def test_in_place_relu_output_counts_once() -> None:
    """conv -> bn -> relu (in place) -> conv: the ReLU keeps the batch norm's output, which the
    next conv keeps too: one storage."""
    spec = spec_of("16x16x3 | conv3-4 p=1 | bn | relu | conv3-4 p=1", batch=1)
    memory = training_memory(spec, analyze(spec))
    per_map = 4 * 16 * 16 * 4
    assert [r.saved_bytes for r in memory.rows] == [3 * 16 * 16 * 4, per_map + 2 * 4 * 4, per_map, 0]


def test_batch_scales_activations_not_weights() -> None:
    one, eight = spec_of(DSL, 1), spec_of(DSL, 8)
    a, b = training_memory(one, analyze(one)), training_memory(eight, analyze(eight))
    assert b.saved_bytes == 8 * a.saved_bytes
    assert b.weight_bytes == a.weight_bytes


def test_cli_training_json_and_csv(runner: CliRunner) -> None:
    args = ["summarize", "--dsl", DSL, "--batch", "2", "--training", "--optimizer", "momentum"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    training = json.loads(result.stdout)["training"]
    assert training["saved_bytes"] == sum(r["saved_bytes"] for r in training["layers"]) == 112_384
    assert training["optimizer_bytes"] == training["gradient_bytes"]
    assert training["peak_bytes"] == max(training["forward_peak_bytes"], training["backward_peak_bytes"])
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, [*args, "--format", "csv"]).stdout)))
    assert [r["name"] for r in rows] == ["conv1", "pool1", "fc1", "Total"]
    table = runner.invoke(app, args).stdout
    assert "Saved for backward (unique storages): 112,384 B" in table


def test_unmodelled_kind_is_an_error_not_a_guess(runner: CliRunner) -> None:
    result = runner.invoke(app, ["summarize", "--dsl", "8x8x1 | l2pool", "--training"])
    assert result.exit_code == 2
    assert "not modelled" in result.output
    assert "Traceback" not in result.output


# --- the peak of a long network -------------------------------------------------------------


def _peak_layer_by_layer(
    nodes: Sequence[_Node], inputs: Sequence[Sequence[int]], storages: dict[tuple[int, str], Storage]
) -> tuple[int, int]:
    """The peak as first written: every storage summed at every layer (quadratic, plainly right)."""
    n = len(nodes)
    saved_by, last_read, created = lifetimes(nodes, inputs)
    # forward: a storage lives from the layer that makes it until its last reader, or to the
    # end of the pass when saved
    forward = 0
    for t in range(n):
        live = sum(
            s.nbytes
            for k, s in storages.items()
            if created.get(k, n) <= t and (k in saved_by or last_read.get(k, created[k]) >= t)
        )
        forward = max(forward, live)
    # backward: layer t's step holds the saved storages of layers <= t, the gradient of every
    # output j <= t whose first consumer (in reverse) has run, and the parameter gradients of layers >= t
    last_reader = [n] * n
    for i in range(n):
        for j in inputs[i]:
            last_reader[j] = i if last_reader[j] == n else max(last_reader[j], i)
    backward = 0
    for t in range(n - 1, 0, -1):
        saved = sum(s.nbytes for k, s in storages.items() if k in saved_by and saved_by[k] <= t)
        grads = sum(nodes[j].grad_bytes for j in range(1, t + 1) if last_reader[j] >= t)
        params = sum(node.param_bytes for node in nodes[t:])
        backward = max(backward, saved + grads + params)
    return forward, backward


def test_the_peak_is_the_sum_at_every_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_peak` sweeps the lifetimes once; it must give what summing every layer gives, on every
    bundled network the training model covers (merges, shared inputs, saved tensors)."""
    from cnncalc.features.training import memory as training
    from cnncalc.spec.loader import bundled_names, load_spec

    fast = training._peak
    compared: list[str] = []

    def both(nodes: Any, inputs: Any, storages: Any) -> tuple[int, int]:
        found = fast(nodes, inputs, storages)
        assert found == _peak_layer_by_layer(nodes, inputs, storages)
        compared.append("")
        return found

    monkeypatch.setattr(training, "_peak", both)
    for name in bundled_names():
        spec = load_spec(name)
        try:
            training_memory(spec, analyze(spec), "adam")
        except training.TrainingError:
            continue  # a kind the model does not cover
    assert len(compared) >= 20
