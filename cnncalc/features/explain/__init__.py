"""`explain`: a network's numbers worked out as the lecture does them by hand
(`explanation`: the steps, JSON and Markdown), printed by `output`.
"""
