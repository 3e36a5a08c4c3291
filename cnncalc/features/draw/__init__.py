"""Pictures of a network: an SVG diagram written directly, Graphviz DOT and Mermaid sources.

Everything here reads a Report (and the `inputs` of its rows, which are the graph's
edges); nothing computes a number of its own. `diagram.architecture_svg` is the stable
entry point other outputs (the HTML report) embed.
"""
