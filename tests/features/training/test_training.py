"""Training memory without PyTorch: a network small enough to count by hand, and the CLI.

The PyTorch reference (every bundled network, to the byte) is tests/features/training/test_training_torch.py.
"""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from typer.testing import CliRunner

from cnncalc.cli import app
from cnncalc.core.walk import analyze
from cnncalc.features.training.kernels import ConvGeometry, conv_temporaries, uses_mkldnn
from cnncalc.features.training.memory import training_memory
from cnncalc.features.training.peak import Node, Storage, replay
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
    # the peak is the sum of the amounts live at it, each named
    assert sum(t.nbytes for t in memory.peak_terms) == memory.peak_bytes == memory.backward_peak_bytes
    assert memory.peak_at == "backward of conv1"


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


# --- the replay of one step, by hand ----------------------------------------------------------


def test_replay_by_hand() -> None:
    """input (100 B) -> f (10 B, keeps the input, 4 B of parameters) -> g (20 B, keeps f's output)
    -> concat of f and g (30 B); cross-entropy with 8 B of labels.

    Forward: the input 100 (kept by f); f makes 10 (110); g makes 20 (130); the concat makes 30
    (160), then g's output, read by nobody else, goes (140); the loss reads 8 B of labels and
    makes its 30 B log-softmax: 178. Loss backward: two 30 B gradients besides it: 140 + 8 + 60 =
    238, the largest. Concat hands its gradient's storage on to both inputs; g makes a new 10 B
    gradient for f's output (188 at that moment), which cannot be added in place into the shared
    one, so takes its place; then f runs with its 4 B parameter gradient (152), and the step holds
    the labels, the kept input and 4 B of gradients: 142.
    """
    storages = {
        k: Storage(k, b, "") for k, b in [((0, "out"), 100), ((1, "out"), 10), ((2, "out"), 20), ((3, "out"), 30)]
    }
    nodes = [
        Node((0, "out"), []),
        Node((1, "out"), [(0, "out")], param_bytes=4, grad_bytes=10),
        Node((2, "out"), [(1, "out")], grad_bytes=20),
        Node((3, "out"), [], grad_bytes=30, routes=("alias", "alias")),
    ]
    peak = replay(nodes, [[], [0], [1], [1, 2]], storages, [False, True, True, True], (8, 30), 0)
    assert (peak.forward, peak.backward, peak.step) == (178, 238, 142)
    assert peak.at == "loss backward"
    assert sum(t.nbytes for t in peak.terms) == 238


def _conv(batch: int, c_in: int, c_out: int, side: int, k: int) -> ConvGeometry:
    return ConvGeometry(
        batch, c_in, c_out, 1, (side, side), (side, side), (k, k), (1, 1), (1, 1), k == 1, True, False, 4
    )


@pytest.mark.parametrize(
    ("geometry", "forward", "backward"),
    [
        # oneDNN, 16 -> 32 channels: the profiler's peak in forward 262,144 B less the 131,072 B
        # output; in backward 280,704 B less the gradients 65,536 + 18,432 + 128 B
        (_conv(4, 16, 32, 16, 3), 131_072, 280_704 - 84_096),
        # oneDNN, 3 -> 32 channels (input read unreordered): 262,144 - 131,072; 215,040 - (12,288 + 3,456 + 128)
        (_conv(4, 3, 32, 16, 3), 131_072, 215_040 - 15_872),
        # native kernel (one 8x8 image): im2col columns 16*9*64*4 = 36,864 B both ways
        (_conv(1, 16, 16, 8, 3), 36_864, 36_864),
    ],
)
def test_conv_temporaries_as_the_profiler_saw_them(geometry: ConvGeometry, forward: int, backward: int) -> None:
    """Peaks of single convolutions read off torch.profiler timelines (PyTorch 2.13, CPU, one thread)."""
    t = conv_temporaries(geometry, input_grad=True)
    assert (t.forward, t.backward) == (forward, backward)


def test_cuda_estimate_rounds_and_says_so(runner: CliRunner) -> None:
    spec = spec_of(DSL)
    cpu, cuda = training_memory(spec, analyze(spec), "adam"), training_memory(spec, analyze(spec), "adam", "cuda")
    assert not cpu.estimate and cuda.estimate
    assert cuda.workspace_margin_bytes >= 2 << 20
    assert all(r.saved_bytes % 512 == 0 for r in cuda.rows)
    assert cuda.peak_bytes > cpu.peak_bytes
    args = ["summarize", "--dsl", DSL, "--training", "--device", "cuda"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "an estimate for CUDA" in out.stdout
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)["training"]
    assert data["device"] == "cuda" and data["estimate"] is True
    assert sum(t["bytes"] for t in data["peak_terms"]) == data["peak_bytes"]


