"""The oracle of the training peak: one training step measured by PyTorch's own profiler.

Used by the tests and by `benchmarks/bench_training_peak.py` where PyTorch is installed;
nothing in cnncalc's figures comes from here. The network is written by `cnncalc export`
and built in train mode, its activations made in place where cnncalc's analysis has them
in place (the export writes them out of place). One step is: the batch and its labels made,
forward, cross-entropy over the output's channels against labels 0, backward, the
optimizer's step. A first step runs unprofiled (it creates the optimizer's state) and ends
with `zero_grad(set_to_none=True)`, so that the profiled step starts with the gradients
freed; the profiler then records every allocation and free of the step
(`torch.profiler.profile(profile_memory=True)`), and the peak is the bytes resident before
it (parameters, buffers, optimizer state, measured by storage) plus the largest running
sum of those events.

PyTorch is imported inside the functions: importing this module costs nothing without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from cnncalc.core.graph import build_graph
from cnncalc.core.walk import analyze
from cnncalc.features.interop.pytorch import export_pytorch
from cnncalc.features.training.saved import INPLACE_ACTIVATIONS
from cnncalc.spec.dsl import parse_dsl
from cnncalc.spec.loader import load_spec, validate_spec
from cnncalc.spec.model import InputSpec, Spec, parse_dims

#: row kinds the export writes as plain expressions in forward (no module of their own)
VIEWS = frozenset({"flatten", "add", "multiply", "concat"})


@dataclass(frozen=True)
class Case:
    """One network of the comparison: a bundled name or a DSL line, its input, batch and optimizer."""

    network: str
    input: str | None  # HxWxC, None: the spec's own
    batch: int
    optimizer: str
    why: str

    @property
    def label(self) -> str:
        return f"{self.network}, {self.input or 'own input'}, batch {self.batch}, {self.optimizer}"

    def spec(self) -> Spec:
        """The network at the case's input and batch."""
        if "|" in self.network:
            data, source_map = parse_dsl(self.network)
            spec = validate_spec(data, source_map)
        else:
            spec = load_spec(self.network)
        update: dict[str, object] = {"batch": self.batch}
        if self.input is not None:
            update["input"] = InputSpec(shape=parse_dims(self.input), layout="hwc")
        return spec.model_copy(update=update)


#: the networks docs/training.md compares with the profiler: bundled networks at small inputs,
#: and small convolutions where the kernels' temporaries are most of the peak
CASES: tuple[Case, ...] = (
    Case("lenet5", None, 8, "adam", "the lecture's LeNet-5"),
    Case("resnet18", "64x64x3", 8, "adam", "residual adds"),
    Case("resnet18", "64x64x3", 8, "sgd", "residual adds"),
    Case("encoder-decoder", "64x64x3", 4, "adamw", "skip concats, transposed conv, upsampling"),
    Case("vgg11", "64x64x3", 4, "sgd", "large dense layers"),
    Case("mobilenet-v2", "64x64x3", 8, "momentum", "depthwise convs, ReLU6"),
    Case("squeezenet1_0", "64x64x3", 4, "adam", "fire modules (concats)"),
    Case("googlenet-torchvision", "64x64x3", 2, "sgd", "inception concats, batch norm"),
    Case("densenet121", "64x64x3", 2, "adam", "dense concats"),
    Case("alexnet", "67x67x3", 4, "sgd", "grouped convs, LRN"),
    Case("32x32x3 | conv5-8 p=0 act=relu | maxpool | fc-10", None, 2, "adam", "small conv, channels padded"),
    Case("16x16x3 | conv1-16 | relu | conv1-16", None, 4, "sgd", "1x1 convs: native kernel"),
    Case("12x12x16 | conv3-32 p=1 | relu | conv3-32 p=1 | gap | fc-10", None, 1, "sgd", "one image: im2col"),
    Case("16x16x24 | conv3-40 s=2 p=1 | bn | relu | conv3-40 p=1 | gap | fc-10", None, 4, "adam", "strided conv"),
)


@dataclass(frozen=True)
class Measured:
    """One profiled training step, in bytes."""

    torch_version: str
    resident_bytes: int  # parameters, buffers and optimizer state before the step
    peak_bytes: int  # resident plus the largest running sum of the step's allocations


def build_model(torch: Any, spec: Spec) -> Any:
    """The exported module of `spec`, in train mode, with activations in place as cnncalc has them."""
    namespace: dict[str, Any] = {}
    exec(export_pytorch(spec), namespace)  # code cnncalc wrote from identifiers it made
    classes = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    model = next(c for c in classes if c is not torch.nn.Module)()
    report = analyze(spec)
    graph = build_graph(spec)
    owned = [
        i for i, node in enumerate(graph.nodes[1:], start=1) if node.shares is None and report.rows[i].kind not in VIEWS
    ]
    children = list(model.children())
    if len(owned) != len(children):
        raise ValueError(f"{len(children)} modules for {len(owned)} layers: cannot match them")
    for i, module in zip(owned, children, strict=True):
        row = report.rows[i]
        if row.inplace and row.kind in INPLACE_ACTIVATIONS:
            module.inplace = True
    return model.train()


def make_optimizer(torch: Any, params: Any, optimizer: str) -> Any:
    """PyTorch's optimizer for cnncalc's name of it, with PyTorch's defaults."""
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=0.01)
    if optimizer == "momentum":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9)
    if optimizer == "adam":
        return torch.optim.Adam(params)
    if optimizer == "adamw":
        return torch.optim.AdamW(params)
    raise ValueError(f"unknown optimizer {optimizer!r}")


def _storages(tensors: Any) -> dict[int, int]:
    return {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}


def measure_step(spec: Spec, optimizer: str = "sgd", threads: int = 1) -> Measured:
    """The profiler's peak of one training step of `spec` (batch and input as the spec has them)."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build_model(torch, spec)
    opt = make_optimizer(torch, model.parameters(), optimizer)
    shape = (spec.batch, *spec.input.channels_first())
    if spec.dtype != "float32":
        raise ValueError(f"measured in float32 only, not {spec.dtype}")

    def step() -> None:
        x = torch.randn(shape)
        out = model(x)
        labels = torch.zeros((out.shape[0], *out.shape[2:]), dtype=torch.long)
        torch.nn.functional.cross_entropy(out, labels).backward()
        opt.step()

    step()
    opt.zero_grad(set_to_none=True)
    state = [t for s in opt.state.values() for t in s.values() if isinstance(t, torch.Tensor)]
    resident = sum(_storages([*model.parameters(), *model.buffers(), *state]).values())
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted(
        (e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns()
    )
    running = max(accumulate((e.nbytes() for e in events), initial=0))
    return Measured(torch.__version__, resident, resident + running)


__all__ = ["CASES", "Case", "Measured", "build_model", "make_optimizer", "measure_step"]
