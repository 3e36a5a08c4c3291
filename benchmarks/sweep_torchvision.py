"""Every CNN in torchvision exported to ONNX and imported by cnncalc, checked against torch.

    python benchmarks/sweep_torchvision.py [--models resnet18 ...] [--opsets 17] [--recipes train default]
                                           [--extra-opsets] [--transformers] [--keep DIR] [--size N]

Each model is built with `weights=None` (no download), exported with PyTorch's TorchScript
exporter (`dynamo=False`) two ways, imported, analysed, and compared:

- `train`: training mode without constant folding; every batch norm stays a node, so the
  import must count `sum(p.numel() for p in model.parameters())` exactly (a batch of two where
  PyTorch cannot run a batch norm in training mode on one sample: DeepLabV3's 1x1 pooling
  branch);
- `default`: the exporter's defaults (eval mode, constant folding), which fold each batch norm
  into the conv before it: expected are torch's params less each folded batch norm's scale and
  shift (2 x C), plus a bias of C for a conv that had none.

GFLOPS is the import's MACs / 1e9, to 3 decimals, against torchvision's own figure
(`weights.meta["_ops"]` of the model's default weights), at the input size of those weights'
transforms (crop size for classification, resize size for segmentation).

googlenet and inception_v3 are built without their auxiliary classifiers (as torchvision
ships the trained weights, whose figures leave them out); fcn_resnet50 and
deeplabv3_mobilenet_v3_large with theirs (`aux_loss=True`, as their weights and figures have
it), exported with both outputs.

`--extra-opsets` adds opsets 13 to 20 for the smallest model of each family; `--size N` exports
at N x N instead (params are checked, GFLOPS are n/a: torchvision's figure is at its own size);
`--keep DIR` keeps the exported files and reuses them; `--transformers` adds vit_b_16, swin_t
and maxvit_t, each of which must be refused. Prints a table (model, recipe,
opset, params ok, GFLOPS ok, seconds) and a summary line per recipe.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

CLASSIFICATION = [
    "alexnet",
    "vgg11",
    "vgg11_bn",
    "vgg16",
    "resnet18",
    "resnet50",
    "resnext50_32x4d",
    "wide_resnet50_2",
    "squeezenet1_0",
    "squeezenet1_1",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "googlenet",
    "inception_v3",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "mnasnet0_5",
    "mnasnet1_0",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_s",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
    "regnet_x_400mf",
    "regnet_x_8gf",
    "regnet_y_400mf",
    "regnet_y_8gf",
    "convnext_tiny",
    "convnext_small",
    "convnext_base",
    "convnext_large",
]
SEGMENTATION = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
MODELS = CLASSIFICATION + SEGMENTATION
TRANSFORMERS = ["vit_b_16", "swin_t", "maxvit_t"]
#: one model of each family (its smallest), exported at every opset from 13 to 20 with --extra-opsets
FAMILIES = [
    "alexnet",
    "vgg11_bn",
    "resnet18",
    "resnext50_32x4d",
    "squeezenet1_1",
    "densenet121",
    "googlenet",
    "inception_v3",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mnasnet0_5",
    "shufflenet_v2_x0_5",
    "efficientnet_b0",
    "efficientnet_v2_s",
    "regnet_x_400mf",
    "regnet_y_400mf",
    "convnext_tiny",
    "lraspp_mobilenet_v3_large",
]
EXTRA_OPSETS = {name: tuple(o for o in range(13, 21) if o != 17) for name in FAMILIES}


def import_torchvision() -> Any:
    """torchvision, also where its compiled ops do not load (a CUDA wheel beside a CPU torch):
    the models need none of them, only the two schemas its import registers fakes for."""
    try:
        import torchvision
    except RuntimeError as e:
        if "torchvision::nms" not in str(e):
            raise
        import torch

        lib = torch.library.Library("torchvision", "FRAGMENT")
        for op in ("nms", "qnms"):
            lib.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _KEEP.append(lib)
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        import torchvision
    return torchvision


_KEEP: list[Any] = []


def build(name: str) -> tuple[Any, int, float]:
    """The model (eval mode), the input size of its default weights, and their GFLOPS."""
    torchvision = import_torchvision()

    weights = torchvision.models.get_model_weights(name).DEFAULT
    kwargs: dict[str, Any] = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=False)
    if name in SEGMENTATION:  # with the auxiliary head where the weights have one: their figures count it
        kwargs.update(weights_backbone=None)
        if name != "lraspp_mobilenet_v3_large":
            kwargs.update(aux_loss=True)
    model = torchvision.models.get_model(name, **kwargs).eval()
    transforms = weights.transforms()
    size = getattr(transforms, "crop_size", None) or transforms.resize_size
    return model, int(size[0]), float(weights.meta["_ops"])


def folded_params(model: Any, size: int = 64) -> int:
    """torch's params with every batch norm that reads a conv's output folded into that conv
    (found by running the model once with hooks: the module order does not say what reads what)."""
    import torch
    from torch import nn

    made_by: dict[int, tuple[Any, Any]] = {}  # the output kept alive, so that its id stays its own
    folded: list[tuple[Any, Any]] = []

    def after_conv(module: Any, args: Any, out: Any) -> None:
        made_by[id(out)] = (module, out)

    def before_bn(module: Any, args: Any) -> None:
        conv = made_by.get(id(args[0]))
        if conv is not None:
            folded.append((conv[0], module))

    hooks = [m.register_forward_hook(after_conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_pre_hook(before_bn) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size))
    finally:
        for hook in hooks:
            hook.remove()
    total = int(sum(p.numel() for p in model.parameters()))
    for conv, bn in {id(b): (c, b) for c, b in folded}.values():
        total -= 2 * bn.num_features - (bn.num_features if conv.bias is None else 0)
    return total


class Wrapped:
    """A segmentation model's dict output as a tuple (what the exporter can write): the map, and
    the auxiliary head's where the model has one."""

    def __new__(cls, model: Any) -> Any:
        from torch import nn

        class Out(nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, x: Any) -> Any:
                out = self.model(x)
                return (out["out"], out["aux"]) if "aux" in out else out["out"]

        return Out().eval()


