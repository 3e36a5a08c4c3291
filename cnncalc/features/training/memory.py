"""Training memory as PyTorch spends it: what autograd saves, gradients, optimizer state, peak.

The rule of thumb "2 x activations + 4 x params" follows no framework. This module
follows PyTorch (CPU, train mode) layer by layer, as `cnncalc export` writes the
network: what each operation hands to autograd for the backward pass comes from `saved`
(one rule per layer kind, the `TRAINING` table), counted by storage
so that a tensor kept by two operations (a convolution's output that an in-place ReLU
then overwrites and keeps) counts once. Parameters and buffers that operations also
keep (a convolution's weight, batch norm's running statistics) are model state, not
activations, and count once as such.

The peak (see `peak.replay`): weights and optimizer state are always resident; during the
forward pass the saved tensors accumulate while the tensors nobody saves live until
their last reader; the backward pass visits the layers in reverse, each one holding the
gradient of its output and producing those of its inputs, freeing a saved tensor after
the earliest layer that keeps it has run and an activation gradient after its producer
has run, while parameter gradients accumulate until the optimizer step.
Kernel temporaries (workspaces, scratch) come from `kernels`, at the thread count asked for.

Pure arithmetic: nothing here imports PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Literal

from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.features.training.kernels import optimizer_temporaries
from cnncalc.features.training.peak import Node as _Node
from cnncalc.features.training.peak import PeakTerm, Storage, lifetimes, replay
from cnncalc.features.training.saved import INDEX_BYTES, Step, forward, shape_text
from cnncalc.spec.model import Spec

Optimizer = Literal["sgd", "momentum", "adam", "adamw"]
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "adam", "adamw")

#: bytes of Adam's per-parameter `step` counter (a float32 scalar on CPU)
ADAM_STEP_BYTES = 4
DEVICES: tuple[str, ...] = ("cpu", "cuda")
#: CUDA's caching allocator: every block a multiple of 512 B; requests above 1 MiB come from
#: large segments, sized in multiples of 2 MiB
CUDA_BLOCK = 512
CUDA_SMALL_LIMIT = 1 << 20
CUDA_SEGMENT = 2 << 20


@dataclass(frozen=True)
class TrainingRow:
    """What one layer keeps for its backward pass.

    saved: descriptions of everything it keeps (a storage another layer kept first included);
    saved_bytes: the storages it is the first to keep, so that the rows sum to the total.
    """

    name: str
    kind: str
    saved: tuple[str, ...]
    saved_bytes: int


@dataclass(frozen=True)
class TrainingMemory:
    """Training memory of one step: the parts and the modelled peak, all in bytes.

    The peaks include the resident weights and optimizer state; `peak_terms` are the amounts
    live at the largest one (`peak_at`), which add up to it. On `device="cuda"` every figure
    of the replay is rounded as CUDA's caching allocator rounds, and `workspace_margin_bytes`
    (cuDNN's workspaces, not modelled) is added: an estimate, not a measurement.
    """

    optimizer: str
    batch: int
    rows: tuple[TrainingRow, ...]
    saved_bytes: int  # activations kept for backward, unique storages
    weight_bytes: int  # parameters and buffers (batch norm's running statistics)
    gradient_bytes: int  # one gradient per trained parameter (none for frozen ones)
    optimizer_bytes: int  # momentum buffer, Adam's two moments and step counters
    forward_peak_bytes: int
    backward_peak_bytes: int
    step_peak_bytes: int = 0  # the optimizer's step
    peak_at: str = ""
    peak_terms: tuple[PeakTerm, ...] = ()
    peak_work: str = ""  # the kernel temporaries at the peak, in words
    device: str = "cpu"
    workspace_margin_bytes: int = 0
    threads: int = 1  # PyTorch's intra-op threads on the CPU

    @property
    def peak_bytes(self) -> int:
        return max(self.forward_peak_bytes, self.backward_peak_bytes, self.step_peak_bytes)

    @property
    def estimate(self) -> bool:
        """Whether the peak is an estimate beyond what was checked against PyTorch's profiler (CUDA)."""
        return self.device != "cpu"


def training_memory(
    spec: Spec, report: Report, optimizer: str = "sgd", device: str = "cpu", threads: int = 1
) -> TrainingMemory:
    """Training memory of `spec` (analysed as `report`) under `optimizer`, on `device` (cpu or cuda),
    with `threads` intra-op threads (which kernel each convolution runs, and its scratch)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}")
    graph = build_graph(spec)
    per_element = report.dtype_bytes * report.batch
    kernel_threads = threads if device == "cpu" else 1  # on CUDA the margin stands for cuDNN's workspaces
    storages: dict[tuple[int, str], Storage] = {}
    nodes: list[_Node] = []
    rounding = cuda_block if device == "cuda" else _exact

    def new(i: int, tag: str, nbytes: int, what: str) -> tuple[int, str]:
        # a layer's output is named after the layer: other layers keep it too
        storages[(i, tag)] = Storage(
            (i, tag), rounding(nbytes), f"{graph.nodes[i].name} {what}" if tag in ("out", "act") else what
        )
        return (i, tag)

    # an output needs a gradient when the layer's weights are trained or an input needs one: before
    # the first trained layer nothing does, and those layers keep nothing for backward (as autograd)
    # (a layer that shares weights trains them as their owner's row says)
    requires_grad = [False]
    for i, node in enumerate(graph.nodes[1:], start=1):
        owner = i
        while graph.nodes[owner].shares is not None:
            owner = graph.nodes[owner].shares or 0
        trained = report.rows[owner].trainable_params > 0
        requires_grad.append(trained or any(requires_grad[j] for j in node.inputs))
    x0 = report.rows[0].output_shape
    nodes.append(_Node(new(0, "out", prod(x0) * per_element, shape_text(x0)), []))
    for i, node in enumerate(graph.nodes[1:], start=1):
        layer = node.layer
        assert layer is not None
        row = report.rows[i]
        ins = [nodes[j].out for j in node.inputs]
        shapes = [report.rows[j].output_shape for j in node.inputs]
        grad_in = bool(node.inputs) and requires_grad[node.inputs[0]]
        step = Step(
            layer,
            i,
            row.output_shape,
            ins,
            shapes,
            row.inplace,
            per_element,
            report,
            new,
            grad_in,
            kernel_threads,
            graph.trainable(i),
        )
        nodes.append(forward(step))
        if not requires_grad[i]:  # no gradient to compute: autograd records nothing
            nodes[-1].saved = []
        if node.shares is not None:  # the same module called again: its weights and buffers count once
            nodes[-1].param_tensors = nodes[-1].param_bytes = nodes[-1].buffer_bytes = nodes[-1].largest_tensor = 0
            nodes[-1].frozen_bytes = 0
        nodes[-1].grad_bytes = rounding(prod(row.output_shape) * per_element)
        nodes[-1].fwd_extra = rounding(nodes[-1].fwd_extra)
        nodes[-1].bwd_extra = rounding(nodes[-1].bwd_extra)

    rows: list[TrainingRow] = []
    kept: set[tuple[int, str]] = set()
    for i, n in enumerate(nodes[1:], start=1):
        first = [k for k in dict.fromkeys(n.saved) if k not in kept]
        kept.update(first)
        rows.append(
            TrainingRow(
                graph.nodes[i].name,
                report.rows[i].kind,
                tuple(storages[k].what for k in dict.fromkeys(n.saved)),
                sum(storages[k].nbytes for k in first),
            )
        )
    params = sum(n.param_bytes for n in nodes)
    tensors = sum(n.param_tensors for n in nodes)
    state = {"sgd": 0, "momentum": params, "adam": 2 * params + ADAM_STEP_BYTES * tensors}
    state["adamw"] = state["adam"]
    weights = params + sum(n.frozen_bytes + n.buffer_bytes for n in nodes)
    out = report.rows[-1].output_shape
    labels = rounding(report.batch * prod(out[1:]) * INDEX_BYTES)
    largest = max((n.largest_tensor for n in nodes), default=0)
    margin = 0
    if device == "cuda":  # cuDNN's workspaces replace oneDNN's: one stated margin instead
        margin = workspace_margin(nodes)
        for n in nodes:
            n.fwd_extra = n.bwd_extra = 0
    peak = replay(
        nodes,
        [list(g.inputs) for g in graph.nodes],
        storages,
        requires_grad,
        (labels, nodes[-1].grad_bytes),
        rounding(optimizer_temporaries(optimizer, largest)),
        [g.name for g in graph.nodes],
    )
    resident = weights + state[optimizer] + margin
    terms: tuple[PeakTerm, ...] = (
        PeakTerm("weights and buffers", weights),
        PeakTerm(f"optimizer state ({optimizer})", state[optimizer]),
    )
    if margin:
        terms += (PeakTerm("cuDNN workspace margin (estimate)", margin),)
    return TrainingMemory(
        optimizer=optimizer,
        batch=report.batch,
        rows=tuple(rows),
        saved_bytes=sum(storages[k].nbytes for k in kept),
        weight_bytes=weights,
        gradient_bytes=params,
        optimizer_bytes=state[optimizer],
        forward_peak_bytes=resident + peak.forward,
        backward_peak_bytes=resident + peak.backward,
        step_peak_bytes=resident + peak.step,
        peak_at=peak.at,
        peak_terms=terms + tuple(t for t in peak.terms if t.nbytes),
        peak_work=peak.work,
        device=device,
        workspace_margin_bytes=margin,
        threads=threads,
    )


def _exact(nbytes: int) -> int:
    return nbytes


def cuda_block(nbytes: int) -> int:
    """Bytes CUDA's caching allocator gives a request: a multiple of 512 B, and of its 2 MiB
    segments for a request above 1 MiB (a large block; what it reserves rather than what the
    tensor uses, so that the figure is what the device must have free)."""
    if nbytes <= 0:
        return 0
    unit = CUDA_SEGMENT if nbytes > CUDA_SMALL_LIMIT else CUDA_BLOCK
    return -(-nbytes // unit) * unit


def workspace_margin(nodes: Sequence[_Node]) -> int:
    """The stated margin for cuDNN's workspaces on CUDA: the largest workspace oneDNN needs on
    CPU for any one layer (cuDNN's algorithms are chosen at run time, their workspaces are not
    modelled), and at least one 2 MiB segment."""
    return max([CUDA_SEGMENT, *(max(n.fwd_extra, n.bwd_extra) for n in nodes)])


__all__ = [
    "DEVICES",
    "OPTIMIZERS",
    "PeakTerm",
    "Storage",
    "TrainingMemory",
    "TrainingRow",
    "lifetimes",
    "training_memory",
]
