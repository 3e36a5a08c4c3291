"""The numeric core: NumPy kernels and an executor that runs a network's graph on arrays
(`executor`, with each layer's weights in `params` and its forward step in `kernels`).
Checking the symbolic report against what the run measured is the verify feature
(cnncalc.features.verify), which builds on this package.

The kernels: `blas` (the counted matrix products, and C += A B accumulated in place by
the OpenBLAS NumPy ships; CNNCALC_NO_BLAS=1 keeps it plain NumPy), `conv` (convolutions
and dense layers, im2col in a bounded `workspace`), `pool` (pooling) and `pointwise`
(activations, normalisations, resampling, merges).

Independent of the symbolic rules by design (see the design notes): kernels compute from
arrays, and nothing here calls cnncalc.layers' shape or cost formulas. Imported only by the
commands that need NumPy, never at start-up.
"""
