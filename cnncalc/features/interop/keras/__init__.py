"""Keras in, without Keras: a model's JSON config (a .keras zip's config.json, or model.to_json())
as a cnncalc spec (plain data, as a YAML file would hold).

The config says everything cnncalc counts: layer classes, hyper-parameters and, for a
Functional model, which layer reads which. Both Keras 3 (`inbound_nodes` of `args` with
`keras_history`) and Keras 2 (nested lists) are read. Shapes are channels last, as Keras
writes them; a Dense layer must read a vector (Keras applies it per position otherwise).

A model file is untrusted input: the archive's directory, its entries' declared sizes and
config.json's compression ratio are checked before anything is decompressed, the config's
size before it is parsed, its nesting and its number of layers before any layer is
imported, and every field a layer has is checked for its type and range where it is read,
so that a wrong value is an error naming the layer and the field, never a crash.

Where a change goes:

- `model`: the entry points, `keras_to_spec_data` (a file) and `keras_config_to_spec_data`
  (a parsed config), and the walk over a Sequential or Functional model's layers;
- `archive`: reading a .keras archive or a .json file within its bounds; `looks_like_keras_json`;
- `config`: the config's nesting and layer count checked first, and its fields read with their types checked;
- `state`: what the import has written so far, and `add`, the one place a layer is written;
- `padding`: ZeroPadding and Cropping, folded into the next conv's or pool's padding where they can be;
- `translate`: one layer's config as the cnncalc layers it becomes, by family;
- `kinds`: the layers read and the kinds they become (the capability table KERAS_KINDS, the
  docs' layer table), and which kinds have weights.
"""
