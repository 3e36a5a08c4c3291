"""`compare`: the figures of several networks side by side (`figures`, pure data), their
table (`output`) and the SVG plot (`plot`).
"""
