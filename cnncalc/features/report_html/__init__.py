"""The `report` command's page: one self-contained HTML file of a network's Report
(`page`). The Report itself is cnncalc.core.report.
"""