# --- threads ----------------------------------------------------------------------------------


def _strided(batch: int, c_in: int, c_out: int, side: int, k: int) -> ConvGeometry:
    out = (side - 1) // 2 + 1
    return ConvGeometry(batch, c_in, c_out, 1, (side, side), (out, out), (k, k), (2, 2), (1, 1), k == 1, True, False, 4)


def test_more_threads_send_1x1_convs_to_onednn() -> None:
    """ATen's rule: a 1x1, stride 1 kernel on a batch under 16 stays native only on one thread;
    a small single image stays native whatever the threads."""
    one_by_one = _conv(4, 16, 16, 16, 1)
    assert not uses_mkldnn(one_by_one, 1) and uses_mkldnn(one_by_one, 2)
    assert uses_mkldnn(_conv(16, 16, 16, 16, 1), 1)  # batch 16: oneDNN on one thread too
    assert not uses_mkldnn(_conv(1, 16, 16, 8, 3), 2) and not uses_mkldnn(_conv(1, 16, 16, 8, 3), 8)


@pytest.mark.parametrize(
    ("geometry", "backward"),
    [
        # 1x1, 16 -> 16 channels, batch 4 on 16x16 (oneDNN's 1x1 kernel at two threads): the profiler's
        # peak in backward 219,392 B less the gradients 65,536 + 1,024 + 64 B; a 21,696 B scratch
        (_conv(4, 16, 16, 16, 1), 219_392 - 66_624),
        # 3x3, 40 -> 40 channels, batch 4 on 8x8: 314,144 B less 40,960 + 57,600 + 160 B; a 91,776 B
        # scratch (the batch split over both threads: a copy of the 48x48x3x3 blocked weight gradient)
        (_conv(4, 40, 40, 8, 3), 314_144 - 98_720),
    ],
)
def test_conv_backward_at_two_threads_as_the_profiler_saw_it(geometry: ConvGeometry, backward: int) -> None:
    """With two threads oneDNN's weight gradient takes a scratch buffer per call; the model bounds it
    from above, by little (PyTorch 2.13, CPU, two threads)."""
    modelled = conv_temporaries(geometry, input_grad=True, threads=2).backward
    assert backward <= modelled <= backward * 1.02, (modelled, backward)
    assert conv_temporaries(geometry, input_grad=True, threads=1).backward < backward


def test_threads_never_lower_the_peak() -> None:
    """More threads can only add scratch; one image has no batch to split."""
    for dsl, batch in ((DSL, 2), ("16x16x3 | conv1-16 | relu | conv1-16", 4), ("16x16x24 | conv3-40 s=2 p=1", 4)):
        spec = spec_of(dsl, batch)
        peaks = [training_memory(spec, analyze(spec), "sgd", threads=t).peak_bytes for t in (1, 2, 4, 16)]
        assert peaks == sorted(peaks) and peaks[0] < peaks[-1], peaks
    one = spec_of("12x12x16 | conv3-32 p=1 | relu | conv3-32 p=1 | gap | fc-10", 1)
    assert len({training_memory(one, analyze(one), "sgd", threads=t).peak_bytes for t in (1, 2, 8)}) == 1


def test_cli_threads(runner: CliRunner) -> None:
    """--threads reaches the model and the output says it; the default is one thread per CPU."""
    args = ["summarize", "--dsl", "16x16x3 | conv1-16 | relu | conv1-16", "--batch", "4", "--training"]
    one = json.loads(runner.invoke(app, [*args, "--threads", "1", "-f", "json"]).stdout)["training"]
    two = json.loads(runner.invoke(app, [*args, "--threads", "2", "-f", "json"]).stdout)["training"]
    assert (one["threads"], two["threads"]) == (1, 2)
    assert one["peak_bytes"] < two["peak_bytes"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    cpus = os.cpu_count() or 1
    assert f"cpu, {cpus} thread" in table.stdout
    bad = runner.invoke(app, [*args, "--threads", "0"])
    assert bad.exit_code == 2 and "--threads" in bad.output
    solve = ["solve", "--dsl", "16x16x3 | conv1-16 | relu | conv1-16", "--max-memory", "4MB", "--training"]
    answers = [json.loads(runner.invoke(app, [*solve, "--threads", t, "-f", "json"]).stdout) for t in ("1", "2")]
    assert [a["threads"] for a in answers] == [1, 2]
    assert answers[0]["answer"] >= answers[1]["answer"]
    assert "2 threads" in runner.invoke(app, [*solve, "--threads", "2"]).stdout
