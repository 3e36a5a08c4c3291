"""The peak of one training step, replayed as PyTorch's allocator sees it.

A step after the first (the optimizer's state exists; `zero_grad(set_to_none=True)` freed the
gradients): the batch and its labels are made, the forward pass runs, the cross-entropy loss,
the backward pass, the optimizer's step. Memory is the resident weights, buffers and optimizer
state plus every storage the step has made and not yet freed; the peak is its largest value
at any moment, each layer's kernel temporaries included (see `kernels`).

- Forward: a layer makes its storages (output, what it keeps for backward) and holds its
  temporaries for a moment; a storage nobody keeps is freed after its last reader, one kept
  for backward stays until the earliest layer that keeps it has run backward. The batch and
  the network's output stay until the step ends (the training loop holds them).
- Loss: cross-entropy over the output's channels keeps its log-softmax (output-sized) and
  reads int64 labels, one per output position; its backward holds two output-sized gradients
  for a moment and hands one on.
- Backward, layers in reverse: a layer holds its output's gradient, allocates the gradients of
  its inputs and of its parameters, and its temporaries. Add, concat and flatten allocate
  nothing: the gradient they hand on is their output's own storage (or a view of it). A
  gradient arriving where one is already waiting (a tensor read twice: a residual, a skip) is
  added in place into whichever of the two is held only there, else into a new tensor, as
  autograd's InputBuffer does. After the layer, its output's gradient and the storages whose
  last keeper it was are freed; parameter gradients stay for the optimizer.
- Step: every parameter gradient, plus the optimizer's temporaries.

Every amount at the moment of the peak is kept with its name (`PeakTerm`), so that the figure
can be explained term by term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: the gradient an input receives: "new" (the layer allocates it), "alias" (its output's gradient, handed on)
Route = str


@dataclass(frozen=True)
class Storage:
    """One tensor's memory: its size and what it is."""

    key: tuple[int, str]
    nbytes: int
    what: str


@dataclass
class Node:
    """One layer's part in the step, as storages and bytes."""

    out: tuple[int, str]  # key of the storage its output lives in
    saved: list[tuple[int, str]]
    param_tensors: int = 0  # trained parameter tensors (each has a gradient and optimizer state)
    param_bytes: int = 0  # bytes of the trained parameters (as many again for their gradients)
    frozen_bytes: int = 0  # bytes of frozen parameters (`trainable: false`): resident, no gradient
    buffer_bytes: int = 0
    grad_bytes: int = 0  # its output's gradient
    largest_tensor: int = 0  # its largest parameter tensor (Adam's temporaries)
    fwd_extra: int = 0  # kernel temporaries of its forward, beyond the storages it makes
    bwd_extra: int = 0  # kernel temporaries of its backward, beyond the gradients it makes
    work: str = ""  # the kernel's buffers, in words
    routes: tuple[Route, ...] = ()  # per input: "new" or "alias" (default: "new" for each)


@dataclass(frozen=True)
class PeakTerm:
    """One amount live at the peak."""

    name: str
    nbytes: int


@dataclass(frozen=True)
class Peak:
    """The step's peaks by phase (activation side: without weights and optimizer state), and where
    the largest one happens, with the amounts live then."""

    forward: int
    backward: int
    step: int
    at: str  # the moment of the largest
    terms: tuple[PeakTerm, ...]
    work: str = ""  # the kernel temporaries at that moment, in words


@dataclass
class _Moment:
    """The live amounts at one moment, and the largest moment so far."""

    kept: int = 0
    other: int = 0
    act_grads: int = 0
    param_grads: int = 0
    best: int = -1
    at: str = ""
    terms: tuple[PeakTerm, ...] = ()
    work: str = ""
    phase: dict[str, int] = field(default_factory=lambda: {"forward": 0, "backward": 0, "step": 0})

    def see(self, phase: str, at: str, new: int, work: int, work_name: str) -> None:
        total = self.kept + self.other + self.act_grads + self.param_grads + new + work
        self.phase[phase] = max(self.phase[phase], total)
        if total > self.best:
            self.best, self.at, self.work = total, at, work_name if work else ""
            self.terms = (
                PeakTerm("activations kept for backward", self.kept),
                PeakTerm("other activations (batch, labels, outputs in flight)", self.other),
                PeakTerm("activation gradients", self.act_grads),
                PeakTerm("parameter gradients", self.param_grads),
                PeakTerm("tensors being made (outputs, gradients)", new),
                PeakTerm("kernel temporaries", work),
            )


def lifetimes(
    nodes: Sequence[Node], inputs: Sequence[Sequence[int]]
) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], int], dict[tuple[int, str], int]]:
    """Per storage: the earliest layer that saves it for backward, the last layer that reads it
    (the network's output: past the end, the loss reads it) and the layer that makes it."""
    n = len(nodes)
    saved_by: dict[tuple[int, str], int] = {}
    last_read: dict[tuple[int, str], int] = {}
    for i, node in enumerate(nodes):
        for k in node.saved:
            saved_by.setdefault(k, i)
        for j in inputs[i]:
            last_read[nodes[j].out] = max(last_read.get(nodes[j].out, 0), i)
    last_read[nodes[-1].out] = n
    created: dict[tuple[int, str], int] = {}
    for i, node in enumerate(nodes):
        for k in (node.out, *node.saved):
            created.setdefault(k, i)
    return saved_by, last_read, created


