"""Names read from a spec turned into Python identifiers the generated code can use safely.

A spec's names are text a user wrote (or a model file held): `export --to pytorch` must never
paste them into code. Python reads identifiers after NFKC normalisation, so a fullwidth `x` (U+FF58) *is* `x`
and two attributes the spec keeps apart would silently become one; a name can be a keyword, a
builtin the generated code calls (`float`), or an nn.Module member (`forward`, `to`,
`_modules`) that an attribute would shadow. `python_identifier` is the one place that turns a
name into an identifier; the original name goes into the code only through `python_literal`,
as an ASCII string literal or a comment that cannot end a line early or close a docstring.

PyTorch is not imported (it is an optional test oracle), so nn.Module's members are listed
here; tests/features/interop/test_export_names.py checks the list against the installed torch.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable

#: every attribute and method of a fresh `torch.nn.Module()` (class and instance), torch 2.x;
#: a layer attribute named like one of them would shadow it (or be refused by nn.Module)
NN_MODULE_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "T_destination",
        "__annotations__",
        "__call__",
        "__class__",
        "__delattr__",
        "__dict__",
        "__dir__",
        "__doc__",
        "__eq__",
        "__format__",
        "__ge__",
        "__getattr__",
        "__getattribute__",
        "__getstate__",
        "__gt__",
        "__hash__",
        "__init__",
        "__init_subclass__",
        "__le__",
        "__lt__",
        "__module__",
        "__ne__",
        "__new__",
        "__reduce__",
        "__reduce_ex__",
        "__repr__",
        "__setattr__",
        "__setstate__",
        "__sizeof__",
        "__str__",
        "__subclasshook__",
        "__weakref__",
        "_apply",
        "_backward_hooks",
        "_backward_pre_hooks",
        "_buffers",
        "_call_impl",
        "_compiled_call_impl",
        "_forward_hooks",
        "_forward_hooks_always_called",
        "_forward_hooks_with_kwargs",
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_get_backward_hooks",
        "_get_backward_pre_hooks",
        "_get_name",
        "_is_full_backward_hook",
        "_load_from_state_dict",
        "_load_state_dict_post_hooks",
        "_load_state_dict_pre_hooks",
        "_maybe_warn_non_full_backward_hook",
        "_modules",
        "_named_members",
        "_non_persistent_buffers_set",
        "_parameters",
        "_register_load_state_dict_pre_hook",
        "_register_state_dict_hook",
        "_replicate_for_data_parallel",
        "_save_to_state_dict",
        "_slow_forward",
        "_state_dict_hooks",
        "_state_dict_pre_hooks",
        "_version",
        "_wrapped_call_impl",
        "add_module",
        "apply",
        "bfloat16",
        "buffers",
        "call_super_init",
        "children",
        "compile",
        "cpu",
        "cuda",
        "double",
        "dump_patches",
        "eval",
        "extra_repr",
        "float",
        "forward",
        "get_buffer",
        "get_extra_state",
        "get_parameter",
        "get_submodule",
        "half",
        "ipu",
        "load_state_dict",
        "modules",
        "mtia",
        "named_buffers",
        "named_children",
        "named_modules",
        "named_parameters",
        "parameters",
        "register_backward_hook",
        "register_buffer",
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook",
        "register_module",
        "register_parameter",
        "register_state_dict_post_hook",
        "register_state_dict_pre_hook",
        "requires_grad_",
        "set_extra_state",
        "set_submodule",
        "share_memory",
        "state_dict",
        "to",
        "to_empty",
        "train",
        "training",
        "type",
        "xpu",
        "zero_grad",
    }
)
#: the names the generated module itself uses: imports, forward's arguments and locals, the
#: trace dictionary, the `__main__` block's variable
GENERATED_NAMES: frozenset[str] = frozenset({"torch", "nn", "F", "self", "x", "inp", "trace", "model"})
#: every name an identifier from a spec must avoid
RESERVED: frozenset[str] = (
    NN_MODULE_ATTRIBUTES
    | GENERATED_NAMES
    | frozenset(dir(builtins))
    | frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
)
#: what an identifier made here always matches
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9]+")


def _reserved(text: str) -> bool:
    return text in RESERVED or keyword.iskeyword(text) or keyword.issoftkeyword(text)


def python_identifier(name: str, taken: set[str], default: str = "layer") -> str:
    """A Python identifier for `name`, distinct from those in `taken` (to which it is added).

    NFKC first, as Python itself normalises identifiers (so U+FF58 and `x` meet here, where the
    suffix keeps them apart, and not in the interpreter); then ASCII letters, digits and single
    underscores only, never leading or trailing underscores (no private or dunder names), a
    letter first, and no keyword, builtin, nn.Module member or name of the generated code. The
    result depends only on `name` and `taken`, so the same spec always gives the same code.
    """
    text = _NOT_ALLOWED.sub("_", unicodedata.normalize("NFKC", name)).strip("_") or default
    if not text[0].isalpha():
        text = f"{default}_{text}"
    if _reserved(text):
        text += "_"
    base, n = text, 1
    while text in taken or _reserved(text):
        n += 1
        text = f"{base}_{n}"
    taken.add(text)
    return text


def class_identifier(name: str, taken: Iterable[str] = ()) -> str:
    """A CamelCase class name for a network's name, made by `python_identifier`."""
    parts = _NOT_ALLOWED.sub(" ", unicodedata.normalize("NFKC", name).replace("_", " ")).split()
    text = "".join(p[:1].upper() + p[1:] for p in parts)
    return python_identifier(text, set(taken), default="Network")


def python_literal(text: str) -> str:
    """`text` as an ASCII Python string literal on one line: safe in code and in a `#` comment.

    `ascii()` escapes every control character, line separator, bidirectional mark and
    non-ASCII letter, so the literal can neither start a new line nor hide what it says.
    """
    return ascii(text)
