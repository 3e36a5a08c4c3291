"""The spec: a network as validated data (pydantic), whatever it was written in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PrivateAttr,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from cnncalc.errors import Location
from cnncalc.layers import UNKNOWN_KIND, Layer, LayerBase, kind_class, layer_tag, tagged_layers
from cnncalc.layers.base import MAX_INT, Positive, Refs, Shape
from cnncalc.layers.registry import registry_version
from cnncalc.units import DTYPE_NAMES, Quantity, parse_bytes, parse_flops, parse_macs, parse_params, quantity_pattern

Layout = Literal["hwc", "chw"]
if TYPE_CHECKING:
    Dtype = str
else:
    Dtype = Literal[DTYPE_NAMES]  # one of cnncalc.units.DTYPES
Path = tuple[str | int, ...]


def to_channels_first(shape: Sequence[int], layout: Layout) -> Shape:
    """(H, W, C) -> (C, H, W) for HWC; CHW and flat shapes pass unchanged."""
    if layout == "hwc" and len(shape) > 1:
        return (shape[-1], *shape[:-1])
    return tuple(shape)


def from_channels_first(shape: Shape, layout: Layout) -> Shape:
    """(C, H, W) -> (H, W, C) for HWC, for display in the user's layout."""
    if layout == "hwc" and len(shape) > 1:
        return (*shape[1:], shape[0])
    return shape


def parse_dims(text: str) -> list[int]:
    """'224x224x3', '224 × 224 × 3', '(224, 224, 3)' -> [224, 224, 3]; ValueError if not dims."""
    cleaned = text.strip().strip("()[]")
    for sep in ("×", "*", ",", " "):
        cleaned = cleaned.replace(sep, "x")
    parts = [p for p in cleaned.lower().split("x") if p]
    # ASCII digits only: str.isdigit() also admits '٣' and '³', which int() reads or refuses
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        raise ValueError(f"expected dimensions such as 224x224x3, got {text!r}")
    return [int(p) for p in parts]


class InputSpec(BaseModel):
    """Shape of one input sample, in an explicit layout."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    shape: Annotated[list[Positive], Field(min_length=1, max_length=4)] = Field(
        description="One sample's shape: [H, W, C] for an image in HWC; 2 to 4 values "
        "(1, 2 or 3 spatial axes plus channels), or 1 value for a flat vector.",
        examples=[[224, 224, 3], [3, 224, 224], [1000, 1], [16, 112, 112, 3]],
    )
    layout: Layout = Field(
        default="hwc",
        description="Where the channels are: last (hwc, as the lecture tables write shapes) "
        "or first (chw, as PyTorch).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `input: 224x224x3` and `input: [224, 224, 3]` both mean HWC
        if isinstance(data, str):
            try:
                return {"shape": parse_dims(data)}
            except ValueError as e:
                raise ValueError(str(e)) from None
        if isinstance(data, list):
            return {"shape": data}
        if isinstance(data, int) and not isinstance(data, bool):
            return {"shape": [data]}
        return data

    def channels_first(self) -> Shape:
        return to_channels_first(self.shape, self.layout)


class Mark(Protocol):
    """A 0-based position as the YAML parser gives it (yaml.Mark)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


@dataclass
class SourceMap:
    """Where each value of a spec was written, by its path in the data.

    A position is a Location, or the YAML parser's own mark (0-based), kept as it is and
    made a Location only when asked for: a 20,000-layer spec has 100,000 positions.
    """

    source: str
    values: dict[Path, Location | Mark] = field(default_factory=dict)
    keys: dict[Path, Location | Mark] = field(default_factory=dict)
    #: writes the positions down when they are first needed (cnncalc.spec.yamllines): a reader
    #: that can find them again later need not record them for a spec that has no error
    complete: Callable[[], None] | None = None

    def filled(self) -> SourceMap:
        """This map with every position written down."""
        if self.complete is not None:
            complete, self.complete = self.complete, None
            complete()
        return self

    def locate(self, path: Sequence[str | int], key: bool = False) -> Location | None:
        """The position of `path`, or of its deepest ancestor that was written down."""
        self.filled()
        path = tuple(path)
        if key and path in self.keys:
            return self._location(self.keys[path])
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return self._location(found)
        return None

    def has_key(self, path: Sequence[str | int]) -> bool:
        """Whether the key at `path` was written in the source (not a default the reader filled in)."""
        self.filled()
        return tuple(path) in self.keys

    def _location(self, where: Location | Mark) -> Location:
        if isinstance(where, Location):
            return where
        return Location(self.source, where.line + 1, where.column + 1)


