"""The core every command shares: a Spec becomes a Graph, the walk over it a Report.

`graph` (ids, `from:`, blocks and repeats resolved into a DAG), `walk` (the analysis that
builds the Report), `report` (the Report: immutable records of exact ints), `receptive`
(receptive fields), `conventions` (the counting conventions), `geometry` (the sliding
window's arithmetic), `evaluator` (the safe evaluator of `${...}` expressions), `algebra`
(the exact arithmetic worked steps are written in) and `gcpause`. Nothing here prints.
"""
