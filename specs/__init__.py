"""The bundled networks, one YAML spec each; installed as cnncalc.specs and found by name."""
