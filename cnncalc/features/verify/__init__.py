"""`verify`: runs the network on arrays with the numeric core and compares what the run
measured with the symbolic Report (`run`), printed by `output`. It is a feature, not part
of cnncalc.numeric, because it reads the layers' rules, which the numeric core never does.
"""
