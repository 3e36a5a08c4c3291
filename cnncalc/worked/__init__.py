"""Conv and pool worked examples on small matrices, in pure Python (no NumPy)."""
