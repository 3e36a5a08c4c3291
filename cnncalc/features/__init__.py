"""What cnncalc does with a Report beyond the summary: one package per feature.

Each package holds the feature's library modules (pure data in, data out) and its own
output modules (`output`, `*_output`), which print with the shared kernel in
cnncalc.render. A feature may build on the core, the layers, the spec language, the
numeric core and other features; only the CLI builds on a feature.
"""
