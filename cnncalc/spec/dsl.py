"""The one-line DSL: a network as the lecture tables write it, parsed into spec data.

`parse_dsl` turns the string into the same plain dict a YAML spec gives, and a SourceMap
that points every layer and field at its column, so validation and shape errors read
`<dsl>:1:COL: error: ...` exactly as they do for a file. `load_dsl` validates it.

This module is the DSL's face: the grammar below, and the two calls. The work is done in
four steps, one module each: `dsl_lexer` (located pieces, numbers, and every bound below),
`dsl_words` (what a word, option or activation name means), `dsl_parser` (the grammar of an
item) and `dsl_expand` (a parsed item as spec layers, repeats expanded).

Grammar
-------
Items are separated by `|`. Layer words and option keys are case-insensitive, and `_`
in them is ignored (`Max_Pool3/2` = `maxpool3/2`).

- Input (the first item): `224x224x3` is HWC, channels last, as the lecture tables
  write it; a layout word may follow: `3x224x224 chw`. 1 to 3 spatial dims then the
  channels (`1000x1` is a 1-D spectrum, `16x112x112x3` a clip), or one number for a
  flat vector (`4096`). `224 x 224 x 3`, `(224, 224, 3)` and `28×28×1` work too.
  Options: `name=vgg16`, `batch=8`, `dtype=float16`.
- A layer item: `[N x ][NAME:]WORD [OPTION ...]`.
  - `2x conv3-64` or `2* conv3-64` repeats the layer (1 to 10,000 times).
  - `CONV1:conv5-8` names the layer (put a space after the repeat: `2x CONV:conv3-64`).
    A repeated name is numbered: `2x conv1:conv3-64` gives conv1_1, conv1_2 (Caffe's VGG
    names), `2x block1_conv:conv3-64` gives block1_conv1, block1_conv2 (Keras's).
  - Options are `key=value` (no spaces around `=`) or bare flags, separated by spaces.
    Long keys work too: `stride=`, `padding=`, `dilation=`, `groups=`, `activation=`.
- Convolutions; `<k>` is `3`, or one size per axis: `3x5`.
  - `conv<k>-<filters>`, also `conv3x3-64`: stride 1 and padding **same** (VGG's
    "conv3-64" keeps the size). Options: `s=2` stride, `p=` padding (`same`, `valid`,
    `0` for none, `1`, one per axis `1x2`, before/after pairs `0/1x0/1`), `d=2`
    dilation, `g=2` groups, `act=relu` fused activation, `nobias`.
    Per-axis values are written `2x1` or `2,1`.
  - `dwconv<k>` depthwise (padding same; `s= p= d= m=` multiplier, `act= nobias`).
  - `sepconv<k>-<filters>` separable (padding same; `s= p= d= m= act= nobias`).
  - `deconv<k>-<filters>` transposed (padding same; `s= p= d= g= op=` output padding,
    `act= nobias`).
  - `lc<k>-<filters>` locally connected (padding **0**, as Keras; `s= p= d= act= nobias`).
- Pools: `maxpool` (kernel 2, stride = kernel), `maxpool3` (kernel 3), `maxpool3/2`
  (kernel 3, stride 2), `maxpool2x2`; options `s= p= d=` and the flag `ceil`. The same
  for `avgpool`, `sumpool`, `l2pool`. Global: `gap` / `globalavgpool`, `gmp` /
  `globalmaxpool`, flag `keepdims`.
- Dense: `fc-4096`, `fc4096`, `dense-4096`, `linear-4096`; options `act=`, `nobias`.
- Activations by name: `relu`, `relu6`, `leakyrelu` / `leaky_relu` / `leaky-relu`
  (`slope=0.2`), `elu`, `selu`, `gelu`, `sigmoid`, `tanh`, `softmax`, `swish` / `silu`,
  `hardswish`, `hardsigmoid`, `softplus`. (`linear` is the dense layer, as `kind: linear`
  is in a YAML spec; `act=linear` is the identity.)
- `dropout`, `dropout-0.3` (the rate); `bn` / `batchnorm` (`eps=`, `noaffine`); `lrn`,
  `lrn5` (the size; `alpha= beta= k=`); `flatten`.

Example (VGG-16, 138,357,544 params):
`224x224x3 | 2x conv3-64 | maxpool | 2x conv3-128 | maxpool | 3x conv3-256 | maxpool |
3x conv3-512 | maxpool | 3x conv3-512 | maxpool | fc-4096 | fc-4096 | fc-1000 | softmax`

Hostile input is refused in bounded time: more than 100,000 characters, a repeat count
above 10,000, a number of more than 9 digits, or more layers than a spec may hold. The
errors of every item are reported together, each at its own column.
"""

from __future__ import annotations

from typing import Any

from cnncalc.errors import Location, SpecError
from cnncalc.spec.dsl_lexer import MAX_DSL_CHARS
from cnncalc.spec.dsl_parser import Parser
from cnncalc.spec.loader import validate_spec
from cnncalc.spec.model import SourceMap, Spec


def parse_dsl(text: str, source: str = "<dsl>") -> tuple[dict[str, Any], SourceMap]:
    """DSL string -> the plain data a YAML spec gives, and where each value was written.

    `yaml.safe_dump(data, sort_keys=False)` is a valid spec file. Raises SpecError, with
    every item's problem located at its column, for anything that does not parse.
    """
    if not isinstance(text, str):
        raise SpecError.single(f"a DSL spec is text, got {type(text).__name__}", Location(source, 1, 1))
    if len(text) > MAX_DSL_CHARS:
        raise SpecError.single(
            f"DSL string is {len(text):,} characters; the limit is {MAX_DSL_CHARS:,}",
            Location(source, 1, 1),
            hint="write a network this large as a YAML spec",
        )
    return Parser(text, source).parse()


def load_dsl(text: str, source: str = "<dsl>") -> Spec:
    """Parse and validate a DSL string into a Spec; every error carries `<dsl>:1:COL`."""
    data, source_map = parse_dsl(text, source)
    return validate_spec(data, source_map)


__all__ = ["load_dsl", "parse_dsl"]
