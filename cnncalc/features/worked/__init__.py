"""Conv and pool worked examples on small matrices, in pure Python (no NumPy).

`matrix` holds the matrix text format, its limits and its parser; `numbers` prints exact values;
`examples` computes the convolutions and poolings (exactly, step by step); `reading` is the I/O
edge that turns a command's matrix argument (inline, @PATH, @-) into text.
"""
