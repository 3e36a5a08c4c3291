"""What a trainer must hear before trusting training figures: configurations PyTorch refuses, and
layers that train differently at batch 1.

Batch norm in train mode normalises each channel over the batch and the positions; with one
value per channel (batch 1 after a global pooling, or on a vector) PyTorch stops with
"Expected more than 1 value per channel when training" (torch.nn.functional.batch_norm,
`_verify_batch_size`): there are no figures to give for a step that never runs, so it is
refused. At batch 1, batch norm's statistics come from one sample and dropout's noise is not
averaged over a batch: the figures hold, and a warning says what the step trains with.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from cnncalc.core.graph import build_graph
from cnncalc.core.report import Report
from cnncalc.features.training.saved import TrainingError
from cnncalc.layers.elementwise import BatchNorm, Dropout
from cnncalc.spec.model import Spec

#: PyTorch's words when it refuses the step
PYTORCH_REFUSAL = "Expected more than 1 value per channel when training"


@dataclass(frozen=True)
class Trainability:
    """Layers PyTorch refuses to train at this batch and input size, and warnings for the rest."""

    refused: tuple[str, ...]  # one message per batch norm with one value per channel
    warnings: tuple[str, ...]

    def raise_refused(self) -> None:
        """Stop with exit 2 when a layer cannot train (see `refused`)."""
        if self.refused:
            raise TrainingError.single(
                "; ".join(self.refused),
                hint="train with a batch of 2 or more, or normalise before the input is pooled to one value",
            )


def trainability(spec: Spec, report: Report) -> Trainability:
    """Batch norms with one value per channel at `report`'s batch; batch norm and dropout at batch 1."""
    graph = build_graph(spec)
    refused: list[str] = []
    norms: list[str] = []
    dropouts: list[str] = []
    for node, row in zip(graph.nodes[1:], report.rows[1:], strict=True):
        if isinstance(node.layer, BatchNorm):
            norms.append(row.name)
            values = report.batch * prod(row.input_shape[1:])
            if values == 1:
                refused.append(
                    f"layer '{row.name}' (batch_norm) has one value per channel in train mode (batch "
                    f"{report.batch}, input {'x'.join(map(str, row.input_shape))}): PyTorch refuses to train it "
                    f'("{PYTORCH_REFUSAL}")'
                )
        elif isinstance(node.layer, Dropout):
            dropouts.append(row.name)
    warnings: list[str] = []
    if report.batch == 1:
        if norms:
            warnings.append(
                f"batch 1: batch norm ({_names(norms)}) normalises by the statistics of one sample, and its "
                "running statistics follow one sample a step"
            )
        if dropouts:
            warnings.append(
                f"batch 1: dropout ({_names(dropouts)}) draws one mask a step, and each step's gradient comes "
                "from one sample under it"
            )
    return Trainability(tuple(refused), tuple(warnings))


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


__all__ = ["PYTORCH_REFUSAL", "Trainability", "trainability"]
