"""ZeroPadding and Cropping: folded into the next conv's or pool's own padding where it can take it.

A model's layer counts stay those people quote (a ZeroPadding before a conv is the conv's
padding); a padding another layer reads, or one the reader cannot take, is written as a `pad`
layer, once, and a crop after a padding leaves what remains of it.
"""

from __future__ import annotations

from typing import Any

from cnncalc.features.interop.keras.config import Fields, one_value
from cnncalc.features.interop.keras.state import Call, ImporterBase, Padding
from cnncalc.layers.pool import pool_padding_fits


class Paddings(ImporterBase):
    """Paddings and crops, and the window of a conv or pool, which takes a padding before it."""

    def zero_padding(self, fields: Fields, rank: int, key: str = "padding") -> list[list[int]]:
        """[before, after] per spatial axis of a ZeroPadding's `padding` (or a Cropping's `cropping`)."""
        padding = fields.get(key, 1)
        if not isinstance(padding, list):
            return [[fields.whole(key, padding, 0)] * 2] * rank
        if rank == 1 and len(padding) == 2 and not any(isinstance(p, list) for p in padding):
            padding = [padding]  # the 1D layers take one (before, after) pair
        if len(padding) != rank:
            raise fields.error(key, padding, f"{rank} paddings, one per spatial axis")
        pairs: list[list[int]] = []
        for p in padding:
            if isinstance(p, list):
                if len(p) != 2:
                    raise fields.error(key, padding, "a [before, after] pair per spatial axis")
                pairs.append([fields.whole(key, p[0], 0), fields.whole(key, p[1], 0)])
            else:
                pairs.append([fields.whole(key, p, 0)] * 2)
        return pairs

    def write_padding(self, tensor: str) -> None:
        """The padding of `tensor` as a `pad` layer (written once for all the names it goes by),
        for a reader that cannot take it as its own padding."""
        padding = self.pads.pop(tensor)
        padding.read = True
        if padding.made is not None:
            self.writer.tensors[tensor] = padding.made
            return
        pairs = padding.pairs
        symmetric = all(pair == pairs[0] for pair in pairs) and pairs[0][0] == pairs[0][1]
        spec = {"kind": "pad", "padding": pairs[0][0] if symmetric else pairs}
        self.add(spec, [padding.source], tensor, padding.name, padding.owner)
        padding.made = self.writer.tensors[tensor]

    def cropping(self, item: Call, rank: int) -> None:
        """A Cropping layer: a `crop`, or, after a ZeroPadding, what remains of the padding.

        A padding then a crop that leaves every side padded or unchanged is a smaller padding
        for the next conv or pool; one that leaves every side cropped is a crop of the unpadded
        map; one that pads a side and crops another (NASNet's shift by a pixel) is the padding
        as a `pad` layer, then the crop of the padded map.
        """
        fields, source, out = item.fields, item.inputs[0], item.out
        if rank == 0:
            raise self.unsupported(fields.cls, fields.name, "it reads a vector (no spatial axes)")
        cut = self.zero_padding(fields, rank, "cropping")
        padding = self.pads.get(source)
        pads = padding.pairs if padding is not None else [[0, 0]] * rank
        net = [[p - c for p, c in zip(pair, crop, strict=True)] for pair, crop in zip(pads, cut, strict=True)]
        values = [v for pair in net for v in pair]
        if padding is not None and all(v >= 0 for v in values):
            self.same(out, source)
            self.pads.pop(out, None)
            if any(values):
                self.pads[out] = Padding(padding.source, net, fields.name, f"{item.scope.owners}{fields.name}#1")
            padding.read = True
            return
        if any(v > 0 for v in values):  # the padding is a layer of its own; the crop cuts the padded map
            self.write_padding(source)
            net = [[-a, -b] for a, b in cut]
        elif padding is not None:
            padding.read = True
        crop = [[-a, -b] for a, b in net]
        symmetric = all(pair == crop[0] for pair in crop) and crop[0][0] == crop[0][1]
        spec = {"kind": "crop", "crop": crop[0][0] if symmetric else crop}
        self.add(spec, [source], out, fields.name, f"{item.scope.owners}{fields.name}#1")
        self.rank[out] = rank

    def window(self, fields: Fields, source: str, rank: int, kernel_key: str) -> dict[str, Any]:
        """kernel, stride, padding and dilation of a conv or pooling, with a ZeroPadding before folded in."""
        cls, name = fields.cls, fields.name
        kernel = fields.integers(kernel_key, rank)
        stride_value = fields.get("strides", 1)
        if stride_value is None:  # a pooling's stride defaults to its window; a conv has no such default
            if kernel_key != "pool_size":
                raise fields.error("strides", stride_value, "a whole number or one per spatial axis")
            stride_value = kernel
        strides = fields.per_axis("strides", stride_value, rank)
        padding_mode = fields.text("padding", "valid").lower()
        result: dict[str, Any] = {"kernel": one_value(kernel), "stride": one_value(strides)}
        padding = self.pads.get(source)
        extra = padding.pairs if padding is not None else None
        too_much = kernel_key == "pool_size" and extra and not pool_padding_fits([(p[0], p[1]) for p in extra], kernel)
        if padding is not None and (padding_mode == "same" or too_much):  # the layer cannot take it as its own
            self.write_padding(source)
            extra = None
        elif padding is not None:
            padding.read = True
        if padding_mode == "same":
            result["padding"] = "same"
        elif padding_mode != "valid":
            raise self.unsupported(cls, name, f"padding='{padding_mode[:40]}'")
        elif extra:
            result["padding"] = (
                extra[0][0] if all(p == extra[0] for p in extra) and extra[0][0] == extra[0][1] else extra
            )
        dilation = fields.integers("dilation_rate", rank, 1)
        if any(d != 1 for d in dilation):
            result["dilation"] = one_value(dilation)
        return result