class _Gradients:
    """Activation gradients by storage, with the number of buffers holding each."""

    def __init__(self, moment: _Moment) -> None:
        self.moment = moment
        self.size: dict[int, int] = {}
        self.refs: dict[int, int] = {}
        self.buffer: dict[int, int] = {}  # node -> the gradient storage waiting for it
        self.next = 0

    def new(self, nbytes: int) -> int:
        self.next += 1
        self.size[self.next], self.refs[self.next] = nbytes, 1
        self.moment.act_grads += nbytes
        return self.next

    def release(self, sid: int) -> None:
        self.refs[sid] -= 1
        if self.refs[sid] == 0:
            self.moment.act_grads -= self.size.pop(sid)
            del self.refs[sid]

    def arrive(self, node: int, sid: int, nbytes: int) -> None:
        """Gradient `sid` (one reference, taken over) arrives for `node`'s output."""
        old = self.buffer.get(node)
        if old is None:
            self.buffer[node] = sid
        elif self.refs[old] == 1:  # added in place into the waiting one
            self.release(sid)
        elif self.refs[sid] == 1:  # into the arriving one
            self.buffer[node] = sid
            self.release(old)
        else:  # both shared: a new tensor
            self.buffer[node] = self.new(nbytes)
            self.release(old)
            self.release(sid)


def replay(
    nodes: Sequence[Node],
    inputs: Sequence[Sequence[int]],
    storages: dict[tuple[int, str], Storage],
    requires_grad: Sequence[bool],
    loss: tuple[int, int],
    step_extra: int,
    names: Sequence[str] = (),
) -> Peak:
    """The step's peaks, activation side. `loss`: (bytes of the labels, bytes of the output);
    `step_extra`: the optimizer's temporaries; `names`: the layers' names, for `Peak.at`."""
    n = len(nodes)
    label = list(names) or [f"layer {i}" for i in range(n)]
    saved_by, last_read, created = lifetimes(nodes, inputs)
    made: list[list[tuple[int, str]]] = [[] for _ in range(n)]
    for k, i in created.items():
        if k in storages:
            made[i].append(k)
    ends: list[list[tuple[int, str]]] = [[] for _ in range(n)]
    held = {nodes[0].out, nodes[-1].out}  # the batch and the output: the loop holds them
    for k in storages:
        if k not in saved_by and k not in held and k in created:
            end = max(last_read.get(k, created[k]), created[k])
            if end < n:
                ends[end].append(k)
    m = _Moment()

    def add(k: tuple[int, str], sign: int) -> None:
        if k in saved_by:
            m.kept += sign * storages[k].nbytes
        else:
            m.other += sign * storages[k].nbytes

    for k in made[0]:
        add(k, 1)
    labels, output = loss
    for i in range(1, n):
        node = nodes[i]
        new = sum(storages[k].nbytes for k in made[i])
        m.see("forward", f"forward of {label[i]}", new, node.fwd_extra, node.work)
        for k in made[i]:
            add(k, 1)
        for k in ends[i]:
            add(k, -1)
    # the loss: labels made, log-softmax kept; its backward holds two output-sized gradients
    m.other += labels
    m.see("forward", "loss", output, 0, "")
    m.kept += output
    m.see("backward", "loss backward", 2 * output, 0, "")
    m.kept -= output
    grads = _Gradients(m)
    grads.arrive(n - 1, grads.new(output), output)
    keepers: list[list[tuple[int, str]]] = [[] for _ in range(n)]
    for k, i in saved_by.items():
        if k not in held:
            keepers[i].append(k)
    for t in range(n - 1, 0, -1):
        node = nodes[t]
        sid = grads.buffer.pop(t, None)
        routes = node.routes or ("new",) * len(inputs[t])
        wanted = [(j, r) for j, r in zip(inputs[t], routes, strict=True) if requires_grad[j]]
        fresh = sum(nodes[j].grad_bytes for j, r in wanted if r == "new")
        if sid is not None:
            m.see("backward", f"backward of {label[t]}", fresh + node.param_bytes, node.bwd_extra, node.work)
            m.param_grads += node.param_bytes
            for j, r in wanted:
                if r == "new":
                    grads.arrive(j, grads.new(nodes[j].grad_bytes), nodes[j].grad_bytes)
                else:
                    grads.refs[sid] += 1
                    grads.arrive(j, sid, nodes[j].grad_bytes)
            grads.release(sid)
        for k in keepers[t]:
            add(k, -1)
    for sid in list(grads.buffer.values()):
        grads.release(sid)
    m.see("step", "optimizer step", 0, step_extra, "optimizer" if step_extra else "")
    return Peak(m.phase["forward"], m.phase["backward"], m.phase["step"], m.at, m.terms, m.work)


__all__ = ["Node", "Peak", "PeakTerm", "Storage", "lifetimes", "replay"]