class BlockCall(BaseModel):
    """One or more instances of a block from `blocks:`, chained one after the other."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    block: str = Field(description="Name of a block defined under `blocks:`.", examples=["bottleneck"])
    name: str | None = Field(
        default=None, description="Prefix of the layer names inside (layer3 -> layer3.1.conv2).", max_length=200
    )
    id: str | None = Field(default=None, description="Handle for `from:`; the output of the last instance.")
    from_: Refs | None = Field(default=None, alias="from", description="Input of the first instance.")
    args: dict[str, Any] = Field(default_factory=dict, description="Values of the block's arguments.")
    first: dict[str, Any] = Field(
        default_factory=dict, description="Arguments that differ for the first instance (e.g. stride: 2)."
    )
    repeat: Positive = Field(default=1, description="Number of instances, each reading the one before.")
    shares: str | None = Field(
        default=None, description="Name of an earlier call of the same block whose weights these instances reuse."
    )
    when: bool = Field(default=True, description="false skips the call (its output is its input).")


def _item_tag(value: Any) -> str | None:
    has_block = (isinstance(value, dict) and "block" in value) or isinstance(value, BlockCall)
    return "BlockCall" if has_block else layer_tag(value)


def _item_class(value: Any) -> type[LayerBase] | type[BlockCall] | None:
    """The model that validates one item of `layers:`: a layer class by its kind, or BlockCall."""
    if _item_tag(value) == "BlockCall":
        return BlockCall
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    # the registry as it is now: a kind registered after this module was imported is found
    return kind_class(kind) if isinstance(kind, str) else None


def validate_item(value: Any) -> LayerBase | BlockCall:
    """One item of `layers:` (a dict or a model) as a validated layer or block call.

    Only the class the item's kind names is built (pydantic builds each class on first
    use), so that loading a spec of convs and pools never builds the other kinds.
    Raises ValidationError, whose items `cnncalc.spec.loader.validation_diagnostics` reads.
    """
    if isinstance(value, LayerBase | BlockCall):
        return value
    key = _item_key(value)
    if _VALIDATED and _VALIDATED_UNDER[0] != registry_version():
        _VALIDATED.clear()  # a kind was registered or forgotten: an item may mean something else now
    if key is not None and (found := _VALIDATED.get(key)) is not None:
        return found
    cls = _item_class(value)
    if cls is None:
        error = PydanticCustomError("unknown_kind", "unknown layer kind")
        raise ValidationError.from_exception_data("LayerItem", [{"type": error, "loc": (), "input": value}])
    item: LayerBase | BlockCall = cls.model_validate(value)
    if key is not None:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = item
        _VALIDATED_UNDER[0] = registry_version()
    return item


#: validated items by what was written: a generated spec repeats one layer thousands of times,
#: and a model is frozen and depends on its item alone, so equal items share one (bounded)
_VALIDATED: dict[tuple[tuple[tuple[str, Any], ...], tuple[type, ...]], LayerBase | BlockCall] = {}
_VALIDATED_MAX = 4096
_VALIDATED_UNDER = [0]  # the registry version the validated items were made under


def _item_key(value: Any) -> tuple[tuple[tuple[str, Any], ...], tuple[type, ...]] | None:
    """The item as a key, types included (`8`, `8.0` and `True` are equal in Python, not in a
    spec); None when a value is a list or mapping, which cannot be one."""
    if type(value) is not dict:
        return None
    key = (tuple(value.items()), tuple(map(type, value.values())))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _validate_in_spec(value: Any) -> LayerBase | BlockCall:
    # inside Spec's validation, one item's errors travel as one error whose ctx holds them
    try:
        return validate_item(value)
    except ValidationError as e:
        items = e.errors()
        if len(items) == 1 and items[0]["type"] == "unknown_kind":
            raise PydanticCustomError("unknown_kind", "unknown layer kind") from None
        raise PydanticCustomError("invalid_item", "invalid layer", {"errors": items}) from None


def _full_union() -> TypeAdapter[Any]:
    """Every registered layer class and BlockCall in one discriminated union: for the JSON Schema only.

    Built when asked, not cached, so that the schema names the kinds registered at that time.
    """
    union: Any = Annotated[
        Union[(*tagged_layers(), Annotated[BlockCall, Tag("BlockCall")])],
        Discriminator(_item_tag, custom_error_type="unknown_kind", custom_error_message="unknown layer kind"),
    ]
    return TypeAdapter(union)


class _LayerItemSchema:
    """How pydantic validates an item of `layers:` (validate_item) and describes it (the full union)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(_validate_in_spec)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(_full_union().core_schema)


