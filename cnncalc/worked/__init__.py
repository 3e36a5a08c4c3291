"""Conv and pool worked examples on small matrices, in pure Python (no NumPy).

`examples` computes them (exactly, step by step) and parses the matrix text within its limits;
`reading` is the I/O edge that turns a command's matrix argument (inline, @PATH, @-) into text.
"""
