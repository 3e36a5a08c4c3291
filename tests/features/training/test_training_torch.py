"""Training memory against PyTorch itself: the tensors autograd saves during a forward pass.

Each bundled network is exported (cnncalc export), built in train mode with the
activations in place where cnncalc's analysis has them in place, and run on a small
input; every tensor handed to `saved_tensors_hooks`' pack is collected by storage.
Storages of parameters and buffers are model state; the rest must equal cnncalc's
saved bytes to the byte, and the model state its weight bytes.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from typing import Any

import pytest
from torch_profiler import CASES, Case, measure_step

from cnncalc.cli.common import override
from cnncalc.core.graph import build_graph
from cnncalc.core.walk import analyze
from cnncalc.features.interop.pytorch import export_pytorch
from cnncalc.features.symbolic.solve import largest_batch
from cnncalc.features.training.memory import training_memory
from cnncalc.features.training.saved import INPLACE_ACTIVATIONS
from cnncalc.layers.elementwise import Scale
from cnncalc.spec.loader import bundled_names, load_spec, load_spec_text
from cnncalc.spec.model import Spec

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")

#: the smallest input (channels last) each network accepts comfortably, to keep CPU time low
SMALL = {
    "inception-v3": (75, 75, 3),
    "inception-v3-aux": (299, 299, 3),  # the auxiliary head needs its 17x17 map
    "alexnet": (67, 67, 3),
    "alexnet-cs231n": (67, 67, 3),
    "zfnet": (64, 64, 3),
    "googlenet": (224, 224, 3),  # its last pooling is a fixed 7x7
    "googlenet-torchvision": (64, 64, 3),
    "mobilenet-v1": (224, 224, 3),
}
#: networks whose spec must keep its own input (flat, or sized for the dense layers)
OWN_INPUT = {"highway", "lenet5", "lenet5-classic", "siamese", "exercise-same", "exercise-valid", "vgg16-c"}
VIEWS = {"flatten", "add", "multiply", "concat", "channel_slice"}  # no module: plain expressions in forward


def _fixed_scale(layer: object) -> bool:
    """A scale by a fixed constant: a plain expression in forward, no module."""
    return isinstance(layer, Scale) and not layer.learned


def small(spec: Spec, name: str) -> Spec:
    """The network at batch 2 on a small input."""
    if name in OWN_INPUT:
        return override(spec, None, 2, None, None)
    shape = "x".join(map(str, SMALL.get(name, (32, 32, 3))))
    return override(spec, None, 2, shape, "hwc")


def torch_saved(torch: Any, spec: Spec) -> tuple[int, int]:
    """(bytes of unique non-parameter storages autograd saves, bytes of parameters and buffers).

    Activations are made in place where cnncalc's rows say so (the export writes them out of
    place); modules come in the order of the layers that have one.
    """
    namespace: dict[str, Any] = {}
    exec(export_pytorch(spec), namespace)
    classes = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    model = next(c for c in classes if c is not torch.nn.Module)()
    report = analyze(spec)
    graph = build_graph(spec)
    children = list(model.children())
    owned = [
        i
        for i, node in enumerate(graph.nodes[1:], start=1)
        if node.shares is None and report.rows[i].kind not in VIEWS and not _fixed_scale(node.layer)
    ]
    assert len(owned) == len(children)
    for i, module in zip(owned, children, strict=True):
        row = report.rows[i]
        if row.inplace and row.kind in INPLACE_ACTIVATIONS:
            module.inplace = True
    model.train()
    state = {
        t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in [*model.parameters(), *model.buffers()]
    }
    seen: dict[int, int] = {}

    def pack(t: Any) -> Any:
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    torch.manual_seed(0)
    x = torch.randn(spec.batch, *spec.input.channels_first())
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return sum(n for p, n in seen.items() if p not in state), sum(state.values())


@pytest.mark.parametrize("name", bundled_names())
def test_saved_bytes_equal_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    spec = small(load_spec(name), name)
    memory = training_memory(spec, analyze(spec), "adam")
    saved, state = torch_saved(torch, spec)
    assert (memory.saved_bytes, memory.weight_bytes) == (saved, state)


# --- the peak of a whole step against PyTorch's profiler -------------------------------------


#: intra-op thread counts the comparison runs at: one, and the two cores a small machine has (with
#: more than one, 1x1 convolutions go to oneDNN and its weight gradients take a scratch buffer)
THREADS = (1, 2)


@pytest.mark.parametrize("threads", THREADS, ids=lambda t: f"{t} thread(s)")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_peak_within_the_profiler(case: Case, threads: int) -> None:
    """cnncalc's peak of one training step is no more than 2% below what torch.profiler measures
    over a full step (forward, loss, backward, optimizer step, after a warm-up step), and at most
    10% above, on every case of docs/training.md's table, at each thread count."""
    pytest.importorskip("torch")
    spec = case.spec()
    model = training_memory(spec, analyze(spec), case.optimizer, threads=threads).peak_bytes
    measured = measure_step(spec, case.optimizer, threads=threads).peak_bytes
    assert -0.02 <= (model - measured) / measured <= 0.10, (model, measured)


