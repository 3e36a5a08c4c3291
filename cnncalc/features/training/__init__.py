"""Training memory: what a training step keeps alive (weights, gradients, optimizer state,
activations kept for the backward pass), its peak, and how it is printed.
"""