if TYPE_CHECKING:
    LayerItem = LayerBase | BlockCall
else:
    LayerItem = Annotated[Any, _LayerItemSchema]


class BlockDef(BaseModel):
    """A reusable group of layers with arguments: `$name` or `${expression}` in its layers."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    description: str | None = Field(default=None, description="What the block is.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Argument names and defaults; null marks a required argument.",
        examples=[{"filters": None, "stride": 1, "project": False}],
    )
    layers: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)] = Field(
        description="The block's layers; `from: input` is the block's input."
    )
    output: str | None = Field(default=None, description="Id of the block's output; defaults to its last layer.")


def _limit_schema(kind: Quantity) -> dict[str, Any]:
    """What editors accept for a limit: an int, or a string with units (checked exactly by the loader)."""
    return {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": quantity_pattern(kind)}]}


def _shape_value(value: Any) -> Any:
    """`1000`, `7x7x512` or `[7, 7, 512]` -> a list of dims; anything else is left to pydantic."""
    if isinstance(value, str):
        return parse_dims(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return value


#: the shape strings `parse_dims` reads (224x224x3, (224, 224, 3), the multiplication sign), for JSON Schema
SHAPE_PATTERN = r"^\s*[(\[]?\s*[0-9]+(\s*[x×*, ]\s*[0-9]+)*\s*[)\]]?\s*$"

ParamsLimit = Annotated[int, BeforeValidator(parse_params), WithJsonSchema(_limit_schema("params"))]
MacsLimit = Annotated[int, BeforeValidator(parse_macs), WithJsonSchema(_limit_schema("macs"))]
FlopsLimit = Annotated[int, BeforeValidator(parse_flops), WithJsonSchema(_limit_schema("flops"))]
BytesLimit = Annotated[int, BeforeValidator(parse_bytes), WithJsonSchema(_limit_schema("bytes"))]
ShapeLimit = Annotated[
    tuple[Positive, ...],
    Field(min_length=1, max_length=4),
    BeforeValidator(_shape_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4},
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": SHAPE_PATTERN},
            ]
        }
    ),
]


def _limit(description: str, *examples: int | str) -> Any:
    """A budget field: optional (None is not checked), with its description and examples for the
    JSON Schema, written once for every limit."""
    return Field(default=None, description=description, examples=list(examples))


class Budgets(BaseModel):
    """Limits that `cnncalc check` holds a network to; each optional, each checked on its own.

    Counts and sizes are exact ints, or strings with units as people write them
    (`25M`, `4 GFLOPs`, `100 MiB`, `4.2e6`; see cnncalc.units).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    max_params: ParamsLimit | None = _limit(
        "Most parameters in total (trainable + non-trainable), e.g. to fit a download or a phone.",
        "25M",
        25_000_000,
        "4.2e6",
    )
    max_trainable_params: ParamsLimit | None = _limit("Most trainable parameters.", "25M")
    max_macs: MacsLimit | None = _limit(
        "Most multiply-accumulates of one forward pass (x batch): what papers call multiply-adds "
        "and torchvision calls GFLOPS.",
        "4G",
        "4 GMACs",
        4_000_000_000,
    )
    max_flops: FlopsLimit | None = _limit(
        "Most FLOPs of one forward pass (x batch): 2 x MACs plus element-wise work.", "8 GFLOPs", "8.4e9"
    )
    max_activation_memory: BytesLimit | None = _limit(
        "Most activation memory summed over layers (the slides' TOTAL memory), in bytes or with a "
        "unit (KB/MB/GB = 10^3/10^6/10^9, KiB/MiB/GiB = 2^10/2^20/2^30).",
        "100 MiB",
        "64MB",
        104_857_600,
    )
    max_peak_memory: BytesLimit | None = _limit(
        "Most live activation memory at any moment of one inference pass.", "32 MiB"
    )
    max_param_memory: BytesLimit | None = _limit("Most parameter memory (params x dtype bytes).", "100 MB")
    max_training_memory: BytesLimit | None = _limit(
        "Most training memory by cnncalc's estimate: 2 x activations + 4 x params (Adam).", "16 GiB"
    )
    max_layer_params: ParamsLimit | None = _limit("Most parameters in any one layer (the largest layer).", "10M")
    max_layer_macs: MacsLimit | None = _limit("Most MACs in any one layer (the costliest layer).", "1G")
    output_shape: ShapeLimit | None = Field(
        default=None,
        description="The output shape the network must produce, in the spec's layout.",
        examples=[[1000], "7x7x512", 10],
    )


