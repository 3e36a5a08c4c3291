"""Sizes as symbols: a spec whose input is `HxWx3` analysed for every size (`sizes`), the
smallest input a network accepts (`solve`), and how both are printed.
"""