def export(model: Any, size: int, path: Path, recipe: str, opset: int) -> int:
    """Export one sample, or two where PyTorch cannot run a batch norm in training mode on one
    (a 1x1 map: DeepLabV3's pooling branch, Inception-v3 at a small size); returns the batch."""
    import torch

    options: dict[str, Any] = {"dynamo": False, "opset_version": opset}
    if recipe == "train":
        options.update(training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    for batch in (1, 2):
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(model, (torch.zeros(batch, 3, size, size),), str(path), **options)
            return batch
        except ValueError as e:
            if batch == 2 or "more than 1 value per channel" not in str(e):
                raise
    raise AssertionError("unreachable")


def prepare(name: str, recipe: str, opset: int, folder: Path, small: int | None = None) -> dict[str, Any]:
    """The model exported into `folder` (kept there: a second run reuses the file) and what it
    must come out with, saved beside it as JSON. `small`: exported at that size instead, where
    torchvision's GFLOPS do not apply."""
    stem = folder / (f"{name}-{recipe}-{opset}" + (f"-{small}" if small else ""))
    path, meta = stem.with_suffix(".onnx"), stem.with_suffix(".json")
    if path.exists() and meta.exists():
        found: dict[str, Any] = json.loads(meta.read_text())
        return found
    model, size, published = build(name)
    gflops: float | None = published
    if small:
        size, gflops = small, None
    torch_params = sum(p.numel() for p in model.parameters())
    wanted = torch_params if recipe == "train" or name in TRANSFORMERS else folded_params(model, size)
    if name in SEGMENTATION:
        model = Wrapped(model)
    row: dict[str, Any] = {"size": size, "wanted": wanted, "wanted_gflops": gflops}
    try:
        row["batch"] = export(model, size, path, recipe, opset)
    except Exception as e:
        path.unlink(missing_ok=True)
        row.update(error=f"export: {type(e).__name__}: {str(e)[:120]}")
    row["path"] = str(path)
    meta.write_text(json.dumps(row))
    return row


def check(name: str, recipe: str, opset: int, folder: Path, export_only: bool, small: int | None) -> dict[str, Any]:
    from cnncalc.core.walk import analyze
    from cnncalc.errors import CnncalcError
    from cnncalc.features.interop import load_model_spec

    start = time.perf_counter()
    row: dict[str, Any] = {"model": name, "recipe": recipe, "opset": opset}
    row.update(prepare(name, recipe, opset, folder, small))
    if "error" in row or export_only:
        return row
    try:
        report = analyze(load_model_spec(Path(row.get("path", folder / f"{name}-{recipe}-{opset}.onnx"))))
    except CnncalcError as e:
        row.update(error=f"import: {str(e).splitlines()[0][:200]}")
        return row
    params, macs = report.totals.params, report.totals.macs // row.get("batch", 1)  # per sample
    row.update(
        params=params,
        params_ok=params == row["wanted"],
        gflops=round(macs / 1e9, 3),
        gflops_ok=None if row["wanted_gflops"] is None else round(macs / 1e9, 3) == row["wanted_gflops"],
        seconds=time.perf_counter() - start,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--opsets", nargs="*", type=int, default=[17])
    parser.add_argument("--recipes", nargs="*", default=["train", "default"])
    parser.add_argument("--extra-opsets", action="store_true", help="opsets 13 to 20 for one model of each family")
    parser.add_argument("--transformers", action="store_true", help="the transformers too (each must be refused)")
    parser.add_argument("--keep", type=Path, help="keep the exported files here and reuse them")
    parser.add_argument("--export-only", action="store_true", help="only export (into --keep)")
    parser.add_argument("--size", type=int, help="export at this input size (params only: GFLOPS are n/a)")
    args = parser.parse_args()
    if args.transformers:
        args.models = [*args.models, *TRANSFORMERS]
    runs = [(m, r, o) for m in args.models for r in args.recipes for o in args.opsets]
    if args.extra_opsets:
        runs += [(m, r, o) for m in args.models for o in EXTRA_OPSETS.get(m, ()) for r in args.recipes]
    rows = []
    print(f"{'model':<30} {'recipe':<8} {'opset':>5} {'params ok':>9} {'GFLOPS ok':>9} {'time':>6}  detail")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name, recipe, opset in runs:
            row = check(name, recipe, opset, folder, args.export_only, args.size)
            rows.append(row)
            if args.export_only:
                print(f"{name:<30} {recipe:<8} {opset:>5} {row.get('error', 'exported')}", flush=True)
                continue
            if "error" in row:
                print(f"{name:<30} {recipe:<8} {opset:>5} {'-':>9} {'-':>9} {'-':>6}  {row['error']}", flush=True)
            else:
                detail = ""
                if not row["params_ok"]:
                    detail += f"params {row['params']:,} != {row['wanted']:,}; "
                if row["gflops_ok"] is False:
                    detail += f"GFLOPS {row['gflops']} != {row['wanted_gflops']} (at {row['size']}); "
                ok = ("yes" if row["params_ok"] else "NO", {True: "yes", False: "NO", None: "n/a"}[row["gflops_ok"]])
                print(
                    f"{name:<30} {recipe:<8} {opset:>5} {ok[0]:>9} {ok[1]:>9} {row['seconds']:>6.1f}  {detail}",
                    flush=True,
                )
            gc.collect()
    for recipe in args.recipes:
        for opset in sorted({r["opset"] for r in rows}):
            mine = [r for r in rows if r["recipe"] == recipe and r["opset"] == opset]
            if not mine:
                continue
            imported = [r for r in mine if "error" not in r]
            exact = [r for r in imported if r["params_ok"] and r["gflops_ok"] is not False]
            print(
                f"summary {recipe} opset {opset}: {len(imported)} of {len(mine)} import, "
                f"{len(exact)} of {len(mine)} exact (params and GFLOPS), "
                f"{sum(r['params_ok'] for r in imported)} params ok, "
                f"{sum(r['gflops_ok'] is True for r in imported)} GFLOPS ok"
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
