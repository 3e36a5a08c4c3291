"""The conventions of peer tools (torchinfo, fvcore, thop, ptflops, Keras) as presets: what
each would print for a network, and why it differs from cnncalc.
"""