class Spec(BaseModel):
    """A network: an input, a dtype, a batch and an ordered list of layers."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(default="network", description="Name of the network.", max_length=200, examples=["vgg16"])
    description: str | None = Field(default=None, description="Free text: source, paper, notes.")
    top1: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Published top-1 accuracy in percent (ImageNet unless the description says otherwise), "
        "quoted by `cnncalc compare`; cnncalc does not compute it.",
        examples=[69.758],
    )
    input: InputSpec = Field(description="Shape of one input sample.", examples=["224x224x3"])
    dtype: Dtype = Field(default="float32", description="Element type of activations and parameters.")
    batch: Positive = Field(default=1, description="Samples per forward pass; multiplies activations and MACs.")
    blocks: dict[str, BlockDef] = Field(default_factory=dict, description="Reusable blocks, by name.")
    layers: Annotated[list[LayerItem], Field(min_length=1, max_length=20_000)] = Field(
        description="Layers in execution order: each has a `kind` and its hyper-parameters, or calls a `block`."
    )
    budgets: Budgets | None = Field(
        default=None,
        description="Limits `cnncalc check` enforces: params, MACs, FLOPs, memory, per-layer maxima, output shape.",
        examples=[{"max_params": "25M", "max_macs": "4G", "max_peak_memory": "100 MiB"}],
    )

    _source: SourceMap | None = PrivateAttr(default=None)
    #: an imported model only: how its framework called each layer (layer name -> "module",
    #: "function" or "operator"), where the file says; the peer presets count by it
    _calls: dict[str, str] | None = PrivateAttr(default=None)

    def locate(self, path: Sequence[str | int], key: bool = False) -> Location | None:
        return self._source.locate(path, key) if self._source else None

    def states_layout(self) -> bool:
        """Whether the input's layout was written out (`{shape: [100, 4], layout: hwc}`, `100x4 hwc`)."""
        source = self._source
        if source is None or not (source.values or source.keys or source.complete):
            return "layout" in self.input.model_fields_set  # data a program built (an imported model)
        return source.has_key(("input", "layout"))

    def with_source(self, source: SourceMap) -> Spec:
        self._source = source
        return self

    def with_calls(self, calls: dict[str, str]) -> Spec:
        """This spec, knowing how the model it was imported from calls its layers."""
        self._calls = dict(calls)
        return self

    @property
    def imported_calls(self) -> dict[str, str] | None:
        """How the model this spec was imported from calls each layer; None for a written spec."""
        return self._calls


__all__ = [
    "MAX_INT",
    "UNKNOWN_KIND",
    "BlockCall",
    "BlockDef",
    "Budgets",
    "Dtype",
    "InputSpec",
    "Layer",
    "LayerItem",
    "Layout",
    "SourceMap",
    "Spec",
]