@pytest.mark.parametrize("threads", THREADS, ids=lambda t: f"{t} thread(s)")
def test_solve_answer_fits_when_run(threads: int) -> None:
    """`solve --training` answers a batch whose measured step fits the budget at the thread count
    it was asked for: for budgets between the model's peaks at batch 3 and 4 (where the 10%
    margin changes the answer) and above."""
    pytest.importorskip("torch")
    spec = CASES[-1].spec()  # a strided conv, batch norm, Adam
    for budget in (1_500_000, 2_000_000, 3_000_000):
        solution = largest_batch(spec, budget, True, "adam", margin=Fraction(1, 10), threads=threads)
        measured = measure_step(solution.spec, "adam", threads=threads).peak_bytes
        assert measured <= budget, (solution.answer, measured, budget)
        assert solution.value * 11 <= budget * 10


#: the kinds the ONNX import of torchvision's CNNs brought, each in a small network: a layer
#: norm on the channels (ConvNeXt's), fixed and learned scales, a shuffle and slices of channels,
#: and an upsample to a size that is no whole factor (LRASPP's head)
NEW_KINDS = """
name: new-kinds
input: {shape: [6, 5, 8]}
batch: 2
layers:
  - {kind: conv, name: c1, filters: 8, kernel: 3, padding: same}
  - {kind: layer_norm, name: ln}
  - {kind: scale, name: half, op: multiply, value: 0.5}
  - {kind: scale, name: plus, op: add, value: 3.0}
  - {kind: scale, name: sq, op: power, value: 2.0}
  - {kind: scale, name: gamma, learned: true}
  - {kind: channel_shuffle, name: shuffle, groups: 4}
  - {kind: channel_slice, name: left, start: 0, stop: 4}
  - {kind: conv, name: c2, filters: 4, kernel: 1}
  - {kind: channel_slice, name: right, start: 4, stop: 8, from: shuffle}
  - {kind: concat, name: cat, from: [c2, right]}
  - {kind: upsample, name: up, size: [11, 9], mode: bilinear}
"""


def test_new_kinds_saved_bytes_and_params_equal_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    spec = load_spec_text(NEW_KINDS)
    report = analyze(spec)
    memory = training_memory(spec, report, "adam")
    saved, state = torch_saved(torch, spec)
    assert (memory.saved_bytes, memory.weight_bytes) == (saved, state)
    namespace: dict[str, Any] = {}
    exec(export_pytorch(spec), namespace)
    model = next(
        v
        for v in namespace.values()
        if isinstance(v, type) and issubclass(v, torch.nn.Module) and v is not torch.nn.Module
    )()
    assert sum(p.numel() for p in model.parameters()) == report.totals.params


# --- frozen layers (`trainable: false`): no gradient, no optimizer state, less kept ------------

FIRST_HALF_FROZEN = """
input: 16x16x3
batch: 4
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: same, trainable: false}
  - {kind: batch_norm, trainable: false}
  - {kind: relu}
  - {kind: max_pool, kernel: 2}
  - {kind: conv, filters: 16, kernel: 3, padding: same, trainable: false}
  - {kind: relu}
  - {kind: conv, filters: 16, kernel: 3, padding: same}
  - {kind: batch_norm}
  - {kind: relu}
  - {kind: global_avg_pool}
  - {kind: dense, units: 10}
"""

FROZEN_IN_THE_MIDDLE = """
input: 16x16x3
batch: 4
layers:
  - {kind: conv, filters: 8, kernel: 3, padding: same}
  - {kind: relu}
  - {kind: conv, filters: 8, kernel: 3, padding: same, trainable: false}
  - {kind: batch_norm, trainable: false}
  - {kind: relu}
  - {kind: max_pool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, units: 32, trainable: false}
  - {kind: relu}
  - {kind: dense, units: 10}
"""


def frozen_except_last(spec: Spec) -> Spec:
    """`spec` as a flat list of its layers, every one with weights frozen but the last of them."""
    graph = build_graph(spec)
    report = analyze(spec)
    weighted = [i for i, row in enumerate(report.rows) if row.weights + row.biases]
    layers = []
    for i, node in enumerate(graph.nodes[1:], start=1):
        assert node.layer is not None and node.shares is None
        reads = [graph.nodes[j].name if j else "input" for j in node.inputs]
        update = {"name": node.name, "id": None, "from_": reads, "trainable": i not in weighted[:-1]}
        layers.append(node.layer.model_copy(update=update))
    return spec.model_copy(update={"layers": layers})


def frozen_networks() -> list[tuple[str, Spec]]:
    resnet = frozen_except_last(override(load_spec("resnet18"), None, 2, "32x32x3", "hwc"))
    return [
        ("first half frozen", load_spec_text(FIRST_HALF_FROZEN)),
        ("frozen in the middle", load_spec_text(FROZEN_IN_THE_MIDDLE)),
        ("resnet18, all but the last dense frozen", resnet),
    ]


@pytest.mark.parametrize(("label", "spec"), frozen_networks(), ids=lambda v: v if isinstance(v, str) else "")
def test_frozen_layers_save_and_hold_what_pytorch_does(label: str, spec: Spec) -> None:
    """The tensors autograd saves, the model state, and the optimizer's state (Adam's moments and step
    counters, for the trained parameters only) equal PyTorch's on a network with frozen layers."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    report = analyze(spec)
    memory = training_memory(spec, report, "adam")
    saved, state = torch_saved(torch, spec)
    assert (memory.saved_bytes, memory.weight_bytes) == (saved, state)
    assert memory.gradient_bytes == report.totals.trainable_params * report.dtype_bytes
    measured = measure_step(spec, "adam")
    assert memory.weight_bytes + memory.optimizer_bytes == measured.resident_bytes
    peak = memory.peak_bytes
    assert -0.02 <= (peak - measured.peak_bytes) / measured.peak_bytes <= 0.10, (peak, measured.peak_bytes)
