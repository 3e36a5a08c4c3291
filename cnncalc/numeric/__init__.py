"""The numeric core: NumPy kernels (`kernels`), an executor that runs a network's graph on
arrays (`executor`), and `verify`, which checks the symbolic report against what the run
measured (`from cnncalc.numeric.verify import verify`).

Independent of the symbolic rules by design (see the design notes): kernels compute from
arrays, and nothing here calls cnncalc.layers' shape or cost formulas. Imported only by the
commands that need NumPy, never at start-up.
"""
