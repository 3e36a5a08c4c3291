"""ONNX in: an exported model's graph as a cnncalc spec (plain data, as a YAML file would hold).

The graph is walked node by node in the order ONNX stores it (topological). Each operator
maps to one cnncalc layer kind; hyper-parameters come from the node's attributes and the
shapes of its constant weights, never from the weights' values, so the imported spec counts
exactly the parameters the model stores. Nodes that only compute shapes (Shape, Gather,
Concat of shape tensors, as exporters write for `x.view(n, -1)`) are skipped; Identity and
a constant-folded batch norm (already inside the Conv's weights) import as they are.

A model file is untrusted input, so the whole graph is screened before any work it could
cause: the node count, every declared tensor size, every external-data location and every
subgraph are checked before shape inference or constant folding run. Weight values are never
read: only small constants (shapes, pads, scales, clip bounds) are, and only from the file
itself, never from external data, so no byte outside the model file can reach a message.
Messages name tensors by name, type and shape, never by value.

The `onnx` package is imported only inside functions: it is an optional extra.

Where a change goes:

- `read`: the entry points, `onnx_to_spec_data` (a file) and `model_to_spec_data` (a model in memory);
- `screen`: what a model file must pass before any work (sizes, names, external data, subgraphs);
- `walk`: the walk over the nodes, routing each to its operator's handler, and the import's notes;
- `base`: the importer's state and the helpers every handler shares (shapes, weights, writing a layer);
- `attrs`: a node's attributes, type- and range-checked, and cnncalc's spelling of pads;
- `constants`: folding small constants (shapes, pads, scales), bounded;
- `ops_weighted`, `ops_window`, `ops_elementwise`, `ops_layout`: the operator handlers, by family;
- `patterns`: the runs of nodes exporters write for one layer (LRN, swish, hard-swish, GELU);
- `calls`: how the PyTorch model called each layer, and convs with a batch norm folded in;
- `kinds`: the operators read and the kinds they become (the capability table ONNX_KINDS).
"""
